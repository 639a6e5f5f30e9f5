"""Approval Lambda (invoked with waitForTaskToken): stores the token, asks the human (an
approval, or a clarification of a season started from text)."""

from typing import Any

from fashion_forecast.app import workflows
from fashion_forecast.handler import make_handler
from fashion_forecast.models.approvals import ApprovalKind
from fashion_forecast.ports import Container


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    kind = ApprovalKind(event["kind"])
    record = {
        ApprovalKind.MANUFACTURING: "allocation_id",
        ApprovalKind.MARKDOWN: "markdown_id",
        ApprovalKind.CLARIFICATION: "workflow_id",  # its questions live on the workflow row
    }[kind]
    return workflows.request_approval(
        c,
        str(event["workflow_id"]),
        kind,
        str(event[record]),
        task_token=str(event["task_token"]),
        timeout_seconds=int(event["timeout_seconds"]),
    )


handler = make_handler("approval", handle, count_metric="ApprovalSteps")
