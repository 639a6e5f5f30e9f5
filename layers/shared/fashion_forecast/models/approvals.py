"""Approvals: a human decision a workflow waits for (manufacturing order or markdown), or a
planner's answers to a clarification of a season started from text."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class ApprovalKind(StrEnum):
    MANUFACTURING = "manufacturing"
    MARKDOWN = "markdown"
    CLARIFICATION = "clarification"


class ApprovalAction(StrEnum):
    ACCEPT = "accept"
    MODIFY = "modify"
    REJECT = "reject"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    DECIDED = "decided"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Decision(BaseModel):
    """What the state machine receives through SendTaskSuccess (every key always present)."""

    action: ApprovalAction
    safety_stock_pct: float | None = None
    manufacturing_qty: int | None = None
    markdown_pct: float | None = None
    comment: str | None = None
    answers: dict[str, str] | None = Field(
        None, description="A clarification's answers by question id (None for approvals)."
    )
    decided_at: dt.datetime
    decided_by: str | None = Field(None, description="Who decided: the caller's name.")


class ApprovalRecord(BaseModel):
    approval_id: str
    workflow_id: str
    kind: ApprovalKind
    task_token: str = Field(repr=False, description="Never leaves the backend.")
    status: ApprovalStatus = ApprovalStatus.PENDING
    data: dict[str, Any] = Field(default_factory=dict)
    options: list[str] = Field(default_factory=lambda: [a.value for a in ApprovalAction])
    created_at: dt.datetime
    expires_at: dt.datetime
    decision: Decision | None = None
