"""Workflows: start, read, cancel, retry, decide an approval, and the state machine's
bookkeeping steps (mark running, ask for an approval, complete, reject, fail).

A workflow is a row (ports.WorkflowStore) plus a Step Functions execution named after it
(statemachine/workflow.asl.json). Every status change is a conditional write, so concurrent
writers (a decision, a cancel, a failing step) never overwrite each other; see
docs/domain.md ("Approvals") for what the approver decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
from collections.abc import Callable, Collection, Iterable
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.app import audit, catalogue, children, notifications
from fashion_forecast.app.plan import order_book, plan_to_date, position_warnings, reopen, settle
from fashion_forecast.constants import (
    MAX_MARKDOWN,
    MAX_ORDER_UNITS,
    SAFETY_STOCK_OVERRIDE_MAX,
    SAFETY_STOCK_OVERRIDE_MIN,
)
from fashion_forecast.domain.errors import DomainError, InvalidRequestError
from fashion_forecast.domain.exact import to_fraction
from fashion_forecast.domain.pricing import round_to_step
from fashion_forecast.domain.season import (
    check_history_length,
    default_season_start,
    season_offset,
)
from fashion_forecast.domain.variance import cumulative_variance
from fashion_forecast.models.approvals import (
    ApprovalAction,
    ApprovalKind,
    ApprovalRecord,
    ApprovalStatus,
    Decision,
)
from fashion_forecast.models.audit import AuditAction, EntityType
from fashion_forecast.models.events import ErrorEvent, HumanInputRequired, WorkflowComplete
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ForecastRecord,
    MarkdownRecord,
)
from fashion_forecast.models.identity import SYSTEM, Caller
from fashion_forecast.models.parameters import SeasonParameters, SeasonRequest
from fashion_forecast.models.sales import CategorySummary, VarianceRecord
from fashion_forecast.models.workflows import (
    PendingApproval,
    Workflow,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.ports import (
    ConflictError,
    Container,
    EventPage,
    GoneError,
    NotFoundError,
    Page,
    UnavailableError,
)

logger = Logger(service="fashion-forecast")

APPROVAL_PROGRESS = {
    ApprovalKind.MANUFACTURING: 80,
    ApprovalKind.MARKDOWN: 70,
    ApprovalKind.CLARIFICATION: 5,
}
# the status a workflow waits in for each kind of human input
WAITING_FOR = {
    ApprovalKind.MANUFACTURING: WorkflowStatus.AWAITING_APPROVAL,
    ApprovalKind.MARKDOWN: WorkflowStatus.AWAITING_APPROVAL,
    ApprovalKind.CLARIFICATION: WorkflowStatus.AWAITING_CLARIFICATION,
}


class InvalidDecisionError(InvalidRequestError):
    """A decision whose fields do not fit the approval it answers."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, details=[{"field": field, "message": message}])
        self.field = field


# -- start -----------------------------------------------------------------------------------


def start_workflow(
    c: Container,
    workflow_type: WorkflowType,
    category_id: str,
    payload: dict[str, Any],
    *,
    caller: Caller,
    workflow_id: str | None = None,
    claim: Callable[[str], None] | None = None,
) -> Workflow:
    """Store the workflow, then start its execution named after it (audited as started by
    `caller`). If the execution cannot be
    started the row is removed again, so a failed start leaves nothing behind (Unavailable).
    A caller that passes a deterministic `workflow_id` gets ConflictError on a duplicate.
    `claim(workflow_id)` runs between the row and the execution (a lock on what the workflow
    will change); if it raises, the row is removed and nothing starts."""
    workflow_id = workflow_id or c.ids.new_id()
    execution_input = {
        "workflow_id": workflow_id,
        "workflow_type": workflow_type.value,
        "category_id": category_id,
        **payload,
    }
    workflow = c.workflows.create(
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        category_id=category_id,
        input=execution_input,
    )
    if claim is not None:
        try:
            claim(workflow_id)
        except Exception:
            c.workflows.delete_pending(workflow_id)
            raise
    try:
        execution_arn = c.state_machine.start(workflow_id, execution_input)
    except (UnavailableError, ConflictError) as exc:
        c.workflows.delete_pending(workflow_id)
        logger.error("could not start execution", extra={"workflow_id": workflow_id})
        raise UnavailableError(f"Could not start workflow: {exc.message}") from exc
    # The execution may already have moved the workflow on; the ARN stays derivable from the id.
    try:
        workflow = c.workflows.set_fields(workflow_id, execution_arn=execution_arn)
    except ConflictError:
        workflow = c.workflows.get(workflow_id)
    audit.record(
        c,
        caller,
        AuditAction.WORKFLOW_STARTED,
        EntityType.WORKFLOW,
        workflow_id,
        {"workflow_type": workflow_type.value, "category_id": category_id, "input": payload},
    )
    logger.info("workflow started", extra={"workflow_id": workflow_id, "type": workflow_type})
    return workflow


def category_summary(c: Container, category_id: str) -> CategorySummary:
    """The category's history summary; a DomainError (422) for an unknown category or one with
    too little history to forecast."""
    try:
        summary = c.sales.category_summary(category_id)
    except NotFoundError as exc:
        known = ", ".join(c.sales.categories()) or "none"
        raise DomainError(
            f"no sales history for category {category_id} (known: {known}); upload its "
            "history first",
            details=[{"field": "category_id", "message": "no sales history"}],
        ) from exc
    check_history_length(summary.weeks, category_id)
    return summary


def season_for(c: Container, category_id: str, request: SeasonRequest) -> SeasonParameters:
    """The parameters a pre-season forecast of `category_id` runs with, checked against the
    category's history up front: an unknown category, too little history, or a season the
    history cannot reach is a DomainError (422) before anything is stored. Without a start
    date the season starts next Monday, or the Monday after the history's last week when next
    Monday is out of the forecaster's reach (docs/domain.md, "Season start")."""
    summary = category_summary(c, category_id)
    horizon = request.forecast_horizon_weeks
    start = request.season_start_date or default_season_start(
        summary.last_week, horizon, c.clock.now().date()
    )
    parameters = request.with_start(start)
    season_offset(summary.last_week, parameters.season_start_date, horizon)
    if not c.sales.store_attributes():
        raise DomainError(
            "no store attributes on record; upload the store attributes CSV first",
            details=[{"field": "category_id", "message": "no stores to allocate to"}],
        )
    return parameters


