"""The Inventory agent's steps: manufacturing order and store allocation, replenishment,
re-plan after a re-forecast (docs/domain.md, "Inventory agent").

An approver's modify override arrives as {safety_stock_pct} or {manufacturing_qty}. In a
re-forecast, manufacturing_qty is the new total order (ordered and approved so far + extra), so
the extra order is what it adds. A modify re-runs the step, which rewrites the workflow's own
proposal in place (same id, one extra-order figure), never a second record beside it. Every
allocation starts ``proposed``; the workflow's outcome approves or rejects it (app.plan.settle).

A re-plan starts from the season's stored inventory position (app.plan.refresh_position):
units ordered and approved (a proposed or rejected extra order never counts), the DC stock
really left and what earlier moves already paid each store, plus the units sold to date, the
re-forecast's remaining weeks, and the plan the actuals were measured against (the plan in
effect before this re-forecast). Its proposal records the position its approval would leave
(`_outlook`: DC after the move, top-ups still planned, DC at season end, warnings); the move
itself is made when the re-plan is approved. A re-plan without store-level actuals (a manual
re-forecast through the API) has no store velocities, so the DC stock stays where it is. The
pre-season replenishment plan uses the same top-up rule as the in-season reviews.
"""

from __future__ import annotations

from typing import Any

from fashion_forecast.app.plan import (
    allocation_ids,
    approved_order,
    plan_to_date,
    position_if_approved,
    refresh_position,
    season_actuals,
    version_record,
)
from fashion_forecast.app.progress import agent_step, report_progress
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.inventory import (
    plan_inventory,
    plan_replenishment,
    replan_after_reforecast,
)
from fashion_forecast.domain.order_risk import order_risk
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    AllocationRecord,
    AllocationStatus,
    ForecastRecord,
    ForecastWeek,
)
from fashion_forecast.ports import Container

AGENT = "inventory"


@agent_step(AGENT, "sizing the manufacturing order and allocating it to stores")
def plan(
    c: Container, workflow_id: str, forecast_id: str, override: dict[str, Any]
) -> dict[str, Any]:
    report_progress(c, workflow_id, AGENT, 50, "Sizing the manufacturing order")
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    names: dict[int | str, str] = {cl.cluster_id: cl.name for cl in forecast.clusters}
    result = plan_inventory(
        [w.forecast for w in forecast.weekly],
        forecast.stores,
        {cl.cluster_id: cl.share for cl in forecast.clusters},
        forecast.parameters,
        safety_stock_pct=override.get("safety_stock_pct"),
        manufacturing_qty=override.get("manufacturing_qty"),
    )
    manufacturing = result.manufacturing
    risk = order_risk(manufacturing.manufacturing_qty, *season_interval(forecast))
    own = _own_proposal(c, workflow_id)
    record = AllocationRecord(
        allocation_id=own.allocation_id if own else c.ids.new_id(),
        forecast_id=forecast_id,
        workflow_id=workflow_id,
        created_at=c.clock.now(),
        season_demand=forecast.total_demand,
        safety_stock_pct=manufacturing.safety_stock_pct,
        manufacturing_qty=manufacturing.manufacturing_qty,
        holdback=manufacturing.holdback_qty,
        initial_allocation=manufacturing.initial_allocation,
        store_allocations=[
            {
                "store_id": s.store_id,
                "cluster_id": s.cluster_id,
                "cluster_name": names[s.cluster_id],
                "weight": s.weight,
                "quantity": s.quantity,
            }
            for s in result.allocation.stores
        ],
        clusters=[
            {**cl.model_dump(mode="json"), "name": names[cl.cluster_id]}
            for cl in result.allocation.clusters
        ],
        override=override,
        risk=risk,
        status=AllocationStatus.PROPOSED,
        revision=own.revision + 1 if own else 1,
    )
    _store(c, workflow_id, forecast, record, replaces=own)
    report_progress(c, workflow_id, AGENT, 65, "Order sized and allocated to stores")
    return {"allocation_id": record.allocation_id, "manufacturing_qty": record.manufacturing_qty}


