"""The season's plan as stored, in one place: which versions of the curve are in effect, what
was ordered and approved, what was sold, the statuses an approval outcome sets, and the
season's inventory position.

- **Plan in effect** (docs/domain.md, "Variance and re-forecast"): the curve versions whose
  order was approved or that needed no approval (status ``approved``). A re-forecast whose
  extra order awaits approval (``proposed``) or was rejected (``rejected``) stays in
  ``versions`` as a demand view; later weeks are not measured against it, later re-forecasts
  do not start from it and the markdown does not project with it.
- **Ordered and approved**: the pre-season order plus every approved extra order. A proposed
  or rejected allocation never counts.
- **Current allocation** (GET /api/allocations/{forecast_id}): the latest approved one; before
  any approval the latest proposed one (its status says so). Proposals awaiting a decision
  and rejected ones are listed next to it.
- **Records stored before statuses existed** read as their workflow's outcome (`with_status`,
  `markdown_with_status`); versions read as approved (they were the plan).
- **Settling** (`settle`): when a workflow ends, what it proposed takes the outcome. Completed
  (accepted, or no approval needed): its allocation ``approved``, its curve version
  ``approved``, a 0% markdown ``not_needed`` (an accepted markdown is ``applied`` by the lift
  step). Rejected, cancelled, failed or interrupted before approval: all of them ``rejected``,
  and the forecast's current curve falls back to the newest version not rejected. Every
  settling brings the inventory position up to date.
- **Inventory position** (`refresh_position`, docs/domain.md "Inventory position"): one stored
  per season, kept after every weekly upload and every settling: the orders with their
  status, the shipments made (initial allocation, due top-up reviews, approved re-plans'
  holdback moves, with replenishment none approved extra orders sent to the stores), the
  sales of the complete weeks per store, the reviews still to come re-planned on the plan in
  effect, and warnings. The re-plan and the markdown read it.
- **Reopening** (`reopen`): a failed workflow that is retried proposes again what its failure
  rejected: its rejected allocation, markdown and curve versions read ``proposed`` (the
  forecast's current curve is its newest version again), and the resumed run settles them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.in_season import CurveVersion, complete_through, plan_for_week
from fashion_forecast.domain.inventory import (
    largest_remainder,
    project_top_ups,
    replenishment_period_weeks,
    review_weeks,
    top_up,
)
from fashion_forecast.domain.variance import MarkdownLift
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    AllocationStatus,
    ForecastRecord,
    ForecastVersion,
    MarkdownRecord,
    MarkdownStatus,
    VersionStatus,
)
from fashion_forecast.models.parameters import ReplenishmentStrategy
from fashion_forecast.models.sales import (
    InventoryPosition,
    PlannedShipment,
    PositionOrder,
    Shipment,
    ShipmentKind,
    StorePosition,
)
from fashion_forecast.models.workflows import Workflow, WorkflowStatus
from fashion_forecast.ports import ConflictError, Container, NotFoundError

logger = Logger(service="fashion-forecast")

SETTLE_ATTEMPTS = 5


# -- actuals and the plan in effect ---------------------------------------------------------------


def season_actuals(c: Container, forecast: ForecastRecord) -> dict[int, float]:
    """Units sold per season week as known: the uploads, else what a re-forecast was given."""
    stored = c.in_season.list_actuals(forecast.forecast_id)
    uploaded = {w: float(a.total_units) for w, a in stored.items()}
    return {**forecast.actuals, **uploaded}


def in_effect(forecast: ForecastRecord) -> list[ForecastVersion]:
    """The versions that are (or were) a plan, oldest first."""
    ordered = sorted(forecast.versions, key=lambda v: v.version)
    return [v for v in ordered if v.status is VersionStatus.APPROVED]


def curve_versions(forecast: ForecastRecord) -> list[CurveVersion]:
    """The versions in effect with the weeks each was fitted to (domain.in_season rule 2) and,
    for a markdown's lift, what it assumed (domain.variance docstring 6). A re-forecast's
    anchor is its observed weeks; a lift keeps the anchor of the version it lifted."""
    anchor = 0
    out: list[CurveVersion] = []
    by_number = {v.version: v for v in forecast.versions}
    for version in in_effect(forecast):
        details = version.details
        markdown = None
        if details.get("markdown_id"):
            anchor = int(details.get("anchor_week", anchor))
            base = by_number.get(int(details.get("base_version", 0)))
            if base is None and out:  # stored before lifts named their base: the one before
                base = by_number[out[-1].version]
            if base is not None and details.get("checkpoint_week") is not None:
                markdown = MarkdownLift(
                    checkpoint_week=int(details["checkpoint_week"]),
                    assumed_lift=float(details.get("expected_lift", 0.0)),
                    base_curve=[w.forecast for w in base.weekly],
                )
        elif details.get("observed_weeks") is not None:
            anchor = int(details["observed_weeks"])
        out.append(
            CurveVersion(version.version, anchor, [w.forecast for w in version.weekly], markdown)
        )
    if not out:
        out.append(CurveVersion(forecast.version, 0, [w.forecast for w in forecast.weekly]))
    return out


def version_record(forecast: ForecastRecord, number: int) -> ForecastVersion:
    """The stored version `number` (a forecast stored without versions: its current curve)."""
    for version in forecast.versions:
        if version.version == number:
            return version
    return ForecastVersion(
        version=forecast.version,
        created_at=forecast.created_at,
        workflow_id=forecast.workflow_id,
        reason="current curve",
        total_demand=forecast.total_demand,
        weekly=forecast.weekly,
    )


@dataclass(frozen=True)
class PlanToDate:
    """The plan in effect for weeks 1..week (what the variance row of `week` shows) and the plan
    in effect for the weeks after it."""

    week: int
    version: CurveVersion
    plan: list[float]
    after: CurveVersion | None  # None in the last week of the season

    @property
    def cumulative(self) -> float:
        return sum(self.plan)

    @property
    def remaining(self) -> float:
        """The plan in effect's units for weeks week+1..H."""
        return sum(self.after.weekly[self.week :]) if self.after is not None else 0.0


