"""Workflow bookkeeping Lambda: the state machine's start, extract, complete, reject and fail
steps."""

from typing import Any

from fashion_forecast.app import clarification, workflows
from fashion_forecast.handler import make_handler
from fashion_forecast.ports import Container


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    action = event.get("action")
    workflow_id = str(event["workflow_id"])
    if action == "start":
        return workflows.mark_running(c, workflow_id)
    if action == "extract":
        return clarification.extract_step(c, workflow_id)
    if action == "complete":
        return workflows.complete(c, workflow_id)
    if action == "reject":
        return workflows.reject(c, workflow_id, event.get("comment"))
    if action == "fail":
        return workflows.fail(
            c, workflow_id, event.get("error"), execution_arn=event.get("execution_arn")
        )
    raise ValueError(f"unknown workflow action {action!r}")


handler = make_handler("workflow", handle, count_metric="WorkflowSteps")
