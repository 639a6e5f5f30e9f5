"""Workflow endpoints: start forecast and re-forecast workflows, read, list, cancel, answer a
clarification."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from fastapi import APIRouter, Depends, Path, Query

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ApiError, ErrorResponse
from fashion_forecast.api.management_schemas import AuditList, StepView, WorkflowSteps
from fashion_forecast.api.schemas import (
    ClarificationAnswers,
    ForecastWorkflowRequest,
    ReforecastWorkflowRequest,
    WorkflowCreated,
    WorkflowList,
    WorkflowResults,
    WorkflowView,
)
from fashion_forecast.app import assortment, audit, children, clarification, steps, workflows
from fashion_forecast.constants import CATEGORY_ID_PATTERN, ID_PATTERN
from fashion_forecast.extraction.models import MAX_TEXT_CHARS
from fashion_forecast.models.identity import Caller, Role
from fashion_forecast.models.inputs import WholeText
from fashion_forecast.models.parameters import SeasonRequest
from fashion_forecast.models.workflows import Workflow, WorkflowStatus, WorkflowType
from fashion_forecast.ports import Container

metrics = Metrics(namespace="FashionForecast", service="api")

router = APIRouter(prefix="/api/workflows", tags=["workflows"])

WorkflowId = Annotated[str, Path(pattern=ID_PATTERN, description="Workflow id")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown workflow"},
    409: {"model": ErrorResponse, "description": "Not allowed in the workflow's current status"},
    422: {"model": ErrorResponse, "description": "Invalid request"},
    503: {"model": ErrorResponse, "description": "DynamoDB or Step Functions unavailable"},
}


def _created(c: Container, workflow: Workflow) -> WorkflowCreated:
    metrics.add_metric(name="WorkflowsStarted", unit=MetricUnit.Count, value=1)
    socket = c.settings.websocket_url
    return WorkflowCreated(
        workflow_id=workflow.workflow_id,
        status=WorkflowStatus.PENDING,
        websocket_url=f"{socket}?workflow_id={workflow.workflow_id}" if socket else None,
    )


@router.post(
    "/forecast",
    status_code=201,
    response_model=WorkflowCreated,
    responses=_ERRORS,
    summary="Start a pre-season forecast workflow",
    description="The category must have at least 26 weeks of sales history and the season "
    "must be reachable from it (start after the history's last week, end within 52 weeks of "
    "it): otherwise 422 before anything is stored. Without `season_start_date` the season "
    "starts next Monday, or the Monday after the history's last week when next Monday is "
    "out of reach. With `text` instead of `parameters` the flow extracts the parameters "
    "first; when the text leaves the start date or the horizon open (or the extraction asks "
    "something) the workflow pauses `awaiting_clarification` until POST "
    "/api/workflows/{id}/clarification answers. With `category_ids` (or `all_categories`) "
    "instead of `category_id`: an assortment plan, one parent workflow (type `assortment`) "
    "whose Map runs each category's pre-season forecast as a child workflow with its own "
    "approval; GET /api/workflows/{parent} lists the children with their status and numbers. "
    "A failed category does not fail the others.",
)
def start_forecast(
    body: ForecastWorkflowRequest,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> WorkflowCreated:
    parameters = body.parameters or SeasonRequest()
    if body.category_id is None:
        return _created(c, assortment.start(c, body.category_ids, parameters, caller=caller))
    if body.text is None:
        return _created(c, workflows.start_forecast(c, body.category_id, parameters, caller=caller))
    if len(body.text) > MAX_TEXT_CHARS:
        raise ApiError(
            413,
            "payload_too_large",
            f"text is {len(body.text)} characters; the limit is {MAX_TEXT_CHARS}",
            details=[{"field": "text", "message": f"at most {MAX_TEXT_CHARS} characters"}],
        )
    return _created(c, clarification.start_from_text(c, body.category_id, body.text, caller=caller))


@router.post(
    "/reforecast",
    status_code=201,
    response_model=WorkflowCreated,
    responses={
        **_ERRORS,
        404: {"model": ErrorResponse, "description": "Unknown forecast"},
        409: {
            "model": ErrorResponse,
            "description": "replan_in_progress: a re-forecast or markdown flow of this "
            "forecast is unfinished (pending, running or awaiting approval); "
            "forecast_not_ready: its pre-season order is not approved yet; season_cancelled: "
            "its pre-season workflow was rejected, cancelled or failed",
        },
        422: {
            "model": ErrorResponse,
            "description": "Invalid request; plan_mismatch: forecasted_week_1_to_n or "
            "variance_pct contradict the stored plan in effect",
        },
    },
    summary="Start a re-forecast of an existing forecast from in-season actuals",
    description="Only in season, decided by status (never by the calendar): the forecast's "
    "order was approved and its season not cancelled. The actuals are measured against the "
    "plan in effect (the latest version whose order was approved or needed no approval); the "
    "product computes variance_pct, a fraction, and the re-forecast moves the plan in effect's "
    "remaining weeks.",
)
def start_reforecast(
    body: ReforecastWorkflowRequest,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> WorkflowCreated:
    workflow = workflows.start_reforecast(
        c,
        body.forecast_id,
        actual_sales=body.actual_sales_week_1_to_n,
        forecasted=body.forecasted_week_1_to_n,
        remaining_weeks=body.remaining_weeks,
        variance_pct=body.variance_pct,
        caller=caller,
    )
    return _created(c, workflow)


@router.get(
    "",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=WorkflowList,
    responses={422: _ERRORS[422], 503: _ERRORS[503]},
    summary="List workflows, newest first",
)
def list_workflows(
    c: Container = Depends(get_container),
    status: WorkflowStatus | None = None,
    workflow_type: WorkflowType | None = None,
    category_id: Annotated[str | None, Query(pattern=CATEGORY_ID_PATTERN)] = None,
    limit: Annotated[WholeText, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> WorkflowList:
    page = workflows.list_workflows(
        c,
        status=status,
        workflow_type=workflow_type,
        category_id=category_id,
        limit=limit,
        cursor=cursor,
    )
    return WorkflowList(
        items=[WorkflowView.of(w) for w in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{workflow_id}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=WorkflowView,
    responses={404: _ERRORS[404], 422: _ERRORS[422], 503: _ERRORS[503]},
    summary="Status and progress of a workflow",
)
def get_workflow(workflow_id: WorkflowId, c: Container = Depends(get_container)) -> WorkflowView:
    workflow = workflows.get_workflow(c, workflow_id)
    plan = None
    if workflow.workflow_type is WorkflowType.ASSORTMENT:
        plan = children.children_view(c, workflow)
    return WorkflowView.of(workflow, workflows.last_decision(c, workflow), plan)


@router.get(
    "/{workflow_id}/results",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=WorkflowResults,
    responses=_ERRORS,
    summary="Results of a completed workflow (409 until it has completed)",
)
def get_results(workflow_id: WorkflowId, c: Container = Depends(get_container)) -> WorkflowResults:
    workflow = workflows.completed_workflow(c, workflow_id)
    return WorkflowResults(
        workflow_id=workflow.workflow_id,
        status=workflow.status,
        forecast_id=workflow.forecast_id,
        allocation_id=workflow.allocation_id,
        markdown_id=workflow.markdown_id,
        output_data=workflow.output_data or {},
    )


@router.post(
    "/{workflow_id}/cancel",
    response_model=WorkflowView,
    responses=_ERRORS,
    summary="Cancel an unfinished workflow (409 once it has finished)",
)
def cancel_workflow(
    workflow_id: WorkflowId,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> WorkflowView:
    return WorkflowView.of(workflows.cancel(c, workflow_id, caller=caller))


@router.post(
    "/{workflow_id}/clarification",
    response_model=WorkflowView,
    responses={
        **_ERRORS,
        409: {"model": ErrorResponse, "description": "No clarification waiting, or answered"},
        410: {"model": ErrorResponse, "description": "The clarification expired"},
        422: {
            "model": ErrorResponse,
            "description": "An unknown or unanswered question, an answer that does not parse, "
            "or a season the rules refuse: the pause stays",
        },
    },
    summary="Answer the questions of a workflow awaiting clarification",
    description="A planner action, once per pause. Each answer is parsed into its question's "
    "field (a date as YYYY-MM-DD, weeks as a whole number); the answers to questions without "
    "a field are read again with the original text. The merged parameters are validated like "
    "a direct request's and the workflow runs on with them.",
)
def answer_clarification(
    workflow_id: WorkflowId,
    body: ClarificationAnswers,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> WorkflowView:
    return WorkflowView.of(clarification.answer(c, workflow_id, body.answers, caller=caller))


@router.post(
    "/{workflow_id}/retry",
    response_model=WorkflowView,
    responses=_ERRORS,
    summary="Resume a failed workflow from the step that failed (409 unless it failed)",
    description="A planner action. Runs the workflow again from the step that failed (or was "
    "running when the local runtime restarted), keeping the results of the steps that had "
    "succeeded: they are not run again. The workflow is running again with `retry_count` one "
    "higher; what its failure rejected (allocation, markdown, curve version) is proposed "
    "again. 409 `not_failed` unless the workflow failed.",
)
def retry_workflow(
    workflow_id: WorkflowId,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),  # planner action
) -> WorkflowView:
    return WorkflowView.of(workflows.retry(c, workflow_id, caller=caller))


@router.get(
    "/{workflow_id}/steps",
    response_model=WorkflowSteps,
    responses={404: _ERRORS[404], 422: _ERRORS[422], 503: _ERRORS[503]},
    summary="Every state the workflow's executions entered and left",
    dependencies=[Depends(requires(Role.VIEWER))],
    description="From the execution history (GetExecutionHistory): each state with its start, "
    "end, duration, outcome (succeeded, failed, cancelled, running), Task attempts and last "
    "error, joined with the progress events the event log recorded while it ran. A retried "
    "workflow lists the steps of every attempt in order, each with its `attempt` (0 the first "
    "run, n the n-th retry); an attempt whose execution no longer exists (the local runtime "
    "restarted) lists none.",
)
def get_steps(workflow_id: WorkflowId, c: Container = Depends(get_container)) -> WorkflowSteps:
    workflow = workflows.get_workflow(c, workflow_id)
    return WorkflowSteps(
        workflow_id=workflow_id,
        status=workflow.status.value,
        steps=[StepView.model_validate(s) for s in steps.workflow_steps(c, workflow_id)],
    )


@router.get(
    "/{workflow_id}/audit",
    response_model=AuditList,
    responses={404: _ERRORS[404], 422: _ERRORS[422], 503: _ERRORS[503]},
    summary="The workflow's audit trail, newest first",
    dependencies=[Depends(requires(Role.VIEWER))],
)
def get_workflow_audit(
    workflow_id: WorkflowId,
    c: Container = Depends(get_container),
    limit: Annotated[WholeText, Query(ge=1, le=audit.MAX_AUDIT_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AuditList:
    page = audit.workflow_entries(c, workflow_id, limit=limit, cursor=cursor)
    return AuditList(items=page.items, next_cursor=page.next_cursor)