def plan_to_date(forecast: ForecastRecord, actuals: dict[int, float], week: int) -> PlanToDate:
    versions = curve_versions(forecast)
    version, plan = plan_for_week(versions, actuals, week)
    horizon = forecast.parameters.forecast_horizon_weeks
    after = plan_for_week(versions, actuals, week + 1)[0] if week < horizon else None
    return PlanToDate(week, version, plan, after)


# -- the order book ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderBook:
    """A forecast's allocations by status, oldest first, and the units ordered and approved."""

    allocations: list[AllocationRecord]

    def of(self, status: AllocationStatus) -> list[AllocationRecord]:
        return [a for a in self.allocations if a.status is status]

    @property
    def approved(self) -> list[AllocationRecord]:
        return self.of(AllocationStatus.APPROVED)

    @property
    def ordered_approved_qty(self) -> int:
        """The pre-season order plus every approved extra order."""
        return sum(a.order_units for a in self.approved)

    @property
    def current(self) -> AllocationRecord | None:
        """The latest approved allocation; before any approval the latest proposed one; else
        the latest of all."""
        for status in (AllocationStatus.APPROVED, AllocationStatus.PROPOSED):
            found = self.of(status)
            if found:
                return found[-1]
        return self.allocations[-1] if self.allocations else None


def allocation_ids(forecast: ForecastRecord) -> list[str]:
    ids = list(forecast.allocation_ids)
    if forecast.allocation_id and forecast.allocation_id not in ids:
        ids.append(forecast.allocation_id)  # stored before the list existed
    return ids


def order_book(c: Container, forecast: ForecastRecord) -> OrderBook:
    return OrderBook(
        [
            with_status(c, c.records.get(ALLOCATION, a, AllocationRecord))
            for a in allocation_ids(forecast)
        ]
    )


def _workflow_outcome(c: Container, workflow_id: str) -> bool | None:
    """True: the workflow completed; False: it was rejected, cancelled or failed; None: it is
    unfinished or unknown."""
    try:
        status = c.workflows.get(workflow_id).status
    except NotFoundError:
        return None
    if status is WorkflowStatus.COMPLETED:
        return True
    return False if status.is_terminal else None


def with_status(c: Container, record: AllocationRecord) -> AllocationRecord:
    """An allocation stored before statuses existed takes the outcome of its workflow (the
    same rule `settle` applies): completed -> approved, rejected/cancelled/failed -> rejected,
    else proposed."""
    if record.status is not None:
        return record
    outcome = _workflow_outcome(c, record.workflow_id)
    status = {
        True: AllocationStatus.APPROVED,
        False: AllocationStatus.REJECTED,
        None: AllocationStatus.PROPOSED,
    }[outcome]
    return record.model_copy(update={"status": status})