def season_interval(forecast: ForecastRecord) -> tuple[float, float, float]:
    """The season demand's median and 80% interval: the total of the weekly point forecasts,
    and the totals of the weekly lower and upper ends (the weeks' errors taken to move
    together: docs/domain.md, "Order risk")."""
    _, lower, upper = _interval_of(forecast.weekly)
    return (
        forecast.total_demand,
        min(lower, forecast.total_demand),
        max(upper, forecast.total_demand),
    )


def _interval_of(weeks: list[ForecastWeek]) -> tuple[float, float, float]:
    median = round(sum(w.forecast for w in weeks), 2)
    lower = min(round(sum(w.lower for w in weeks), 2), median)
    upper = max(round(sum(w.upper for w in weeks), 2), median)
    return median, lower, upper


@agent_step(AGENT, "planning replenishment from the DC holdback")
def replenishment(c: Container, workflow_id: str, allocation_id: str) -> dict[str, Any]:
    report_progress(c, workflow_id, AGENT, 70, "Planning replenishment from the DC holdback")
    allocation = c.records.get(ALLOCATION, allocation_id, AllocationRecord)
    forecast = c.records.get(FORECAST, allocation.forecast_id, ForecastRecord)
    result = plan_replenishment(
        forecast.parameters.replenishment_strategy,
        weekly_forecast=[w.forecast for w in forecast.weekly],
        store_weights={s["store_id"]: float(s["weight"]) for s in allocation.store_allocations},
        initial_on_hand={s["store_id"]: int(s["quantity"]) for s in allocation.store_allocations},
        dc_stock=allocation.holdback,
        safety_stock_pct=allocation.safety_stock_pct,
    )
    if result is None:
        raise DomainError("replenishment strategy is none: there is no plan to make")
    updated = allocation.model_copy(
        update={
            "replenishment": result.model_dump(mode="json"),
            "revision": allocation.revision + 1,
        }
    )
    c.records.replace(ALLOCATION, allocation_id, updated)
    report_progress(c, workflow_id, AGENT, 75, "Replenishment plan stored")
    return {"allocation_id": allocation_id, "total_shipped": result.total_shipped}


