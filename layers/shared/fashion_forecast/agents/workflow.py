"""Workflow bookkeeping steps of the state machine: start, complete, reject, fail."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.adapters.errors import ConflictError
from fashion_forecast.models.events import ErrorEvent, WorkflowComplete
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ForecastRecord,
    MarkdownRecord,
)
from fashion_forecast.models.workflows import Workflow, WorkflowStatus
from fashion_forecast.orchestration import expire_approval
from fashion_forecast.services import Services

logger = Logger(service="fashion-forecast-workflow")


def start(services: Services, workflow_id: str) -> dict[str, Any]:
    services.workflows.transition(
        workflow_id, WorkflowStatus.RUNNING, expected=WorkflowStatus.PENDING
    )
    services.workflows.update_progress(workflow_id, current_agent=None, progress_pct=5)
    return {"workflow_id": workflow_id}


def summary(services: Services, workflow: Workflow) -> dict[str, Any]:
    """What GET /api/workflows/{id}/results shows next to the ids."""
    output: dict[str, Any] = {}
    if workflow.forecast_id:
        forecast = services.records.get(FORECAST, workflow.forecast_id, ForecastRecord)
        output["total_season_demand"] = forecast.total_demand
        output["forecast_version"] = forecast.version
    if workflow.allocation_id:
        allocation = services.records.get(ALLOCATION, workflow.allocation_id, AllocationRecord)
        output["manufacturing_qty"] = allocation.manufacturing_qty
        output["initial_allocation"] = allocation.initial_allocation
        output["holdback"] = allocation.holdback
        output["safety_stock_pct"] = allocation.safety_stock_pct
        if allocation.replan is not None:
            output["extra_order_qty"] = allocation.extra_order_qty
    if workflow.markdown_id:
        markdown = services.records.get(MARKDOWN, workflow.markdown_id, MarkdownRecord)
        output["markdown_pct"] = markdown.markdown_pct
        output["expected_lift"] = markdown.expected_lift
    started = workflow.started_at or workflow.created_at
    output["duration_seconds"] = round((utcnow() - started).total_seconds(), 3)
    return output


def complete(services: Services, workflow_id: str) -> dict[str, Any]:
    workflow = services.workflows.get(workflow_id)
    output = summary(services, workflow)
    services.workflows.transition(
        workflow_id,
        WorkflowStatus.COMPLETED,
        expected=WorkflowStatus.RUNNING,
        output_data=output,
        current_agent=None,
        progress_pct=100,
    )
    services.events.publish(
        WorkflowComplete(
            workflow_id=workflow_id,
            status="completed",
            message="Workflow completed",
            duration_seconds=output.get("duration_seconds"),
            result=output,
        )
    )
    return {"workflow_id": workflow_id, "output": output}


def reject(services: Services, workflow_id: str, comment: str | None) -> dict[str, Any]:
    reason = "rejected by the approver" + (f": {comment}" if comment else "")
    services.workflows.transition(
        workflow_id,
        WorkflowStatus.CANCELLED,
        error_message=reason,
        pending_approval=None,
        current_agent=None,
    )
    services.events.publish(
        WorkflowComplete(workflow_id=workflow_id, status="cancelled", message=reason)
    )
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
        return str(message)
    where = f"{agent} agent failed" if agent else "workflow failed"
    return f"{where}: {message or name} ({name})"[:1000]


def fail(services: Services, workflow_id: str, error: dict[str, Any] | None) -> dict[str, Any]:
    """Mark the workflow failed; a workflow that already finished (e.g. cancelled) is left as
    it is."""
    workflow = services.workflows.get(workflow_id)
    message = readable_error(error, workflow.current_agent)
    if (error or {}).get("Error") == "ApprovalTimedOut" and workflow.last_approval_id:
        expire_approval(services, workflow.last_approval_id)
    if workflow.status.is_terminal:
        logger.info("workflow already finished", extra={"workflow_id": workflow_id})
        return {"workflow_id": workflow_id, "status": workflow.status.value}
    try:
        services.workflows.transition(
            workflow_id, WorkflowStatus.FAILED, error_message=message, pending_approval=None
        )
    except ConflictError:
        logger.info("workflow finished meanwhile", extra={"workflow_id": workflow_id})
    else:
        services.events.publish(
            ErrorEvent(workflow_id=workflow_id, agent=workflow.current_agent, error_message=message)
        )
    return {"workflow_id": workflow_id, "status": "failed", "error_message": message}


def handle(services: Services, event: dict[str, Any]) -> dict[str, Any]:
    action = event.get("action")
    workflow_id = str(event["workflow_id"])
    if action == "start":
        return start(services, workflow_id)
    if action == "complete":
        return complete(services, workflow_id)
    if action == "reject":
        return reject(services, workflow_id, event.get("comment"))
    if action == "fail":
        return fail(services, workflow_id, event.get("error"))
    raise ValueError(f"unknown workflow action {action!r}")
