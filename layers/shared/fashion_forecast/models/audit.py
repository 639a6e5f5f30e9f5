"""The audit trail's entries: who did what to which thing, when, within which request."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class EntityType(StrEnum):
    WORKFLOW = "workflow"
    UPLOAD = "upload"
    STORE_LIST = "store_list"
    SALES_HISTORY = "sales_history"


class AuditAction(StrEnum):
    WORKFLOW_STARTED = "workflow_started"
    WORKFLOW_CANCELLED = "workflow_cancelled"
    WORKFLOW_RETRIED = "workflow_retried"
    WORKFLOW_FAILED = "workflow_failed"
    APPROVAL_DECIDED = "approval_decided"
    CLARIFICATION_ANSWERED = "clarification_answered"
    UPLOAD_ACCEPTED = "upload_accepted"
    UPLOAD_REFUSED = "upload_refused"
    STORE_LIST_REPLACED = "store_list_replaced"
    HISTORY_REPLACED = "history_replaced"
    REFORECAST_TRIGGERED = "reforecast_triggered"
    MARKDOWN_TRIGGERED = "markdown_triggered"


class AuditEntry(BaseModel):
    """One action, written once and never changed. `actor` is the caller's name (`system` for
    automatic actions); `change` holds what the action changed (values before and after, the
    comment, the variance row that triggered it...)."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    entity_type: EntityType
    entity_id: str
    action: AuditAction
    actor: str
    actor_kind: Literal["user", "api_key", "system"]
    timestamp: dt.datetime
    request_id: str | None = None
    change: dict[str, Any] = Field(default_factory=dict)


class AuditQuery(BaseModel):
    """Filters of an audit listing; all optional, combined with AND. The time range is
    inclusive."""

    model_config = ConfigDict(frozen=True)

    entity_type: EntityType | None = None
    entity_id: str | None = None
    actor: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @model_validator(mode="after")
    def _id_names_its_type(self) -> AuditQuery:
        # entity ids are unique only within a type: an id alone would select nothing reliably
        if self.entity_id is not None and self.entity_type is None:
            raise ValueError("entity_id needs entity_type")
        return self
