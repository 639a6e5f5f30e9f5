"""Approval Lambda (invoked with waitForTaskToken): stores the token, asks the human."""

from typing import Any

from fashion_forecast.app import workflows
from fashion_forecast.handler import make_handler
from fashion_forecast.models.approvals import ApprovalKind
from fashion_forecast.ports import Container


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    kind = ApprovalKind(event["kind"])
    record = "allocation_id" if kind is ApprovalKind.MANUFACTURING else "markdown_id"
    return workflows.request_approval(
        c,
        str(event["workflow_id"]),
        kind,
        str(event[record]),
        task_token=str(event["task_token"]),
        timeout_seconds=int(event["timeout_seconds"]),
    )


handler = make_handler("approval", handle, count_metric="ApprovalSteps")