def markdown_with_status(c: Container, record: MarkdownRecord) -> MarkdownRecord:
    """A markdown stored before statuses existed: applied, 0% not needed, else its workflow's
    outcome."""
    if record.status is not None:
        return record
    if record.applied:
        status = MarkdownStatus.APPLIED
    elif record.markdown_pct == 0:
        status = MarkdownStatus.NOT_NEEDED
    elif _workflow_outcome(c, record.workflow_id) is False:
        status = MarkdownStatus.REJECTED
    else:
        status = MarkdownStatus.PROPOSED
    return record.model_copy(update={"status": status})


def approved_order(c: Container, forecast: ForecastRecord) -> tuple[OrderBook, AllocationRecord]:
    """The order book and its current approved allocation; DomainError without one."""
    book = order_book(c, forecast)
    current = book.current
    if current is None or current.status is not AllocationStatus.APPROVED:
        raise DomainError(f"forecast {forecast.forecast_id} has no approved manufacturing order")
    return book, current


# -- settling a workflow's proposals ------------------------------------------------------------


def settle(c: Container, workflow: Workflow, *, approved: bool, reason: str) -> None:
    """Give what `workflow` proposed the outcome of its approval (see the module docstring).
    Only records still ``proposed`` change, so settling twice changes nothing.

    The curve versions change first: a position refreshed meanwhile (a weekly upload's, racing
    this settle) that finds the order approved must find its curve approved too, or it would
    ship the order against the plan it replaces, and that shipment is kept."""
    own = workflow.workflow_id
    forecast_id = workflow.forecast_id or workflow.input.get("forecast_id")
    if forecast_id:
        target = VersionStatus.APPROVED if approved else VersionStatus.REJECTED
        _restatus_versions(c, str(forecast_id), own, VersionStatus.PROPOSED, target)
    if workflow.allocation_id:

        def allocation(a: AllocationRecord) -> dict[str, Any] | None:
            if a.status not in {None, AllocationStatus.PROPOSED} or a.workflow_id != own:
                return None
            return {"status": AllocationStatus.APPROVED if approved else AllocationStatus.REJECTED}

        _settle_record(c, ALLOCATION, workflow.allocation_id, AllocationRecord, allocation, reason)
    if workflow.markdown_id:

        def markdown(m: MarkdownRecord) -> dict[str, Any] | None:
            if m.status not in {None, MarkdownStatus.PROPOSED} or m.workflow_id != own:
                return None
            if not approved:
                return {"status": MarkdownStatus.REJECTED}
            return {"status": MarkdownStatus.APPLIED if m.applied else MarkdownStatus.NOT_NEEDED}

        _settle_record(c, MARKDOWN, workflow.markdown_id, MarkdownRecord, markdown, reason)
    if forecast_id:
        refresh_position(c, str(forecast_id))


R = TypeVar("R", AllocationRecord, MarkdownRecord)


def _settle_record(
    c: Container,
    kind: str,
    record_id: str,
    model: type[R],
    change: Callable[[R], dict[str, Any] | None],
    reason: str,
) -> None:
    for _ in range(SETTLE_ATTEMPTS):
        try:
            record = c.records.get(kind, record_id, model)
        except NotFoundError:
            return
        update = change(record)
        if update is None:
            return
        try:
            c.records.replace(
                kind,
                record_id,
                record.model_copy(
                    update={**update, "status_reason": reason, "revision": record.revision + 1}
                ),
            )
            return
        except ConflictError:
            continue
    logger.warning("could not settle a record", extra={"kind": kind, "record_id": record_id})