def start_forecast(
    c: Container, category_id: str, request: SeasonRequest, *, caller: Caller
) -> Workflow:
    """A pre-season forecast workflow (Demand -> Inventory -> approval), started by `caller`."""
    parameters = season_for(c, category_id, request)
    return start_workflow(
        c,
        WorkflowType.FORECAST,
        category_id,
        {"parameters": parameters.model_dump(mode="json")},
        caller=caller,
    )


FORECASTED_TOLERANCE = 0.5  # units a given plan week may differ by: rounding to whole units
VARIANCE_TOLERANCE = 0.0005  # a given variance_pct may differ by: rounding to 3 decimals


def start_reforecast(
    c: Container,
    forecast_id: str,
    *,
    actual_sales: list[int],
    forecasted: list[float] | None = None,
    remaining_weeks: int,
    variance_pct: float | None = None,
    caller: Caller,
) -> Workflow:
    """A manual re-forecast of a stored forecast from in-season actuals of weeks 1..n; n +
    remaining_weeks must be the season's horizon.

    In season only, by status (never by the calendar): the forecast's pre-season workflow has
    completed with its order approved (else 409 forecast_not_ready; a season whose pre-season
    workflow was rejected or cancelled is 409 season_cancelled). The product measures the
    actuals against the plan in effect (app.plan) and computes variance_pct itself, a
    fraction (0.255 = +25.5%); `forecasted` and `variance_pct`, when given, must agree with
    it (each week within 0.5 units, the variance within 0.0005) or the request is refused
    (422 plan_mismatch) before anything is stored.

    One re-plan per forecast at a time: while a re-forecast or markdown flow of the forecast is
    unfinished (pending, running or awaiting approval), or another manual re-forecast claims it
    at the same instant, this is ReplanInProgressError (409). The claim is a conditional write
    of the forecast record (its revision), so of two simultaneous requests exactly one
    starts."""
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    _check_in_season(c, forecast)
    horizon = forecast.parameters.forecast_horizon_weeks
    observed = len(actual_sales)
    if observed + remaining_weeks != horizon:
        raise InvalidRequestError(
            f"observed weeks ({observed}) + remaining_weeks ({remaining_weeks}) must equal "
            f"the forecast horizon ({horizon})",
            details=[{"field": "remaining_weeks", "message": f"expected {horizon - observed}"}],
        )
    plan, variance = _measure(forecast, actual_sales, forecasted, variance_pct)
    active = unfinished_replans(c, forecast)
    if active:
        raise ReplanInProgressError(forecast_id, active)

    def claim(workflow_id: str) -> None:
        """After the row exists (so a concurrent check finds it), before it starts."""
        try:
            c.records.replace(
                FORECAST,
                forecast_id,
                forecast.model_copy(
                    update={
                        "manual_replan_workflow_id": workflow_id,
                        "revision": forecast.revision + 1,
                    }
                ),
            )
        except ConflictError as exc:
            raise ReplanInProgressError(forecast_id, unfinished_replans(c, forecast)) from exc

    workflow = start_workflow(
        c,
        WorkflowType.REFORECAST,
        forecast.category_id,
        reforecast_payload(forecast, actual_sales, plan, variance),
        caller=caller,
        claim=claim,
    )
    audit.record(
        c,
        caller,
        AuditAction.REFORECAST_TRIGGERED,
        EntityType.WORKFLOW,
        workflow.workflow_id,
        {
            "trigger": "manual",
            "forecast_id": forecast_id,
            "weeks_observed": len(actual_sales),
            "variance_pct": variance,
        },
    )
    return workflow


class PlanMismatchError(InvalidRequestError):
    """A manual re-forecast's figures contradict the stored plan in effect."""

    code = "plan_mismatch"


def _check_in_season(c: Container, forecast: ForecastRecord) -> None:
    """The forecast's order was approved and its season was not cancelled, by status."""
    season = c.workflows.get(forecast.workflow_id)
    if season.status in {WorkflowStatus.CANCELLED, WorkflowStatus.FAILED}:
        raise ConflictError(
            f"the season of forecast {forecast.forecast_id} was {season.status.value} before "
            "its order was approved: there is nothing in season to re-forecast",
            code="season_cancelled",
            details=[{"field": "forecast_id", "message": f"season {season.status.value}"}],
        )
    approved = order_book(c, forecast).ordered_approved_qty
    if season.status is not WorkflowStatus.COMPLETED or approved < 1:
        raise ConflictError(
            f"forecast {forecast.forecast_id} is not in season yet: its workflow "
            f"{season.workflow_id} is {season.status.value}; a re-forecast needs the approved "
            "order",
            code="forecast_not_ready",
            details=[{"field": "forecast_id", "message": "order not approved yet"}],
        )


def _measure(
    forecast: ForecastRecord,
    actual_sales: list[int],
    forecasted: list[float] | None,
    variance_pct: float | None,
) -> tuple[list[float], float]:
    """The plan in effect for weeks 1..n and the variance of the actuals against it, checked
    against what the request says."""
    actuals = {i + 1: float(v) for i, v in enumerate(actual_sales)}
    n = len(actual_sales)
    measured = plan_to_date(forecast, actuals, n)
    plan = [round(v, 2) for v in measured.plan]
    result = cumulative_variance(actual_sales, measured.plan)
    problems = []
    if forecasted is not None:
        if len(forecasted) != n:
            problems.append(
                {
                    "field": "forecasted_week_1_to_n",
                    "message": f"has {len(forecasted)} weeks, actual_sales_week_1_to_n {n}",
                }
            )
        else:
            problems.extend(
                {
                    "field": f"forecasted_week_1_to_n.{week - 1}",
                    "message": f"week {week}: {given:g} given, the plan in effect (version "
                    f"{measured.version.version}) has {planned:g}",
                }
                for week, (given, planned) in enumerate(zip(forecasted, plan, strict=True), 1)
                if abs(to_fraction(given) - to_fraction(planned))
                > to_fraction(FORECASTED_TOLERANCE)
            )
    if variance_pct is not None and abs(variance_pct - result.variance) > VARIANCE_TOLERANCE:
        problems.append(
            {
                "field": "variance_pct",
                "message": f"{variance_pct:g} given; the actuals are {result.variance_rounded:g} "
                f"({result.display}) against the plan in effect: variance_pct is a fraction "
                "(0.255 = +25.5%)",
            }
        )
    if problems:
        raise PlanMismatchError(
            "the re-forecast's figures contradict the stored plan in effect (version "
            f"{measured.version.version}): " + "; ".join(p["message"] for p in problems),
            details=problems,
        )
    return plan, result.variance_rounded


