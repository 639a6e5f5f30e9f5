"""The audit trail: who did what, when, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ErrorResponse
from fashion_forecast.api.management_schemas import AuditList
from fashion_forecast.app import audit
from fashion_forecast.constants import ID_PATTERN
from fashion_forecast.domain.errors import InvalidRequestError
from fashion_forecast.models.audit import EntityType
from fashion_forecast.models.identity import Role
from fashion_forecast.models.inputs import WholeText
from fashion_forecast.ports import Container

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get(
    "",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=AuditList,
    responses={422: {"model": ErrorResponse, "description": "Invalid filter or cursor"}},
    summary="Audit entries, newest first, filtered and cursor-paginated",
    description="Filters combine with AND: `entity_type` (and `entity_id`, which needs it), "
    "`actor` (a user name, an API key id or `system`), `since`/`until` (inclusive, with a "
    "UTC offset). Pass `next_cursor` back as `cursor` for the next page. Entries are never "
    "updated or deleted.",
)
def list_audit(
    c: Container = Depends(get_container),
    entity_type: EntityType | None = None,
    entity_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[WholeText, Query(ge=1, le=audit.MAX_AUDIT_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AuditList:
    problems = []
    if entity_id is not None and entity_type is None:
        problems.append({"field": "entity_id", "message": "needs entity_type"})
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            problems.append({"field": name, "message": "needs a UTC offset (e.g. Z)"})
    if since and until and since.tzinfo and until.tzinfo and since > until:
        problems.append({"field": "since", "message": "is after until"})
    if problems:
        raise InvalidRequestError(
            "invalid audit filter: " + "; ".join(f"{p['field']} {p['message']}" for p in problems),
            details=problems,
        )
    page = audit.list_entries(
        c,
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return AuditList(items=page.items, next_cursor=page.next_cursor)