def _restatus_versions(
    c: Container,
    forecast_id: str,
    workflow_id: str,
    source: VersionStatus,
    target: VersionStatus,
) -> None:
    """Move `workflow_id`'s curve versions from `source` to `target` status; the forecast's
    current curve is then its newest version not rejected. Retried on a concurrent change."""
    for _ in range(SETTLE_ATTEMPTS):
        try:
            forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
        except NotFoundError:
            return
        own = [
            v.version
            for v in forecast.versions
            if v.workflow_id == workflow_id and v.status is source
        ]
        if not own:
            return
        versions = [
            v.model_copy(update={"status": target}) if v.version in own else v
            for v in forecast.versions
        ]
        update: dict[str, Any] = {"versions": versions, "revision": forecast.revision + 1}
        standing = [v for v in versions if v.status is not VersionStatus.REJECTED]
        newest = max(standing, key=lambda v: v.version) if standing else None
        if newest is not None and newest.version != forecast.version:
            update.update(
                weekly=newest.weekly, total_demand=newest.total_demand, version=newest.version
            )
        try:
            c.records.replace(FORECAST, forecast_id, forecast.model_copy(update=update))
            return
        except ConflictError:
            continue
    logger.warning(
        "could not change the forecast's versions",
        extra={"forecast_id": forecast_id, "from": source.value, "to": target.value},
    )


# -- the inventory position ----------------------------------------------------------------------


def _pre_season(book: OrderBook) -> AllocationRecord | None:
    return next((a for a in book.approved if a.replan is None), None)


def _store_weights(allocation: AllocationRecord) -> dict[str, float]:
    return {str(s["store_id"]): float(s["weight"]) for s in allocation.store_allocations}


def _position_orders(book: OrderBook) -> list[PositionOrder]:
    return [
        PositionOrder(
            allocation_id=a.allocation_id,
            workflow_id=a.workflow_id,
            kind="pre_season" if a.replan is None else "extra",
            units=a.order_units,
            status=(a.status or AllocationStatus.PROPOSED).value,
        )
        for a in book.allocations
    ]


def _move_of(allocation: AllocationRecord, week: int) -> Shipment | None:
    """The holdback move an approved re-plan proposed, arriving at `week`."""
    holdback = (allocation.replan or {}).get("holdback") or {}
    stores = {
        str(s["store_id"]): int(s["units_received"])
        for s in holdback.get("stores", [])
        if int(s.get("units_received", 0)) > 0
    }
    if not stores:
        return None
    return Shipment(
        week=week,
        kind="move",
        source=allocation.allocation_id,
        units=sum(stores.values()),
        stores=stores,
    )


def refresh_position(c: Container, forecast_id: str) -> InventoryPosition | None:
    """Bring the season's stored inventory position up to date and store it (docs/domain.md,
    "Inventory position"): the orders as their approvals left them, the holdback moves of
    approved re-plans, the top-up reviews that are due, the sales of every complete week, and
    the reviews still to come re-planned from what is really left. None before the pre-season
    order is approved (nothing is in season). Retried on a concurrent change."""
    for _ in range(SETTLE_ATTEMPTS):
        try:
            forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
        except NotFoundError:
            return None
        book = order_book(c, forecast)
        base = _pre_season(book)
        if base is None:
            return None
        position = _updated_position(c, forecast, book, base, _stored(c, forecast_id))
        try:
            c.in_season.save_position(position)
            return position
        except ConflictError:
            continue
    raise ConflictError(f"the inventory position of forecast {forecast_id} kept changing")


def position_if_approved(c: Container, proposal: AllocationRecord) -> InventoryPosition | None:
    """The position as it would stand once `proposal` (a re-plan) and its workflow's curve
    were approved, from the stored one: what its approval would show (not stored)."""
    forecast = c.records.get(FORECAST, proposal.forecast_id, ForecastRecord)
    approved = proposal.model_copy(update={"status": AllocationStatus.APPROVED})
    book = order_book(c, forecast)
    others = [a for a in book.allocations if a.allocation_id != proposal.allocation_id]
    book = OrderBook([*others, approved])
    versions = [
        v.model_copy(update={"status": VersionStatus.APPROVED})
        if v.workflow_id == proposal.workflow_id
        else v
        for v in forecast.versions
    ]
    forecast = forecast.model_copy(update={"versions": versions})
    base = _pre_season(book)
    if base is None:
        return None
    return _updated_position(c, forecast, book, base, _stored(c, forecast.forecast_id))


def _stored(c: Container, forecast_id: str) -> InventoryPosition | None:
    try:
        return c.in_season.get_position(forecast_id)
    except NotFoundError:
        return None


def _curve_approved(forecast: ForecastRecord, allocation: AllocationRecord) -> bool:
    """Whether the curve version the re-plan's workflow made is approved in this read of the
    forecast. An order read approved with its curve still proposed is a settle in progress
    (settle approves the curve first, but this read of the forecast may predate it): its
    shipments wait for the settle's own refresh instead of being planned on the old curve."""
    own = [v for v in forecast.versions if v.workflow_id == allocation.workflow_id]
    return not own or own[-1].status is VersionStatus.APPROVED