class ReplanInProgressError(ConflictError):
    def __init__(self, forecast_id: str, active: list[str]) -> None:
        running = f" ({', '.join(active)})" if active else ""
        super().__init__(
            f"forecast {forecast_id} is being re-planned{running}; wait until that flow is "
            "decided or finished, then re-forecast again",
            code="replan_in_progress",
            details=[{"field": "forecast_id", "message": f"re-plan in progress{running}"}],
        )


def replan_flow_ids(forecast: ForecastRecord, rows: Iterable[VarianceRecord]) -> list[str]:
    """The forecast's re-forecast and markdown flows: those its variance rows started and its
    latest manual re-forecast."""
    started = [wid for r in rows for wid in (r.reforecast_workflow_id, r.markdown_workflow_id)]
    return list(dict.fromkeys(w for w in (*started, forecast.manual_replan_workflow_id) if w))


def flows_in(
    c: Container, workflow_ids: Iterable[str], statuses: Collection[WorkflowStatus]
) -> list[str]:
    """Those of `workflow_ids` whose workflow is in one of `statuses`; an id without a row (a
    start that failed after its claim, its row removed) is none of them."""
    found = []
    for workflow_id in workflow_ids:
        try:
            if c.workflows.get(workflow_id).status in statuses:
                found.append(workflow_id)
        except NotFoundError:
            continue
    return found


UNFINISHED = frozenset(s for s in WorkflowStatus if not s.is_terminal)


def unfinished_replans(c: Container, forecast: ForecastRecord) -> list[str]:
    """The forecast's re-forecast and markdown flows that are not finished."""
    rows = c.in_season.list_variance(forecast.forecast_id).values()
    return flows_in(c, replan_flow_ids(forecast, rows), UNFINISHED)


def reforecast_payload(
    forecast: ForecastRecord, actual_sales: list[int], forecasted: list[float], variance_pct: float
) -> dict[str, Any]:
    """The execution input of a re-forecast of `forecast` after weeks 1..len(actual_sales)."""
    return {
        "parameters": forecast.parameters.model_dump(mode="json"),
        "forecast_id": forecast.forecast_id,
        "actual_sales_week_1_to_n": actual_sales,
        "forecasted_week_1_to_n": forecasted,
        "remaining_weeks": forecast.parameters.forecast_horizon_weeks - len(actual_sales),
        "variance_pct": variance_pct,
    }


# -- read ------------------------------------------------------------------------------------


def get_workflow(c: Container, workflow_id: str) -> Workflow:
    return c.workflows.get(workflow_id)


