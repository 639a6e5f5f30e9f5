"""EventLog, ConnectionStore and EventPublisher: gap-free numbering, pages, live connections,
append-then-post delivery that never raises."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.models.events import AgentProgress, AgentStarted, Pong
from fashion_forecast.ports import MAX_EVENT_PAGE, NotFoundError, PostResult
from tests.contract.conftest import PublisherUnderTest


def progress(workflow_id: str, n: int) -> AgentProgress:
    return AgentProgress(workflow_id=workflow_id, agent="demand", message=f"m{n}", progress_pct=n)


def test_appends_are_numbered_per_workflow_without_gaps(event_log: Any) -> None:
    stored = [event_log.append(progress("wf-a", i)) for i in range(3)]
    other = event_log.append(AgentStarted(workflow_id="wf-b", agent="demand", message="go"))
    assert [e.sequence for e in stored] == [1, 2, 3]
    assert other.sequence == 1
    assert [e.message for e in stored] == ["m0", "m1", "m2"]
    assert all(e.timestamp.tzinfo is not None for e in stored)
    assert event_log.after("wf-a").events == stored


def test_after_pages_from_a_sequence(event_log: Any) -> None:
    for i in range(5):
        event_log.append(progress("wf-a", i))
    page = event_log.after("wf-a", since=1, limit=2)
    assert ([e.sequence for e in page.events], page.has_more, page.last_sequence) == (
        [2, 3],
        True,
        3,
    )
    rest = event_log.after("wf-a", since=3, limit=2)
    assert ([e.sequence for e in rest.events], rest.has_more) == ([4, 5], False)
    empty = event_log.after("wf-a", since=5)
    assert (empty.events, empty.has_more, empty.last_sequence) == ([], False, None)
    assert event_log.after("wf-none").events == []
    for since, limit in ((-1, 10), (0, 0), (0, MAX_EVENT_PAGE + 1)):
        with pytest.raises(ValueError):
            event_log.after("wf-a", since=since, limit=limit)


def test_connections_live_for_their_workflow(connections: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    first = connections.add("c-1", "wf-a", connected_at=now - dt.timedelta(minutes=5))
    connections.add("c-2", "wf-a", connected_at=now, source_ip="203.0.113.9", user_agent="ua")
    connections.add("c-3", "wf-b", connected_at=now)
    connections.add("old", "wf-a", connected_at=now - dt.timedelta(hours=3))  # TTL passed
    assert first.expires_at - first.connected_at == pytest.approx(
        dt.timedelta(hours=2, minutes=1), abs=dt.timedelta(seconds=1)
    )
    assert [c.connection_id for c in connections.for_workflow("wf-a")] == ["c-1", "c-2"]
    got = connections.get("c-2")
    assert (got.workflow_id, got.source_ip, got.user_agent) == ("wf-a", "203.0.113.9", "ua")
    with pytest.raises(NotFoundError):
        connections.get("old")
    connections.remove("c-1")
    connections.remove("never-there")
    assert [c.connection_id for c in connections.for_workflow("wf-a")] == ["c-2"]
    with pytest.raises(NotFoundError):
        connections.get("c-1")


def test_publish_appends_then_delivers_to_that_workflows_connections(
    publishing: PublisherUnderTest,
) -> None:
    for cid in ("c-1", "c-2"):
        publishing.connections.add(cid, "wf-a")
    publishing.connections.add("c-other", "wf-b")
    first = publishing.publisher.publish(progress("wf-a", 1))
    second = publishing.publisher.publish(progress("wf-a", 2))
    assert (first.sequence, second.sequence) == (1, 2)
    assert publishing.received("c-1") == [first, second]
    assert publishing.received("c-2") == [first, second]
    assert publishing.received("c-other") == []
    assert publishing.log.after("wf-a").events == [first, second]


def test_a_gone_connection_is_deleted_and_the_others_still_get_the_event(
    publishing: PublisherUnderTest,
) -> None:
    for cid in ("c-1", "c-2"):
        publishing.connections.add(cid, "wf-a")
    publishing.go_away("c-1")
    stored = publishing.publisher.publish(progress("wf-a", 1))
    assert publishing.received("c-2") == [stored]
    assert [c.connection_id for c in publishing.connections.for_workflow("wf-a")] == ["c-2"]
    assert publishing.publisher.send("c-2", Pong()) is PostResult.SENT


def test_without_an_endpoint_events_are_only_appended(without_endpoint: tuple[Any, Any]) -> None:
    publisher, connections = without_endpoint
    connections.add("c-1", "wf-a")
    stored = publisher.publish(progress("wf-a", 1))
    assert stored is not None and stored.sequence == 1
    assert publisher.send("c-1", stored) is PostResult.DISABLED


def test_publish_never_raises_when_the_log_cannot_be_written(broken_log_publisher: Any) -> None:
    assert broken_log_publisher.publish(progress("wf-a", 1)) is None