def _updated_position(
    c: Container,
    forecast: ForecastRecord,
    book: OrderBook,
    base: AllocationRecord,
    stored: InventoryPosition | None,
) -> InventoryPosition:
    params = forecast.parameters
    horizon = params.forecast_horizon_weeks
    weights = _store_weights(base)
    safety = base.safety_stock_pct
    uploads = c.in_season.list_actuals(forecast.forecast_id)
    through = complete_through(uploads)
    actuals = season_actuals(c, forecast)
    versions = curve_versions(forecast)
    shipments = list(stored.shipments) if stored else []
    credited = dict(stored.over_plan_credited) if stored else {}
    if not shipments:
        initial = {str(s["store_id"]): int(s["quantity"]) for s in base.store_allocations}
        shipments.append(
            Shipment(
                week=1,
                kind="initial",
                source=base.allocation_id,
                units=sum(initial.values()),
                stores={k: v for k, v in initial.items() if v > 0},
            )
        )
    ordered = book.ordered_approved_qty

    def store_sold(before_week: int) -> dict[str, int]:
        sold: dict[str, int] = {}
        for week in range(1, before_week):
            for store, units in uploads[week].store_units.items():
                sold[store] = sold.get(store, 0) + units
        return sold

    def store_shipped() -> dict[str, int]:
        out: dict[str, int] = {}
        for s in shipments:
            for store, units in s.stores.items():
                out[store] = out.get(store, 0) + units
        return out

    def on_hand_at(week: int) -> dict[str, int]:
        shipped, sold = store_shipped(), store_sold(min(week, through + 1))
        return {s: shipped.get(s, 0) - sold.get(s, 0) for s in weights}

    def shipment(week: int, kind: ShipmentKind, source: str, units: dict[str, int]) -> Shipment:
        stores = {k: v for k, v in units.items() if v > 0}
        return Shipment(
            week=week, kind=kind, source=source, units=sum(stores.values()), stores=stores
        )

    made = {(s.source, s.kind) for s in shipments}
    none = params.replenishment_strategy is ReplenishmentStrategy.NONE
    for allocation in book.approved:
        if allocation.replan is None or not _curve_approved(forecast, allocation):
            continue
        week = min(int(allocation.replan.get("observed_weeks", through)) + 1, horizon)
        # the holdback move of an approved re-plan, once, limited by the DC stock left
        move = _move_of(allocation, week)
        if move is not None and (allocation.allocation_id, "move") not in made:
            dc = max(0, ordered - sum(s.units for s in shipments))
            units = move.stores if move.units <= dc else largest_remainder(dc, move.stores)
            shipments.append(shipment(week, "move", allocation.allocation_id, units))
            for store, paid in units.items():
                credited[store] = credited.get(store, 0) + paid
        # with no replenishment an approved extra order goes to the stores on arrival:
        # topped up to the rest of the season's plan plus safety stock
        if none and allocation.extra_order_qty and (allocation.allocation_id, "extra") not in made:
            plan = plan_for_week(versions, actuals, week)[0].weekly
            dc = max(0, ordered - sum(s.units for s in shipments))
            units = top_up(
                weights,
                on_hand_at(week),
                sum(plan[week - 1 :]),
                safety,
                min(allocation.extra_order_qty, dc),
            )
            shipments.append(shipment(week, "extra", allocation.allocation_id, units))

    period = replenishment_period_weeks(params.replenishment_strategy)
    reviews = review_weeks(params.replenishment_strategy, horizon)
    done = {s.week for s in shipments if s.kind == "replenishment"}
    # the reviews that are due: the one at the start of the week after the last complete week
    for week in reviews:
        if week in done or week > through + 1:
            continue
        assert period is not None
        plan = plan_for_week(versions, actuals, week)[0].weekly
        cover = sum(plan[w - 1] for w in range(week, min(week + period - 1, horizon) + 1))
        dc = max(0, ordered - sum(s.units for s in shipments))
        sent = top_up(weights, on_hand_at(week), cover, safety, dc)
        shipments.append(shipment(week, "replenishment", f"review-w{week:02d}", sent))
    shipped, sold = store_shipped(), store_sold(through + 1)
    stores = [
        StorePosition(
            store_id=s,
            shipped=shipped.get(s, 0),
            sold=sold.get(s, 0),
            on_hand=shipped.get(s, 0) - sold.get(s, 0),
        )
        for s in sorted({*weights, *shipped, *sold})
    ]
    total_shipped = sum(s.units for s in shipments)
    at_dc = ordered - total_shipped
    planned: list[PlannedShipment] = []
    dc_end = at_dc
    if through < horizon:
        plan = plan_for_week(versions, actuals, through + 1)[0].weekly
        projected, dc_end = project_top_ups(
            reviews=[w for w in reviews if w > through + 1],
            period_weeks=period or 1,
            from_week=through + 1,
            weekly_plan=plan,
            weights=weights,
            on_hand={s.store_id: s.on_hand for s in stores},
            dc_stock=max(0, at_dc),
            safety_stock_pct=safety,
        )
        planned = [
            PlannedShipment(
                week=r.week,
                covers_weeks=r.covers_weeks,
                requested=r.requested,
                units=sum(r.shipped.values()),
                dc_after=r.dc_after,
            )
            for r in projected
        ]
    warnings = position_warnings(params.replenishment_strategy.value, at_dc, dc_end, stores)
    return InventoryPosition(
        forecast_id=forecast.forecast_id,
        through_week=through,
        replenishment_strategy=params.replenishment_strategy.value,
        top_up_cover_weeks=period,
        safety_stock_pct=safety,
        orders=_position_orders(book),
        ordered_approved=ordered,
        at_dc=at_dc,
        shipped=total_shipped,
        sold=sum(sold.values()),
        store_on_hand=total_shipped - sum(sold.values()),
        stores=stores,
        shipments=shipments,
        over_plan_credited=credited,
        planned_shipments=planned,
        planned_dc_end_of_season=dc_end,
        warnings=warnings,
        updated_at=c.clock.now(),
        revision=stored.revision + 1 if stored else 1,
    )