def list_workflows(
    c: Container,
    *,
    status: WorkflowStatus | None = None,
    workflow_type: WorkflowType | None = None,
    category_id: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page[Workflow]:
    return c.workflows.list(
        status=status,
        workflow_type=workflow_type,
        category_id=category_id,
        limit=limit,
        cursor=cursor,
    )


def completed_workflow(c: Container, workflow_id: str) -> Workflow:
    """The workflow whose results are asked for; ConflictError until it has completed."""
    workflow = c.workflows.get(workflow_id)
    if workflow.status is not WorkflowStatus.COMPLETED:
        raise ConflictError(
            f"Workflow {workflow_id} is {workflow.status}; results exist once it has completed",
            details=[{"field": "status", "message": workflow.status.value}],
        )
    return workflow


def list_events(c: Container, workflow_id: str, since: int, limit: int) -> EventPage:
    """The workflow's progress events after `since` (NotFoundError for an unknown workflow)."""
    c.workflows.get(workflow_id)
    return c.event_log.after(workflow_id, since, limit)


# -- approvals -------------------------------------------------------------------------------


def current_approval(c: Container, workflow: Workflow, kind: ApprovalKind) -> ApprovalRecord:
    """The approval a decision on `workflow` would answer, if it still can be answered.

    ConflictError: no approval of this kind is waiting (none asked, already decided, cancelled,
    or the workflow is no longer waiting). GoneError: it expired.
    """
    pending = workflow.pending_approval
    approval_id = pending.approval_id if pending else workflow.last_approval_id
    if approval_id is None:
        raise ConflictError(f"workflow {workflow.workflow_id} has no pending approval")
    approval = c.approvals.get(approval_id)
    if approval.kind is not kind:
        raise ConflictError(
            f"workflow {workflow.workflow_id} is waiting for a {approval.kind.value} approval, "
            f"not {kind.value}"
        )
    now = c.clock.now()
    if approval.status is ApprovalStatus.PENDING and approval.expires_at <= now:
        expire_approval(c, approval.approval_id)
    if approval.status is ApprovalStatus.EXPIRED or approval.expires_at <= now:
        raise GoneError(
            f"the {kind.value} approval of workflow {workflow.workflow_id} expired",
            code="approval_expired",
        )
    if approval.status is not ApprovalStatus.PENDING:
        raise ConflictError(
            f"the {kind.value} approval of workflow {workflow.workflow_id} is already "
            f"{approval.status.value}"
        )
    if workflow.status is not WAITING_FOR[kind]:
        raise ConflictError(f"workflow {workflow.workflow_id} is {workflow.status}, not waiting")
    return approval


def last_decision(c: Container, workflow: Workflow) -> ApprovalRecord | None:
    """The workflow's latest approval once decided (it names its decider), else None."""
    if workflow.last_approval_id is None:
        return None
    try:
        approval = c.approvals.get(workflow.last_approval_id)
    except NotFoundError:
        return None
    return approval if approval.decision is not None else None


def expire_approval(c: Container, approval_id: str) -> None:
    """Mark a pending approval expired (no-op if it was decided or closed meanwhile)."""
    with contextlib.suppress(ConflictError):
        c.approvals.close(approval_id, ApprovalStatus.EXPIRED)


def build_decision(
    kind: ApprovalKind,
    action: ApprovalAction,
    decided_at: dt.datetime,
    *,
    approval_data: dict[str, Any] | None = None,
    safety_stock_pct: float | None = None,
    manufacturing_qty: int | None = None,
    markdown_pct: float | None = None,
    comment: str | None = None,
) -> Decision:
    """Validate the action's fields for this kind of approval. A manufacturing quantity may not
    be below the season demand the approval shows (`approval_data["season_demand"]`): the
    safety stock it implies would be negative."""
    if kind is ApprovalKind.MANUFACTURING and markdown_pct is not None:
        raise InvalidDecisionError("markdown_pct belongs to markdown approvals", "markdown_pct")
    if kind is ApprovalKind.MARKDOWN and (
        safety_stock_pct is not None or manufacturing_qty is not None
    ):
        raise InvalidDecisionError(
            "safety_stock_pct and manufacturing_qty belong to manufacturing approvals",
            "safety_stock_pct" if safety_stock_pct is not None else "manufacturing_qty",
        )
    overrides = [v for v in (safety_stock_pct, manufacturing_qty, markdown_pct) if v is not None]
    if action is ApprovalAction.MODIFY:
        if kind is ApprovalKind.MANUFACTURING and len(overrides) != 1:
            raise InvalidDecisionError(
                "modify needs exactly one of safety_stock_pct or manufacturing_qty",
                "safety_stock_pct",
            )
        if kind is ApprovalKind.MARKDOWN and markdown_pct is None:
            raise InvalidDecisionError("modify needs markdown_pct", "markdown_pct")
    elif overrides:
        raise InvalidDecisionError(f"{action.value} takes no override; use modify", "action")
    low, high = float(SAFETY_STOCK_OVERRIDE_MIN), float(SAFETY_STOCK_OVERRIDE_MAX)
    if safety_stock_pct is not None and not low <= safety_stock_pct <= high:
        raise InvalidDecisionError(
            f"safety_stock_pct must be within {low:.2f}..{high:.2f}", "safety_stock_pct"
        )
    if manufacturing_qty is not None:
        _check_quantity(manufacturing_qty, (approval_data or {}).get("season_demand"))
    if markdown_pct is not None and not 0 <= markdown_pct <= float(MAX_MARKDOWN):
        raise InvalidDecisionError(
            f"markdown_pct must be within 0..{float(MAX_MARKDOWN):.2f}", "markdown_pct"
        )
    cap = (approval_data or {}).get("max_markdown_pct")
    if (
        markdown_pct is not None
        and isinstance(cap, int | float)
        and round_to_step(to_fraction(markdown_pct)) > to_fraction(cap)
    ):
        raise InvalidDecisionError(
            f"markdown_pct {markdown_pct:g} would plan a stock-out: the lifted remaining demand "
            f"must fit the units still available (at most {cap:g})",
            "markdown_pct",
        )
    return Decision(
        action=action,
        safety_stock_pct=safety_stock_pct,
        manufacturing_qty=manufacturing_qty,
        markdown_pct=markdown_pct,
        comment=comment,
        decided_at=decided_at,
    )


def _check_quantity(quantity: int, season_demand: object) -> None:
    if quantity <= 0:
        raise InvalidDecisionError("manufacturing_qty must be positive", "manufacturing_qty")
    if quantity > MAX_ORDER_UNITS:
        raise InvalidDecisionError(
            f"manufacturing_qty must be at most {MAX_ORDER_UNITS:,}", "manufacturing_qty"
        )
    if isinstance(season_demand, int | float) and quantity < math.ceil(season_demand):
        raise InvalidDecisionError(
            f"manufacturing_qty {quantity:,} is below the season demand of "
            f"{math.ceil(season_demand):,} units; an order must cover the demand (set a "
            "safety stock of 10-50% instead to order less buffer)",
            "manufacturing_qty",
        )


def decide(
    c: Container, workflow_id: str, kind: ApprovalKind, *, caller: Caller, **fields: Any
) -> Workflow:
    """Record the decision once (conditional write), with who made it (`decided_by`, the
    caller's name), resume the workflow, then hand the decision to the waiting execution. A
    second decision is a ConflictError; an expired approval a GoneError; fields that do not fit
    the approval an InvalidDecisionError. A decision the execution does not take is undone:
    retried later when Step Functions was unreachable, expired when the task had already timed
    out there."""
    workflow = c.workflows.get(workflow_id)
    approval = current_approval(c, workflow, kind)
    decision = build_decision(
        kind, decided_at=c.clock.now(), approval_data=approval.data, **fields
    ).model_copy(update={"decided_by": caller.name})
    resumed = hand_over(c, workflow, approval, decision)
    audit.record(
        c,
        caller,
        AuditAction.APPROVAL_DECIDED,
        EntityType.WORKFLOW,
        workflow_id,
        decision_change(approval, decision),
    )
    logger.info(
        "approval decided",
        extra={
            "workflow_id": workflow_id,
            "kind": kind.value,
            "action": decision.action.value,
            "by": caller.name,
        },
    )
    return resumed


_DECIDED_FIELDS = {
    ApprovalKind.MANUFACTURING: ("safety_stock_pct", "manufacturing_qty"),
    ApprovalKind.MARKDOWN: ("markdown_pct",),
}


def hand_over(
    c: Container,
    workflow: Workflow,
    approval: ApprovalRecord,
    decision: Decision,
    output: dict[str, Any] | None = None,
    **fields: Any,
) -> Workflow:
    """Record `decision` on `approval` once (conditional write), resume the workflow (with
    `fields` set in the same write), then hand the decision (or `output`, when given) to the
    waiting execution as the task's result. A
    decision the execution does not take is undone: retried later when Step Functions was
    unreachable, expired when the task had already timed out there."""
    workflow_id = workflow.workflow_id
    waiting = WAITING_FOR[approval.kind]
    decided = c.approvals.decide(approval.approval_id, decision)
    try:
        resumed = c.workflows.transition(
            workflow_id, WorkflowStatus.RUNNING, expected=waiting, pending_approval=None, **fields
        )
    except ConflictError:
        _cancelled_meanwhile(c, decided)
        raise
    try:
        result = decision.model_dump(mode="json", exclude={"answers"}) if output is None else output
        c.state_machine.send_task_success(approval.task_token, result)
    except (UnavailableError, GoneError) as exc:
        # the execution did not take the decision: undo it, so the approval can be retried
        # (unreachable) or expires like any late one (the task timed out at Step Functions
        # before expires_at passed here; the timeout's fail step then finds it expired)
        try:
            c.workflows.transition(
                workflow_id,
                waiting,
                expected=WorkflowStatus.RUNNING,
                pending_approval=workflow.pending_approval,
                **{name: getattr(workflow, name) for name in fields},
            )
        except ConflictError:
            _cancelled_meanwhile(c, decided)
            raise ConflictError(f"workflow {workflow_id} was cancelled meanwhile") from exc
        c.approvals.reopen(decided)
        if isinstance(exc, GoneError):
            expire_approval(c, approval.approval_id)
        raise
    return resumed


def decision_change(approval: ApprovalRecord, decision: Decision) -> dict[str, Any]:
    """What a decision changed, for the audit trail: the values the approval proposed and the
    ones the decision set (the same on accept; reject sets none)."""
    fields = _DECIDED_FIELDS[approval.kind]
    before = {f: approval.data.get(f) for f in fields}
    if decision.action is ApprovalAction.MODIFY:
        set_now = {f: getattr(decision, f) for f in fields if getattr(decision, f) is not None}
        after = {**before, **set_now}
    elif decision.action is ApprovalAction.ACCEPT:
        after = dict(before)
    else:
        after = {}
    return {
        "approval_id": approval.approval_id,
        "kind": approval.kind.value,
        "action": decision.action.value,
        "before": before,
        "after": after,
        "comment": decision.comment,
    }


def _cancelled_meanwhile(c: Container, decided: ApprovalRecord) -> None:
    """A decision that lost to a cancel of its workflow never counts: its approval is closed
    as cancelled (the cancel fails the waiting task)."""
    c.approvals.reopen(decided)
    with contextlib.suppress(ConflictError):
        c.approvals.close(decided.approval_id, ApprovalStatus.CANCELLED)


def cancel(c: Container, workflow_id: str, *, caller: Caller) -> Workflow:
    """Cancel an unfinished workflow on behalf of `caller`. The status changes first (so a step
    failing because of the cancel finds it already cancelled and leaves it so); then a waiting
    approval's task is failed as well as the execution stopped: stopping alone can leave a
    callback wait running. If Step Functions cannot be reached the workflow stays cancelled and
    the execution ends at its next step or its approval timeout, finding the workflow
    cancelled."""
    workflow = c.workflows.get(workflow_id)
    if workflow.status.is_terminal:
        raise ConflictError(f"workflow {workflow_id} has already finished ({workflow.status})")
    waiting = None
    if workflow.pending_approval is not None:
        approval_id = workflow.pending_approval.approval_id
        try:
            waiting = c.approvals.close(approval_id, ApprovalStatus.CANCELLED)
        except ConflictError:
            # decided or expired meanwhile: the transition below decides; a decision still on
            # its way to the execution then finds its task failed (its token gone)
            current = c.approvals.get(approval_id)
            waiting = current if current.status is ApprovalStatus.DECIDED else None
    cancelled = c.workflows.transition(
        workflow_id,
        WorkflowStatus.CANCELLED,
        error_message="cancelled by user",
        pending_approval=None,
    )
    settle(c, cancelled, approved=False, reason="workflow cancelled by user")
    audit.record(
        c,
        caller,
        AuditAction.WORKFLOW_CANCELLED,
        EntityType.WORKFLOW,
        workflow_id,
        {"status_before": workflow.status.value},
    )
    c.publisher.publish(
        WorkflowComplete(workflow_id=workflow_id, status="cancelled", message="cancelled by user")
    )
    execution_arn = workflow.execution_arn or c.state_machine.execution_arn(workflow_id)
    try:
        if waiting is not None:
            c.state_machine.send_task_failure(
                waiting.task_token, error="WorkflowCancelled", cause="cancelled by user"
            )
        c.state_machine.stop(execution_arn, cause="cancelled by user")
    except UnavailableError:
        logger.warning("could not stop the execution", extra={"workflow_id": workflow_id})
    children.child_settled(c, cancelled)
    if workflow.workflow_type is WorkflowType.ASSORTMENT:
        _cancel_children(c, cancelled, caller=caller)
    logger.info("workflow cancelled", extra={"workflow_id": workflow_id, "by": caller.name})
    return cancelled


def _cancel_children(c: Container, parent: Workflow, *, caller: Caller) -> None:
    """An assortment plan's cancel cancels its unfinished categories; the ones not started yet
    never start (app/assortment.run_child finds the parent ended)."""
    ids = [child["workflow_id"] for child in parent.input.get("children", [])]
    for child in c.workflows.get_many(ids).values():
        if not child.status.is_terminal:
            with contextlib.suppress(ConflictError):  # it finished meanwhile
                cancel(c, child.workflow_id, caller=caller)


# -- the state machine's bookkeeping steps -----------------------------------------------------


def mark_running(c: Container, workflow_id: str) -> dict[str, Any]:
    c.workflows.transition(workflow_id, WorkflowStatus.RUNNING, expected=WorkflowStatus.PENDING)
    c.workflows.update_progress(workflow_id, current_agent=None, progress_pct=5)
    return {"workflow_id": workflow_id}


def approval_data(c: Container, kind: ApprovalKind, record_id: str) -> dict[str, Any]:
    """What the approver decides on: the allocation's order, or the markdown; for a
    clarification (`record_id` is the workflow's id) the questions and the parameters the
    extraction step stored."""
    if kind is ApprovalKind.CLARIFICATION:
        extraction = c.workflows.get(record_id).input["extraction"]
        return {"questions": extraction["questions"], "parameters": extraction["parameters"]}
    if kind is ApprovalKind.MANUFACTURING:
        allocation = c.records.get(ALLOCATION, record_id, AllocationRecord)
        data: dict[str, Any] = {
            "allocation_id": allocation.allocation_id,
            "season_demand": allocation.season_demand,
            "safety_stock_pct": allocation.safety_stock_pct,
            "manufacturing_qty": allocation.manufacturing_qty,
            "initial_allocation": allocation.initial_allocation,
            "holdback": allocation.holdback,
        }
        if allocation.risk is not None:
            data["risk"] = allocation.risk.model_dump(mode="json")
        if allocation.replan is not None:
            data["extra_order_qty"] = allocation.extra_order_qty
            for key in ("ordered_approved_qty", "units_on_hand", "required_qty", "warnings"):
                if key in allocation.replan:
                    data[key] = allocation.replan[key]
            # the total order once this extra is approved: every earlier approved order counts
            ordered = int(allocation.replan.get("ordered_approved_qty", 0))
            data["manufacturing_qty"] = ordered + allocation.extra_order_qty
        return data
    markdown = c.records.get(MARKDOWN, record_id, MarkdownRecord)
    return {
        "markdown_id": markdown.markdown_id,
        "checkpoint_week": markdown.checkpoint_week,
        "sell_through": markdown.sell_through,
        "sell_through_to_date": markdown.sell_through_to_date,
        "units_ordered_approved": markdown.manufacturing_qty,
        "remaining_forecast": markdown.remaining_forecast,
        "markdown_threshold_gap": markdown.gap,
        "recommended_markdown_pct": markdown.recommended_markdown_pct,
        "markdown_pct": markdown.markdown_pct,
        "max_markdown_pct": (
            float(MAX_MARKDOWN) if markdown.stock_cap_pct is None else markdown.stock_cap_pct
        ),
        "expected_lift": markdown.expected_lift,
        "reasoning": markdown.reasoning,
    }


def approval_message(kind: ApprovalKind, data: dict[str, Any]) -> str:
    """What the human_input_required event asks, in one line."""
    if kind is ApprovalKind.CLARIFICATION:
        count = len(data["questions"])
        return f"Answer {count} question{'s' if count != 1 else ''} to start the forecast"
    if kind is ApprovalKind.MARKDOWN:
        return (
            f"Approve a {data['markdown_pct']:.0%} markdown at week {data['checkpoint_week']} "
            f"(projected season-end sell-through {data['sell_through']:.0%})"
        )
    if "extra_order_qty" in data:
        # manufacturing_qty is the season's total once this extra is approved (approval_data)
        extra, total = data["extra_order_qty"], data["manufacturing_qty"]
        return (
            f"Approve an extra order of {extra:,} units "
            f"({total - extra:,} ordered and approved so far, {total:,} in all)"
        )
    return f"Approve the manufacturing order of {data['manufacturing_qty']:,} units"


def request_approval(
    c: Container,
    workflow_id: str,
    kind: ApprovalKind,
    record_id: str,
    task_token: str,
    timeout_seconds: int,
) -> dict[str, Any]:
    """Store the task token under a new approval id, mark the workflow awaiting approval (or
    clarification) and ask the human (human_input_required). The token never leaves the
    backend."""
    now = c.clock.now()
    approval = ApprovalRecord(
        approval_id=c.ids.new_id(),
        workflow_id=workflow_id,
        kind=kind,
        task_token=task_token,
        data=approval_data(c, kind, record_id),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=timeout_seconds),
    )
    if kind is ApprovalKind.CLARIFICATION:
        approval.options = []  # answered with answers, not with an action
    action = "clarification" if kind is ApprovalKind.CLARIFICATION else f"{kind.value}_approval"
    c.approvals.create(approval)
    pending = PendingApproval(
        approval_id=approval.approval_id,
        kind=kind.value,
        data=approval.data,
        options=approval.options,
        expires_at=approval.expires_at,
    )
    try:
        waiting = c.workflows.transition(
            workflow_id,
            WAITING_FOR[kind],
            expected=WorkflowStatus.RUNNING,
            pending_approval=pending,
            last_approval_id=approval.approval_id,
            current_agent="approval",
            progress_pct=APPROVAL_PROGRESS[kind],
        )
    except ConflictError:
        c.approvals.close(approval.approval_id, ApprovalStatus.CANCELLED)
        raise
    c.publisher.publish(
        HumanInputRequired(
            workflow_id=workflow_id,
            action=action,
            message=approval_message(kind, approval.data),
            approval_id=approval.approval_id,
            data=approval.data,
            options=approval.options,
            expires_at=approval.expires_at,
        )
    )
    notifications.paused(c, waiting, action, approval_message(kind, approval.data), approval.data)
    children.child_settled(c, waiting)
    return {"approval_id": approval.approval_id}


