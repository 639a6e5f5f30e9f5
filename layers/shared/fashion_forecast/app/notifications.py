"""What operators are told when a workflow pauses for a human or fails: one SNS message
naming the workflow, what is asked, the key numbers and a link to the front end's page for it.
Task tokens never appear in it (they never leave the approval record)."""

from __future__ import annotations

from typing import Any

from fashion_forecast.models.workflows import Workflow
from fashion_forecast.ports import Container

PAUSED = "human_input_required"
FAILED = "workflow_failed"


def link(c: Container, workflow_id: str) -> str:
    """The front end's page of the workflow (its path alone without a configured base)."""
    return f"{c.settings.frontend_base_url.rstrip('/')}/workflows/{workflow_id}"


def key_numbers(data: dict[str, Any]) -> dict[str, int | float]:
    """The numbers of what is asked (ids and text left out)."""
    return {k: v for k, v in data.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _message(c: Container, workflow: Workflow, event: str, asked: str) -> dict[str, Any]:
    return {
        "event": event,
        "workflow_id": workflow.workflow_id,
        "workflow_type": workflow.workflow_type.value,
        "category_id": workflow.category_id,
        "asked": asked,
        "link": link(c, workflow.workflow_id),
    }


def paused(c: Container, workflow: Workflow, action: str, asked: str, data: dict[str, Any]) -> bool:
    """A workflow waits for a human (`action`: manufacturing_approval,
    markdown_approval, clarification)."""
    message = {
        **_message(c, workflow, PAUSED, asked),
        "action": action,
        "key_numbers": key_numbers(data),
    }
    subject = f"Fashion Forecast: {workflow.workflow_type.value} {workflow.category_id} waits"
    return c.notifier.notify(subject, message)


def failed(c: Container, workflow: Workflow, error_message: str) -> bool:
    message = _message(c, workflow, FAILED, "nothing: the workflow failed")
    message["error_message"] = error_message
    subject = f"Fashion Forecast: {workflow.workflow_type.value} {workflow.category_id} failed"
    return c.notifier.notify(subject, message)