def store_velocity_inputs(
    c: Container, forecast: ForecastRecord, observed: int, plan_to_date: float
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """Units each store sold in weeks 1..observed (from the weekly uploads) and what it was
    expected to sell: its weight (cluster share x store factor) of the plan in effect for those
    weeks. None when the uploads do not cover every observed week (a manual re-forecast)."""
    actuals = c.in_season.list_actuals(forecast.forecast_id)
    weeks = range(1, observed + 1)
    if observed == 0 or any(week not in actuals for week in weeks):
        return None, None
    sold: dict[str, float] = {}
    for week in weeks:
        for store_id, units in actuals[week].store_units.items():
            sold[store_id] = sold.get(store_id, 0.0) + units
    shares = {cl.cluster_id: cl.share for cl in forecast.clusters}
    expected = {
        s.store_id: shares.get(s.cluster_id, 0.0) * s.store_factor * plan_to_date
        for s in forecast.stores
    }
    return {store: sold.get(store, 0.0) for store in expected}, expected


@agent_step(AGENT, "re-planning the order after the re-forecast")
def replan(
    c: Container, workflow_id: str, forecast_id: str, override: dict[str, Any]
) -> dict[str, Any]:
    report_progress(c, workflow_id, AGENT, 50, "Re-planning the order for the new forecast")
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    if forecast.allocation_id is None:
        raise DomainError(f"forecast {forecast_id} has no allocation to re-plan")
    _, base = approved_order(c, forecast)
    position = refresh_position(c, forecast_id)
    if position is None:
        raise DomainError(f"forecast {forecast_id} has no approved manufacturing order")
    workflow = c.workflows.get(workflow_id)
    given = workflow.input.get("actual_sales_week_1_to_n")
    actuals = (
        {i + 1: float(v) for i, v in enumerate(given)}
        if given is not None
        else {**season_actuals(c, forecast), **forecast.actuals}
    )
    observed = len(given) if given is not None else len(forecast.actuals)
    if observed < 1:
        raise DomainError(f"forecast {forecast_id} has no observed weeks to re-plan from")
    # the plan these actuals were measured against: the plan in effect, without this
    # workflow's own re-forecast (still proposed)
    measured = plan_to_date(forecast, actuals, observed)
    own_versions = [v for v in forecast.versions if v.workflow_id == workflow_id]
    curve_weeks = (
        own_versions[-1].weekly
        if own_versions
        else version_record(forecast, (measured.after or measured.version).version).weekly
    )
    curve = [w.forecast for w in curve_weeks]
    safety = override.get("safety_stock_pct", base.safety_stock_pct)
    store_sold, store_expected = store_velocity_inputs(c, forecast, observed, measured.cumulative)
    result = replan_after_reforecast(
        ordered_approved_qty=position.ordered_approved,
        safety_stock_pct=safety,
        actual_to_date=sum(actuals[w] for w in range(1, observed + 1)),
        new_remaining_forecast=curve[observed:],
        plan_to_date=measured.cumulative,
        total_order_override=override.get("manufacturing_qty"),
        dc_stock=position.at_dc,
        store_sold=store_sold,
        store_expected=store_expected,
        credited=position.over_plan_credited,
    )
    remaining = curve_weeks[observed:]
    risk = order_risk(
        result.units_on_hand + result.units_on_order + result.extra_order_qty,
        *_interval_of(remaining),
    )
    own = _own_proposal(c, workflow_id)
    record = base.model_copy(
        update={
            "allocation_id": own.allocation_id if own else c.ids.new_id(),
            "workflow_id": workflow_id,
            "created_at": own.created_at if own else c.clock.now(),
            "season_demand": result.need,
            "safety_stock_pct": float(safety),
            # the extra order is the one figure below, never repeated inside
            "replan": {
                **result.model_dump(mode="json", exclude={"extra_order_qty"}),
                "observed_weeks": observed,
            },
            "extra_order_qty": result.extra_order_qty,
            "override": override,
            "risk": risk,
            "status": AllocationStatus.PROPOSED,
            "status_reason": "",
            "revision": own.revision + 1 if own else 1,
        }
    )
    record = record.model_copy(update={"replan": {**(record.replan or {}), **_outlook(c, record)}})
    _store(c, workflow_id, forecast, record, replaces=own)
    report_progress(c, workflow_id, AGENT, 65, "Re-plan stored")
    return {"allocation_id": record.allocation_id, "extra_order_qty": record.extra_order_qty}


def _outlook(c: Container, proposal: AllocationRecord) -> dict[str, Any]:
    """The position as this re-plan would leave it once approved (app.plan): the DC after
    the extra order and the move, the top-ups still to come on the new curve, what would
    remain at the DC at season end, and the warnings (docs/domain.md, "Inventory position")."""
    after = position_if_approved(c, proposal)
    if after is None:
        return {}
    return {
        "dc_after_move": after.at_dc,
        "planned_top_ups": sum(p.units for p in after.planned_shipments),
        "planned_dc_end_of_season": after.planned_dc_end_of_season,
        "warnings": after.warnings,
    }


def _own_proposal(c: Container, workflow_id: str) -> AllocationRecord | None:
    """The allocation this workflow already proposed (a modify re-runs the step), if any."""
    allocation_id = c.workflows.get(workflow_id).allocation_id
    if allocation_id is None:
        return None
    record = c.records.get(ALLOCATION, allocation_id, AllocationRecord)
    if record.workflow_id != workflow_id or record.status is not AllocationStatus.PROPOSED:
        return None
    return record


def _store(
    c: Container,
    workflow_id: str,
    forecast: ForecastRecord,
    record: AllocationRecord,
    *,
    replaces: AllocationRecord | None,
) -> None:
    if replaces is not None:
        c.records.replace(ALLOCATION, record.allocation_id, record)
    else:
        c.records.put(ALLOCATION, record.allocation_id, record)
    ids = allocation_ids(forecast)
    if record.allocation_id not in ids:
        ids.append(record.allocation_id)
    c.records.replace(
        FORECAST,
        forecast.forecast_id,
        forecast.model_copy(
            update={
                "allocation_id": record.allocation_id,
                "allocation_ids": ids,
                "revision": forecast.revision + 1,
            }
        ),
    )
    c.workflows.set_fields(workflow_id, allocation_id=record.allocation_id)