def summary(c: Container, workflow: Workflow) -> dict[str, Any]:
    """What GET /api/workflows/{id}/results shows next to the ids."""
    output: dict[str, Any] = {}
    if workflow.forecast_id:  # the version this workflow made, never a later one
        forecast = c.records.get(FORECAST, workflow.forecast_id, ForecastRecord)
        own = [v for v in forecast.versions if v.workflow_id == workflow.workflow_id]
        if own:
            output["total_season_demand"] = own[-1].total_demand
            output["forecast_version"] = own[-1].version
    if workflow.allocation_id:
        allocation = c.records.get(ALLOCATION, workflow.allocation_id, AllocationRecord)
        output["manufacturing_qty"] = allocation.manufacturing_qty
        output["initial_allocation"] = allocation.initial_allocation
        output["holdback"] = allocation.holdback
        output["safety_stock_pct"] = allocation.safety_stock_pct
        if allocation.replan is not None:
            output["extra_order_qty"] = allocation.extra_order_qty
            if "ordered_approved_qty" in allocation.replan:
                output["ordered_approved_qty"] = allocation.replan["ordered_approved_qty"]
        warnings = order_warnings(c, allocation)
        if warnings:
            output["warnings"] = warnings
    if workflow.markdown_id:
        markdown = c.records.get(MARKDOWN, workflow.markdown_id, MarkdownRecord)
        output["markdown_pct"] = markdown.markdown_pct
        output["expected_lift"] = markdown.expected_lift
    started = workflow.started_at or workflow.created_at
    output["duration_seconds"] = round((c.clock.now() - started).total_seconds(), 3)
    return output


