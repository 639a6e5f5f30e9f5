"""The approval step: store the task token under an approval id and wait for a human."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.adapters.errors import ConflictError
from fashion_forecast.models.approvals import ApprovalKind, ApprovalRecord, ApprovalStatus
from fashion_forecast.models.events import HumanInputRequired
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    MARKDOWN,
    AllocationRecord,
    MarkdownRecord,
)
from fashion_forecast.models.workflows import PendingApproval, WorkflowStatus
from fashion_forecast.services import Services

PROGRESS = {ApprovalKind.MANUFACTURING: 80, ApprovalKind.MARKDOWN: 70}


def approval_data(services: Services, kind: ApprovalKind, event: dict[str, Any]) -> dict[str, Any]:
    """What the approver decides on."""
    if kind is ApprovalKind.MANUFACTURING:
        allocation = services.records.get(ALLOCATION, str(event["allocation_id"]), AllocationRecord)
        data: dict[str, Any] = {
            "allocation_id": allocation.allocation_id,
            "season_demand": allocation.season_demand,
            "safety_stock_pct": allocation.safety_stock_pct,
            "manufacturing_qty": allocation.manufacturing_qty,
            "initial_allocation": allocation.initial_allocation,
            "holdback": allocation.holdback,
        }
        if allocation.replan is not None:
            data["extra_order_qty"] = allocation.extra_order_qty
        return data
    markdown = services.records.get(MARKDOWN, str(event["markdown_id"]), MarkdownRecord)
    return {
        "markdown_id": markdown.markdown_id,
        "checkpoint_week": markdown.checkpoint_week,
        "sell_through": markdown.sell_through,
        "markdown_threshold_gap": markdown.gap,
        "recommended_markdown_pct": markdown.recommended_markdown_pct,
        "markdown_pct": markdown.markdown_pct,
        "expected_lift": markdown.expected_lift,
        "reasoning": markdown.reasoning,
    }


def approval_message(kind: ApprovalKind, data: dict[str, Any]) -> str:
    """What the human_input_required event asks, in one line."""
    if kind is ApprovalKind.MARKDOWN:
        return (
            f"Approve a {data['markdown_pct']:.0%} markdown at week {data['checkpoint_week']} "
            f"(sell-through {data['sell_through']:.0%})"
        )
    if "extra_order_qty" in data:
        return f"Approve an extra order of {data['extra_order_qty']:,} units"
    return f"Approve the manufacturing order of {data['manufacturing_qty']:,} units"


def request_approval(services: Services, event: dict[str, Any]) -> dict[str, Any]:
    kind = ApprovalKind(event["kind"])
    workflow_id = str(event["workflow_id"])
    now = utcnow()
    approval = ApprovalRecord(
        approval_id=str(uuid.uuid4()),
        workflow_id=workflow_id,
        kind=kind,
        task_token=str(event["task_token"]),
        data=approval_data(services, kind, event),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=int(event["timeout_seconds"])),
    )
    services.approvals.create(approval)
    pending = PendingApproval(
        approval_id=approval.approval_id,
        kind=kind.value,
        data=approval.data,
        options=approval.options,
        expires_at=approval.expires_at,
    )
    try:
        services.workflows.transition(
            workflow_id,
            WorkflowStatus.AWAITING_APPROVAL,
            expected=WorkflowStatus.RUNNING,
            pending_approval=pending,
            last_approval_id=approval.approval_id,
            current_agent="approval",
            progress_pct=PROGRESS[kind],
        )
    except ConflictError:
        services.approvals.close(approval.approval_id, ApprovalStatus.CANCELLED)
        raise
    services.events.publish(
        HumanInputRequired(
            workflow_id=workflow_id,
            action=f"{kind.value}_approval",
            message=approval_message(kind, approval.data),
            approval_id=approval.approval_id,
            data=approval.data,
            options=approval.options,
            expires_at=approval.expires_at,
        )
    )
    return {"approval_id": approval.approval_id}
