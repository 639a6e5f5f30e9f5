"""AuditLog: append only (no update, no delete, an overwrite refused), read back newest first
with filters and cursor pagination."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.models.audit import AuditAction, AuditEntry, AuditQuery, EntityType
from fashion_forecast.ports import ConflictError, InvalidCursorError
from tests.contract.conftest import GARBAGE_CURSORS

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def entry(n: int, **fields: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "entry_id": f"e-{n:03d}",
        "entity_type": EntityType.WORKFLOW,
        "entity_id": "wf-a",
        "action": AuditAction.WORKFLOW_STARTED,
        "actor": "ana",
        "actor_kind": "user",
        "timestamp": T0 + dt.timedelta(minutes=n),
        "request_id": f"req-{n}",
        "change": {"n": n, "nested": {"before": 0.2, "after": 0.25}},
        **fields,
    }
    return AuditEntry(**values)


def ids(page: Any) -> list[str]:
    return [e.entry_id for e in page.items]


def test_an_entry_reads_back_as_appended(audit_log: Any) -> None:
    stored = audit_log.append(entry(1))
    page = audit_log.list(AuditQuery())
    assert page.items == [stored] == [entry(1)]
    assert page.next_cursor is None


def test_an_entry_is_never_overwritten(audit_log: Any) -> None:
    audit_log.append(entry(1))
    with pytest.raises(ConflictError):
        audit_log.append(entry(1, actor="mallory", change={"forged": True}))
    assert audit_log.list(AuditQuery()).items == [entry(1)]


def test_the_log_has_no_update_or_delete(audit_log: Any) -> None:
    public = {name for name in dir(audit_log) if not name.startswith("_")}
    assert not {n for n in public if n.startswith(("update", "delete", "remove", "replace"))}
    assert {"append", "list"} <= public


def test_newest_first_across_pages(audit_log: Any) -> None:
    for n in range(7):
        audit_log.append(entry(n, entity_id=f"wf-{n % 2}"))
    seen: list[str] = []
    cursor = None
    while True:
        page = audit_log.list(AuditQuery(), limit=3, cursor=cursor)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"e-{n:03d}" for n in reversed(range(7))]
    exact = audit_log.list(AuditQuery(), limit=7)
    assert len(exact.items) == 7 and exact.next_cursor is None


def test_filters_combine(audit_log: Any) -> None:
    audit_log.append(entry(1))
    audit_log.append(entry(2, actor="system", actor_kind="system"))
    audit_log.append(entry(3, entity_type=EntityType.UPLOAD, entity_id="up-1"))
    audit_log.append(entry(4, entity_id="wf-b"))
    audit_log.append(entry(5, entity_type=EntityType.UPLOAD, entity_id="wf-a"))
    workflow_a = AuditQuery(entity_type=EntityType.WORKFLOW, entity_id="wf-a")
    assert ids(audit_log.list(workflow_a)) == ["e-002", "e-001"]
    assert ids(audit_log.list(AuditQuery(entity_type=EntityType.UPLOAD))) == ["e-005", "e-003"]
    assert ids(audit_log.list(AuditQuery(actor="system"))) == ["e-002"]
    by_ana = workflow_a.model_copy(update={"actor": "ana"})
    assert ids(audit_log.list(by_ana)) == ["e-001"]
    window = AuditQuery(since=T0 + dt.timedelta(minutes=2), until=T0 + dt.timedelta(minutes=4))
    assert ids(audit_log.list(window)) == ["e-004", "e-003", "e-002"]  # inclusive
    assert ids(audit_log.list(workflow_a.model_copy(update={"until": T0}))) == []


def test_a_filtered_page_continues_after_its_cursor(audit_log: Any) -> None:
    for n in range(6):
        audit_log.append(entry(n, actor="ana" if n % 2 else "ben"))
    query = AuditQuery(actor="ana")
    first = audit_log.list(query, limit=2)
    assert ids(first) == ["e-005", "e-003"] and first.next_cursor
    rest = audit_log.list(query, limit=2, cursor=first.next_cursor)
    assert (ids(rest), rest.next_cursor) == (["e-001"], None)


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
def test_a_cursor_the_log_never_issued_is_refused(audit_log: Any, cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        audit_log.list(AuditQuery(), cursor=cursor)


def test_an_entity_id_without_its_type_is_not_a_query() -> None:
    """Ids are unique only within a type, so a query by id alone is refused where it is made,
    not silently widened to every entry by the adapter."""
    with pytest.raises(ValueError, match="entity_id needs entity_type"):
        AuditQuery(entity_id="wf-a")
    assert AuditQuery(entity_type=EntityType.WORKFLOW, entity_id="wf-a").entity_id == "wf-a"