def order_warnings(c: Container, allocation: AllocationRecord) -> list[str]:
    """Units an order would strand at the DC: a re-plan's outlook warnings, or for the
    pre-season order its holdback with no replenishment, or its replenishment plan's end
    stock (docs/domain.md, "Inventory position")."""
    if allocation.replan is not None:
        return list(allocation.replan.get("warnings", []))
    forecast = c.records.get(FORECAST, allocation.forecast_id, ForecastRecord)
    strategy = forecast.parameters.replenishment_strategy.value
    end = (allocation.replenishment or {}).get("dc_stock_end", allocation.holdback)
    return position_warnings(strategy, allocation.holdback, int(end), [])


def complete(c: Container, workflow_id: str) -> dict[str, Any]:
    """The workflow finished without a rejection: what it proposed is approved (its order,
    its curve version; a 0% markdown is not needed). The status changes first, so a cancel
    that won the race keeps its records rejected; a retry after the change settles again."""
    workflow = c.workflows.get(workflow_id)
    if workflow.status is WorkflowStatus.COMPLETED:
        settle(c, workflow, approved=True, reason=_APPROVED)
        return {"workflow_id": workflow_id, "output": workflow.output_data or {}}
    output = summary(c, workflow)
    completed = c.workflows.transition(
        workflow_id,
        WorkflowStatus.COMPLETED,
        expected=WorkflowStatus.RUNNING,
        output_data=output,
        current_agent=None,
        progress_pct=100,
    )
    settle(c, workflow, approved=True, reason=_APPROVED)
    children.child_settled(c, completed)
    c.publisher.publish(
        WorkflowComplete(
            workflow_id=workflow_id,
            status="completed",
            message="Workflow completed",
            duration_seconds=output.get("duration_seconds"),
            result=output,
        )
    )
    return {"workflow_id": workflow_id, "output": output}