def position_warnings(
    strategy: str, at_dc: int, dc_end: int, stores: list[StorePosition]
) -> list[str]:
    """What a planner must hear about the position: units stranded at the DC, stores that
    report more sold than was shipped to them."""
    warnings = []
    if strategy == "none" and at_dc > 0:
        warnings.append(
            f"replenishment none: {at_dc:,} units at the DC have no shipment planned; only a "
            "re-plan's holdback move to fast stores sends them out"
        )
    elif dc_end > 0:
        warnings.append(
            f"{dc_end:,} units are planned to remain at the DC at season end: the top-ups to "
            "the plan's next weeks plus safety stock do not need them"
        )
    oversold = [s.store_id for s in stores if s.on_hand < 0]
    if oversold:
        warnings.append(
            f"{len(oversold)} store(s) report more sold than was shipped to them "
            f"({', '.join(oversold[:5])}{'...' if len(oversold) > 5 else ''}): the sales are "
            "counted as reported"
        )
    return warnings


def reopen(c: Container, workflow: Workflow) -> None:
    """Undo what settling a failed `workflow` rejected (see the module docstring): its own
    rejected records read proposed again. Only a failed workflow's rejections are its
    failure's (a rejection by the approver cancels the workflow, which is never retried)."""
    own = workflow.workflow_id
    reason = "workflow retried: proposed again"

    def rejected(record: AllocationRecord | MarkdownRecord) -> bool:
        return record.workflow_id == own and record.status in {
            AllocationStatus.REJECTED,
            MarkdownStatus.REJECTED,
        }

    if workflow.allocation_id:
        _settle_record(
            c,
            ALLOCATION,
            workflow.allocation_id,
            AllocationRecord,
            lambda a: {"status": AllocationStatus.PROPOSED} if rejected(a) else None,
            reason,
        )
    if workflow.markdown_id:
        _settle_record(
            c,
            MARKDOWN,
            workflow.markdown_id,
            MarkdownRecord,
            lambda m: {"status": MarkdownStatus.PROPOSED} if rejected(m) else None,
            reason,
        )
    forecast_id = workflow.forecast_id or workflow.input.get("forecast_id")
    if forecast_id:
        _restatus_versions(c, str(forecast_id), own, VersionStatus.REJECTED, VersionStatus.PROPOSED)
