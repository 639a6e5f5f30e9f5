"""The audit trail: one entry per action, written by the use case that performs it.

`record` is the one way an entry is made: the actor is the caller's identity (SYSTEM for
automatic actions), the request id is the one of the request or invocation being served
(`REQUEST_ID`, set by the API middleware and the Lambda handler factory). Entries are never
updated or deleted: the port has no such method.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import Any

from fashion_forecast.models.audit import AuditAction, AuditEntry, AuditQuery, EntityType
from fashion_forecast.models.identity import Caller
from fashion_forecast.ports import Container, Page

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fashion_forecast_request_id", default=None
)
MAX_AUDIT_PAGE = 100


def record(
    c: Container,
    caller: Caller,
    action: AuditAction,
    entity_type: EntityType,
    entity_id: str,
    change: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry for an action `caller` performed."""
    entry = AuditEntry(
        entry_id=c.ids.new_id(),
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor=caller.name,
        actor_kind=caller.kind,
        timestamp=c.clock.now(),
        request_id=REQUEST_ID.get(),
        change=change or {},
    )
    return c.audit.append(entry)


def list_entries(
    c: Container,
    *,
    entity_type: EntityType | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[AuditEntry]:
    """Newest first. An entity id needs its entity type (ids of different types may meet)."""
    query = AuditQuery(
        entity_type=entity_type, entity_id=entity_id, actor=actor, since=since, until=until
    )
    return c.audit.list(query, limit=limit, cursor=cursor)


def workflow_entries(
    c: Container, workflow_id: str, *, limit: int = 50, cursor: str | None = None
) -> Page[AuditEntry]:
    """A workflow's entries, newest first (NotFoundError for an unknown workflow)."""
    c.workflows.get(workflow_id)
    return list_entries(
        c, entity_type=EntityType.WORKFLOW, entity_id=workflow_id, limit=limit, cursor=cursor
    )