_APPROVED = "accepted, or no approval needed"


def reject(c: Container, workflow_id: str, comment: str | None) -> dict[str, Any]:
    reason = "rejected by the approver" + (f": {comment}" if comment else "")
    workflow = c.workflows.transition(
        workflow_id,
        WorkflowStatus.CANCELLED,
        error_message=reason,
        pending_approval=None,
        current_agent=None,
    )
    settle(c, workflow, approved=False, reason=reason)
    c.publisher.publish(
        WorkflowComplete(workflow_id=workflow_id, status="cancelled", message=reason)
    )
    children.child_settled(c, workflow)
    return {"workflow_id": workflow_id}


def readable_error(error: dict[str, Any] | None, agent: str | None) -> str:
    """A Catch's {Error, Cause} -> one sentence a planner can read."""
    error = error or {}
    name = str(error.get("Error") or "Error")
    cause = error.get("Cause") or ""
    message = cause
    if isinstance(cause, str) and cause.startswith("{"):
        try:
            payload = json.loads(cause)
            message = payload.get("errorMessage") or cause
            name = payload.get("errorType") or name
        except json.JSONDecodeError:
            pass
    if name == "ApprovalTimedOut":
        return str(message or "no approval decision arrived in time")
    where = f"{agent} agent failed" if agent else "workflow failed"
    return f"{where}: {message or name} ({name})"[:1000]


def fail(
    c: Container,
    workflow_id: str,
    error: dict[str, Any] | None,
    *,
    execution_arn: str | None = None,
) -> dict[str, Any]:
    """Mark the workflow failed; a workflow that already finished (e.g. cancelled) is left as
    it is, and so is one a retry runs again in another execution than `execution_arn` (the
    failing one's late fail step must not fail the new attempt)."""
    workflow = c.workflows.get(workflow_id)
    current = workflow.execution_arn or c.state_machine.execution_arn(workflow_id)
    if execution_arn is not None and execution_arn != current:
        logger.info("fail step of an earlier attempt", extra={"workflow_id": workflow_id})
        return {"workflow_id": workflow_id, "status": workflow.status.value}
    message = readable_error(error, workflow.current_agent)
    if (error or {}).get("Error") == "ApprovalTimedOut" and workflow.last_approval_id:
        expire_approval(c, workflow.last_approval_id)
    if workflow.status.is_terminal:
        logger.info("workflow already finished", extra={"workflow_id": workflow_id})
        return {"workflow_id": workflow_id, "status": workflow.status.value}
    try:
        failed = c.workflows.transition(
            workflow_id, WorkflowStatus.FAILED, error_message=message, pending_approval=None
        )
    except ConflictError:
        logger.info("workflow finished meanwhile", extra={"workflow_id": workflow_id})
    else:
        settle(c, failed, approved=False, reason=f"workflow failed: {message}")
        audit.record(
            c,
            SYSTEM,
            AuditAction.WORKFLOW_FAILED,
            EntityType.WORKFLOW,
            workflow_id,
            {"status_before": workflow.status.value, "error_message": message},
        )
        notifications.failed(c, failed, message)
        c.publisher.publish(
            ErrorEvent(workflow_id=workflow_id, agent=workflow.current_agent, error_message=message)
        )
        children.child_settled(c, failed)
    return {"workflow_id": workflow_id, "status": "failed", "error_message": message}


# -- retry -----------------------------------------------------------------------------------


def execution_name(workflow_id: str, attempt: int) -> str:
    """The execution of attempt `attempt` (0: the first run, n: the n-th retry); every attempt
    has its own name, so the executions of earlier attempts stay readable."""
    return workflow_id if attempt == 0 else f"{workflow_id}-retry-{attempt}"


# the bookkeeping steps a retry does itself: where it resumes when one of them was the last
_BOOKKEEPING = {"MarkRunning": "RouteByType", "MarkFailed": None}


