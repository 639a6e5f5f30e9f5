"""Workflow records and the status machine they follow."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class WorkflowType(StrEnum):
    FORECAST = "forecast"
    REFORECAST = "reforecast"
    MARKDOWN = "markdown"
    ASSORTMENT = "assortment"  # a parent over one pre-season forecast per category


class WorkflowStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED}
)

# a human is asked; the execution waits on a task token
WAITING_STATUSES = frozenset(
    {WorkflowStatus.AWAITING_APPROVAL, WorkflowStatus.AWAITING_CLARIFICATION}
)

# to-status -> the statuses it may be reached from.
# pending -> running -> awaiting_clarification | awaiting_approval -> running -> completed |
# failed | cancelled;
# any unfinished workflow may fail or be cancelled; a failed one may run again (a retry).
ALLOWED_SOURCES: dict[WorkflowStatus, frozenset[WorkflowStatus]] = {
    WorkflowStatus.PENDING: frozenset(),
    WorkflowStatus.RUNNING: frozenset(
        {
            WorkflowStatus.PENDING,
            WorkflowStatus.AWAITING_APPROVAL,
            WorkflowStatus.AWAITING_CLARIFICATION,
            WorkflowStatus.FAILED,
        }
    ),
    WorkflowStatus.AWAITING_APPROVAL: frozenset({WorkflowStatus.RUNNING}),
    WorkflowStatus.AWAITING_CLARIFICATION: frozenset({WorkflowStatus.RUNNING}),
    WorkflowStatus.COMPLETED: frozenset({WorkflowStatus.RUNNING}),
    WorkflowStatus.FAILED: frozenset(
        {
            WorkflowStatus.PENDING,
            WorkflowStatus.RUNNING,
            WorkflowStatus.AWAITING_APPROVAL,
            WorkflowStatus.AWAITING_CLARIFICATION,
        }
    ),
    WorkflowStatus.CANCELLED: frozenset(
        {
            WorkflowStatus.PENDING,
            WorkflowStatus.RUNNING,
            WorkflowStatus.AWAITING_APPROVAL,
            WorkflowStatus.AWAITING_CLARIFICATION,
        }
    ),
}


def can_transition(current: WorkflowStatus, target: WorkflowStatus) -> bool:
    return current in ALLOWED_SOURCES[target]


class PendingApproval(BaseModel):
    approval_id: str
    kind: str = Field(description="manufacturing, markdown or clarification")
    data: dict[str, Any] = Field(default_factory=dict)
    options: list[str] = Field(default_factory=list)
    expires_at: dt.datetime | None = None


class Workflow(BaseModel):
    """A workflow as stored. `input` holds what the state machine needs to run it."""

    workflow_id: str
    workflow_type: WorkflowType
    status: WorkflowStatus
    category_id: str
    input: dict[str, Any] = Field(default_factory=dict)
    current_agent: str | None = None
    progress_pct: int = Field(0, ge=0, le=100)
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    updated_at: dt.datetime
    completed_at: dt.datetime | None = None
    error_message: str | None = None
    pending_approval: PendingApproval | None = None
    last_approval_id: str | None = None
    execution_arn: str | None = None
    forecast_id: str | None = None
    allocation_id: str | None = None
    markdown_id: str | None = None
    output_data: dict[str, Any] | None = None
    retry_count: int = Field(0, ge=0, description="how many times the failed workflow was retried")
    parent_id: str | None = Field(None, description="the assortment plan this forecast is part of")
    parent_task_token: str | None = Field(
        None, description="the parent's Map iteration waiting on this child (never shown)"
    )
    version: int = 1
