"""Workflow endpoints: start forecast and re-forecast workflows, read, list, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from fastapi import APIRouter, Depends, Path, Query

from fashion_forecast.adapters.errors import ConflictError, UnavailableError
from fashion_forecast.adapters.workflow_store import InvalidCursorError
from fashion_forecast.api.deps import get_services
from fashion_forecast.api.errors import ApiError, Conflict, ErrorResponse
from fashion_forecast.api.schemas import (
    ID_PATTERN,
    ForecastWorkflowRequest,
    ReforecastWorkflowRequest,
    WorkflowCreated,
    WorkflowList,
    WorkflowResults,
    WorkflowView,
)
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.orchestration import cancel, start_workflow
from fashion_forecast.services import Services

metrics = Metrics(namespace="FashionForecast", service="api")

router = APIRouter(prefix="/api/workflows", tags=["workflows"])

WorkflowId = Annotated[str, Path(pattern=ID_PATTERN, description="Workflow id")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown workflow"},
    409: {"model": ErrorResponse, "description": "Not allowed in the workflow's current status"},
    422: {"model": ErrorResponse, "description": "Invalid request"},
    503: {"model": ErrorResponse, "description": "DynamoDB or Step Functions unavailable"},
}


def _start(
    services: Services,
    workflow_type: WorkflowType,
    category_id: str,
    payload: dict[str, Any],
) -> WorkflowCreated:
    try:
        workflow = start_workflow(services, workflow_type, category_id, payload)
    except (UnavailableError, ConflictError) as exc:
        raise ApiError(503, "service_unavailable", f"Could not start workflow: {exc}") from exc
    metrics.add_metric(name="WorkflowsStarted", unit=MetricUnit.Count, value=1)
    socket = services.settings.websocket_url
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
)
def start_forecast(
    body: ForecastWorkflowRequest, services: Services = Depends(get_services)
) -> WorkflowCreated:
    return _start(
        services,
        WorkflowType.FORECAST,
        body.category_id,
        {"parameters": body.parameters.model_dump(mode="json")},
    )


@router.post(
    "/reforecast",
    status_code=201,
    response_model=WorkflowCreated,
    responses=_ERRORS,
    summary="Start a re-forecast of an existing forecast from in-season actuals",
)
def start_reforecast(
    body: ReforecastWorkflowRequest, services: Services = Depends(get_services)
) -> WorkflowCreated:
    forecast = services.records.get(FORECAST, body.forecast_id, ForecastRecord)
    horizon = forecast.parameters.forecast_horizon_weeks
    observed = len(body.actual_sales_week_1_to_n)
    if observed + body.remaining_weeks != horizon:
        raise ApiError(
            422,
            "validation_error",
            f"observed weeks ({observed}) + remaining_weeks ({body.remaining_weeks}) must equal "
            f"the forecast horizon ({horizon})",
            [{"field": "remaining_weeks", "message": f"expected {horizon - observed}"}],
        )
    return _start(
        services,
        WorkflowType.REFORECAST,
        forecast.category_id,
        {
            "parameters": forecast.parameters.model_dump(mode="json"),
            "forecast_id": body.forecast_id,
            "actual_sales_week_1_to_n": body.actual_sales_week_1_to_n,
            "forecasted_week_1_to_n": body.forecasted_week_1_to_n,
            "remaining_weeks": body.remaining_weeks,
            "variance_pct": body.variance_pct,
        },
    )


@router.get(
    "",
    response_model=WorkflowList,
    responses={422: _ERRORS[422], 503: _ERRORS[503]},
    summary="List workflows, newest first",
)
def list_workflows(
    services: Services = Depends(get_services),
    status: WorkflowStatus | None = None,
    workflow_type: WorkflowType | None = None,
    category_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> WorkflowList:
    try:
        page = services.workflows.list(
            status=status,
            workflow_type=workflow_type,
            category_id=category_id,
            limit=limit,
            cursor=cursor,
        )
    except InvalidCursorError as exc:
        raise ApiError(
            422, "invalid_cursor", "cursor is not valid", [{"field": "cursor", "message": str(exc)}]
        ) from exc
    return WorkflowList(
        items=[WorkflowView.of(w) for w in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{workflow_id}",
    response_model=WorkflowView,
    responses={404: _ERRORS[404], 422: _ERRORS[422], 503: _ERRORS[503]},
    summary="Status and progress of a workflow",
)
def get_workflow(
    workflow_id: WorkflowId, services: Services = Depends(get_services)
) -> WorkflowView:
    return WorkflowView.of(services.workflows.get(workflow_id))


@router.get(
    "/{workflow_id}/results",
    response_model=WorkflowResults,
    responses=_ERRORS,
    summary="Results of a completed workflow (409 until it has completed)",
)
def get_results(
    workflow_id: WorkflowId, services: Services = Depends(get_services)
) -> WorkflowResults:
    workflow = services.workflows.get(workflow_id)
    if workflow.status is not WorkflowStatus.COMPLETED:
        raise Conflict(
            f"Workflow {workflow_id} is {workflow.status}; results exist once it has completed",
            [{"field": "status", "message": workflow.status.value}],
        )
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
    workflow_id: WorkflowId, services: Services = Depends(get_services)
) -> WorkflowView:
    return WorkflowView.of(cancel(services, workflow_id))