def failed_step(history: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """The last Task state an execution entered before it failed or stopped, and the state it
    entered with (the results of every step before it); None without one."""
    found: tuple[str, dict[str, Any]] | None = None
    for event in history:
        if event["type"] != "TaskStateEntered":
            continue
        details = event["stateEnteredEventDetails"]
        name = str(details["name"])
        if name in _BOOKKEEPING and _BOOKKEEPING[name] is None:
            continue
        found = (_BOOKKEEPING.get(name) or name, json.loads(details.get("input") or "{}"))
    return found


def _stored_point(c: Container, workflow: Workflow) -> tuple[str, dict[str, Any]]:
    """Where a workflow whose execution is gone (the local runtime after a restart) resumes,
    read from its stored records: the first step whose result is missing, else its approval;
    the state holds those results as the steps returned them."""
    state: dict[str, Any] = {**workflow.input, "override": {}}
    kind = workflow.workflow_type
    if workflow.forecast_id and kind is not WorkflowType.MARKDOWN:
        state["demand"] = {"forecast_id": workflow.forecast_id}
    if workflow.markdown_id:
        markdown = c.records.get(MARKDOWN, workflow.markdown_id, MarkdownRecord)
        state["pricing"] = {
            "markdown_id": markdown.markdown_id,
            "markdown_pct": markdown.markdown_pct,
        }
        return "NeedsMarkdown", state
    if kind is WorkflowType.MARKDOWN:
        return "Pricing", state
    if kind is WorkflowType.FORECAST and "parameters" not in workflow.input:
        return "ExtractParameters", state  # started from text, parameters not settled yet
    if "demand" not in state:
        return ("Demand" if kind is WorkflowType.FORECAST else "DemandReforecast"), state
    if not workflow.allocation_id:
        return ("Inventory" if kind is WorkflowType.FORECAST else "InventoryReplan"), state
    allocation = c.records.get(ALLOCATION, workflow.allocation_id, AllocationRecord)
    if kind is WorkflowType.REFORECAST:
        state["inventory"] = {
            "allocation_id": allocation.allocation_id,
            "extra_order_qty": allocation.extra_order_qty,
        }
        return "NeedsExtraOrder", state
    state["inventory"] = {
        "allocation_id": allocation.allocation_id,
        "manufacturing_qty": allocation.manufacturing_qty,
    }
    strategy = (workflow.input.get("parameters") or {}).get("replenishment_strategy")
    if strategy not in {None, "none"} and allocation.replenishment is None:
        return "Replenishment", state
    return "ManufacturingApproval", state


def resume_point(c: Container, workflow: Workflow) -> tuple[str, dict[str, Any]]:
    """The step a retry of `workflow` resumes at and the state it enters with: from its last
    execution's history (AWS and moto alike) the step that failed, with the state it had
    entered with; without that history, from the stored records (_stored_point)."""
    arn = workflow.execution_arn or c.state_machine.execution_arn(workflow.workflow_id)
    try:
        found = failed_step(c.state_machine.history(arn))
    except NotFoundError:
        found = None
    resumable = catalogue.resume_steps(c.state_machine.definition())
    step, state = found if found is not None else _stored_point(c, workflow)
    if step not in resumable:
        raise ConflictError(
            f"workflow {workflow.workflow_id} failed at {step}, where no retry can resume "
            f"(resumable: {', '.join(resumable)})",
            code="not_resumable",
        )
    state.pop("error", None)
    return step, state


def retry(c: Container, workflow_id: str, *, caller: Caller) -> Workflow:
    """Run a failed workflow again from the step that failed, keeping what the steps before it
    returned (the state it resumes with, see resume_point): a new execution of the same
    definition, named for the attempt, enters at `resume_from`. What the failure rejected is
    proposed again (plan.reopen). ConflictError unless the workflow failed (a second retry at
    the same moment loses the conditional write); audited as retried by `caller`."""
    workflow = c.workflows.get(workflow_id)
    if workflow.workflow_type is WorkflowType.ASSORTMENT:
        raise ConflictError(
            f"workflow {workflow_id} is an assortment plan, which is not retried: retry its "
            "failed categories' workflows, or start a plan of those categories",
            code="not_retryable",
            details=[{"field": "workflow_type", "message": "assortment"}],
        )
    if workflow.status is not WorkflowStatus.FAILED:
        raise ConflictError(
            f"workflow {workflow_id} is {workflow.status}; only a failed workflow can be retried",
            code="not_failed",
            details=[{"field": "status", "message": workflow.status.value}],
        )
    step, state = resume_point(c, workflow)
    attempt = workflow.retry_count + 1
    name = execution_name(workflow_id, attempt)
    resumed = c.workflows.transition(
        workflow_id,
        WorkflowStatus.RUNNING,
        expected=WorkflowStatus.FAILED,
        retry_count=attempt,
        execution_arn=c.state_machine.execution_arn(name),
        started_at=workflow.started_at or workflow.created_at,
        completed_at=None,
        error_message=None,
        current_agent=None,
    )
    reopen(c, resumed)
    try:
        c.state_machine.start(name, {**state, "workflow_id": workflow_id, "resume_from": step})
    except (UnavailableError, ConflictError) as exc:
        with contextlib.suppress(ConflictError):
            failed = c.workflows.transition(  # as it was: no attempt ran
                workflow_id,
                WorkflowStatus.FAILED,
                expected=WorkflowStatus.RUNNING,
                error_message=workflow.error_message,
                retry_count=workflow.retry_count,
                execution_arn=workflow.execution_arn,
                completed_at=workflow.completed_at,
            )
            settle(c, failed, approved=False, reason=f"workflow failed: {workflow.error_message}")
        raise UnavailableError(f"Could not retry workflow: {exc.message}") from exc
    audit.record(
        c,
        caller,
        AuditAction.WORKFLOW_RETRIED,
        EntityType.WORKFLOW,
        workflow_id,
        {"attempt": attempt, "resume_from": step, "error_before": workflow.error_message},
    )
    logger.info("workflow retried", extra={"workflow_id": workflow_id, "resume_from": step})
    return resumed


# -- restart ---------------------------------------------------------------------------------


def interrupt_unfinished(c: Container, reason: str) -> list[str]:
    """Fail every unfinished workflow (pending, running, awaiting approval or clarification)
    with `reason` as its error message; returns their ids. For a runtime whose executions did
    not survive a restart (the local runtime restores its table, but Step Functions executions
    and their task tokens lived in memory): without this they would wait forever. A waiting
    approval or clarification is marked expired (its token is gone), the execution is stopped
    in case it still exists, and the stream ends with an error event, as fail() does."""
    unfinished: list[Workflow] = []
    for status in sorted(UNFINISHED):
        cursor = None
        while True:  # every page first: the transitions below change what a filter matches
            page = c.workflows.list(status=status, limit=100, cursor=cursor)
            unfinished.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    interrupted = []
    for workflow in unfinished:
        if workflow.pending_approval is not None:
            expire_approval(c, workflow.pending_approval.approval_id)
        try:
            failed = c.workflows.transition(
                workflow.workflow_id,
                WorkflowStatus.FAILED,
                error_message=reason,
                pending_approval=None,
            )
        except ConflictError:
            logger.info("workflow finished meanwhile", extra={"workflow_id": workflow.workflow_id})
            continue
        settle(c, failed, approved=False, reason=f"workflow interrupted: {reason}")
        audit.record(
            c,
            SYSTEM,
            AuditAction.WORKFLOW_FAILED,
            EntityType.WORKFLOW,
            workflow.workflow_id,
            {"status_before": workflow.status.value, "error_message": reason},
        )
        notifications.failed(c, failed, reason)
        c.publisher.publish(
            ErrorEvent(
                workflow_id=workflow.workflow_id,
                agent=workflow.current_agent,
                error_message=reason,
            )
        )
        execution_arn = workflow.execution_arn or c.state_machine.execution_arn(
            workflow.workflow_id
        )
        with contextlib.suppress(UnavailableError):
            c.state_machine.stop(execution_arn, cause=reason)
        interrupted.append(workflow.workflow_id)
    logger.info("unfinished workflows interrupted", extra={"workflow_ids": interrupted})
    return interrupted
