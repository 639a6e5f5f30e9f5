"""Workflow bookkeeping Lambda: the state machine's start, extract, complete, reject and fail
steps, and an assortment plan's run_child (a Map iteration) and finish_assortment."""

from typing import Any

from fashion_forecast.app import assortment, clarification, workflows
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
    if action == "run_child":
        return assortment.run_child(c, workflow_id, event["child"], str(event["task_token"]))
    if action == "finish_assortment":
        return assortment.finish(c, workflow_id)
    if action == "fail":
        return workflows.fail(
            c, workflow_id, event.get("error"), execution_arn=event.get("execution_arn")
        )
    raise ValueError(f"unknown workflow action {action!r}")


handler = make_handler("workflow", handle, count_metric="WorkflowSteps")
