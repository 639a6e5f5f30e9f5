"""EventPublisher: an event is appended to the log, then posted to its workflow's connections;
a connection whose client went away is deleted; publishing never raises.

The aws side is adapters.publisher.ProgressPublisher on moto's DynamoDB with a stand-in for the
API Gateway management client (conftest.FakeManagementApi); `received(connection_id)` reads
what one connection was sent from either side."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import BaseModel

from fashion_forecast.models.events import AgentProgress, Pong, WorkflowComplete
from fashion_forecast.ports import NotFoundError, PostResult
from tests.contract.conftest import Publishing


def progress(workflow_id: str, n: int) -> AgentProgress:
    return AgentProgress(workflow_id=workflow_id, agent="demand", message=f"m{n}", progress_pct=n)


def wire(message: BaseModel) -> dict[str, Any]:
    """A message as the client receives it."""
    return json.loads(message.model_dump_json())


def live_ids(publishing: Publishing, workflow_id: str) -> list[str]:
    return [c.connection_id for c in publishing.connections.for_workflow(workflow_id)]


def test_publish_appends_then_delivers_to_that_workflows_connections_in_order(
    publishing: Publishing,
) -> None:
    for connection_id in ("c-1", "c-2"):
        publishing.connections.add(connection_id, "wf-a")
    publishing.connections.add("c-other", "wf-b")
    stored = [publishing.publisher.publish(progress("wf-a", n)) for n in (10, 20, 30)]
    assert [e.sequence for e in stored] == [1, 2, 3]
    assert publishing.log.after("wf-a").events == stored
    for connection_id in ("c-1", "c-2"):
        assert publishing.received(connection_id) == [wire(e) for e in stored]
    assert publishing.received("c-other") == []


def test_each_workflow_gets_its_own_events(publishing: Publishing) -> None:
    publishing.connections.add("c-a", "wf-a")
    publishing.connections.add("c-b", "wf-b")
    a = publishing.publisher.publish(progress("wf-a", 1))
    b = publishing.publisher.publish(
        WorkflowComplete(workflow_id="wf-b", status="completed", message="done")
    )
    assert (a.sequence, b.sequence) == (1, 1)
    assert publishing.received("c-a") == [wire(a)]
    assert publishing.received("c-b") == [wire(b)]


def test_an_event_without_connections_is_only_appended(publishing: Publishing) -> None:
    stored = publishing.publisher.publish(progress("wf-a", 1))
    assert stored is not None and stored.sequence == 1
    assert publishing.log.after("wf-a").events == [stored]


def test_an_expired_connection_is_not_posted_to(publishing: Publishing) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    publishing.connections.add("old", "wf-a", connected_at=old)
    publishing.connections.add("c-1", "wf-a")
    stored = publishing.publisher.publish(progress("wf-a", 1))
    assert publishing.received("c-1") == [wire(stored)]
    assert publishing.received("old") == []


def test_a_gone_connection_is_deleted_and_the_others_still_get_the_event(
    publishing: Publishing,
) -> None:
    for connection_id in ("c-1", "c-2", "c-3"):
        publishing.connections.add(connection_id, "wf-a")
    publishing.go_away("c-2")
    first = publishing.publisher.publish(progress("wf-a", 1))
    assert live_ids(publishing, "wf-a") == ["c-1", "c-3"]
    with pytest.raises(NotFoundError):
        publishing.connections.get("c-2")
    second = publishing.publisher.publish(progress("wf-a", 2))
    for connection_id in ("c-1", "c-3"):
        assert publishing.received(connection_id) == [wire(first), wire(second)]
    assert publishing.received("c-2") == []
    assert publishing.log.after("wf-a").events == [first, second]


def test_send_posts_one_message_to_one_connection(publishing: Publishing) -> None:
    publishing.connections.add("c-1", "wf-a")
    publishing.connections.add("c-2", "wf-a")
    pong = Pong()
    assert publishing.publisher.send("c-1", pong) is PostResult.SENT
    assert publishing.received("c-1") == [wire(pong)]
    assert publishing.received("c-2") == []


def test_send_to_a_gone_connection_deletes_it(publishing: Publishing) -> None:
    publishing.connections.add("c-1", "wf-a")
    publishing.go_away("c-1")
    assert publishing.publisher.send("c-1", Pong()) is PostResult.GONE
    with pytest.raises(NotFoundError):
        publishing.connections.get("c-1")
    assert publishing.received("c-1") == []


def test_without_an_endpoint_events_are_only_appended(
    publishing_without_endpoint: Publishing,
) -> None:
    publishing = publishing_without_endpoint
    publishing.connections.add("c-1", "wf-a")
    publishing.go_away("c-1")  # nothing is posted, so nothing finds out
    publishing.connections.add("c-2", "wf-a")
    stored = publishing.publisher.publish(progress("wf-a", 1))
    assert stored is not None and stored.sequence == 1
    assert publishing.log.after("wf-a").events == [stored]
    assert publishing.publisher.send("c-1", stored) is PostResult.DISABLED
    assert publishing.publisher.send("c-2", Pong()) is PostResult.DISABLED
    assert (publishing.received("c-1"), publishing.received("c-2")) == ([], [])
    assert live_ids(publishing, "wf-a") == ["c-1", "c-2"]


def test_publish_never_raises_when_the_log_cannot_be_written(
    publishing_broken_log: Publishing,
) -> None:
    publishing = publishing_broken_log
    publishing.connections.add("c-1", "wf-a")
    assert publishing.publisher.publish(progress("wf-a", 1)) is None
    assert publishing.received("c-1") == []  # an event without a sequence is never posted
    assert publishing.log.after("wf-a").events == []
