"""app.subscriptions on the fakes: the progress stream's WebSocket routes ($connect,
$disconnect, $default: ping, replay and protocol errors)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fashion_forecast.app import subscriptions
from fashion_forecast.models.events import (
    AgentProgress,
    Pong,
    ProtocolError,
    ReplayComplete,
)
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import Container, EventPage
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import start_running_workflow

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
NOT_JSON = 'messages are JSON: {"action": "ping"} or {"action": "replay", "since": 0}'
BAD_SINCE = "replay needs since: an integer >= 0"


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def followed(c: Container, connection_id: str = "conn-1") -> str:
    """A running workflow followed by `connection_id`; its id."""
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    assert subscriptions.connect(c, connection_id, workflow.workflow_id).status == 200
    return workflow.workflow_id


def publish_progress(c: Container, fakes: Fakes, workflow_id: str, count: int) -> None:
    """`count` events in the workflow's log (sequences 1..count), none sent to any client."""
    for i in range(count):
        c.event_log.append(
            AgentProgress(workflow_id=workflow_id, agent="demand", message=f"m{i}", progress_pct=i)
        )
    fakes.publisher.sent.clear()


def record_pages(fakes: Fakes) -> list[tuple[int, int]]:
    """Every (since, limit) the replay asks the event log for."""
    calls: list[tuple[int, int]] = []
    after = fakes.event_log.after

    def recording(workflow_id: str, since: int = 0, limit: int = 100) -> EventPage:
        calls.append((since, limit))
        return after(workflow_id, since, limit)

    fakes.event_log.after = recording  # type: ignore[method-assign]
    return calls


# -- $connect / $disconnect ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workflow_id", "status", "message"),
    [
        (None, 400, "connect with ?workflow_id=<id> of the workflow to follow"),
        ("", 400, "connect with ?workflow_id=<id> of the workflow to follow"),
        ("bad id!", 400, "workflow_id is not a valid id"),
        ("-leading-dash", 400, "workflow_id is not a valid id"),
        ("x" * 81, 400, "workflow_id is not a valid id"),
        ("no-such-workflow", 404, "workflow no-such-workflow not found"),
    ],
)
def test_connect_refuses_without_a_known_workflow(
    fc: tuple[Container, Fakes], workflow_id: str | None, status: int, message: str
) -> None:
    c, fakes = fc
    answer = subscriptions.connect(c, "conn-1", workflow_id)
    assert answer == subscriptions.Answer(status, message)
    assert fakes.connections.rows == {}


def test_connect_stores_the_connection_with_its_lifetime(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    answer = subscriptions.connect(
        c, "conn-1", workflow.workflow_id, source_ip="203.0.113.4", user_agent="wscat/5"
    )
    assert answer == subscriptions.Answer(200, "")
    stored = fakes.connections.rows["conn-1"]
    assert stored.model_dump() == {
        "connection_id": "conn-1",
        "workflow_id": workflow.workflow_id,
        "connected_at": NOW,
        "expires_at": NOW + dt.timedelta(hours=2, minutes=1),
        "source_ip": "203.0.113.4",
        "user_agent": "wscat/5",
    }
    assert [x.connection_id for x in c.connections.for_workflow(workflow.workflow_id)] == ["conn-1"]


def test_connect_keeps_the_time_api_gateway_gives(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    at = NOW - dt.timedelta(seconds=3)
    subscriptions.connect(c, "conn-1", workflow.workflow_id, connected_at=at)
    stored = fakes.connections.rows["conn-1"]
    assert (stored.connected_at, stored.source_ip, stored.user_agent) == (at, None, None)


def test_a_finished_workflow_can_still_be_followed(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    c.workflows.transition(workflow.workflow_id, WorkflowStatus.COMPLETED)
    assert subscriptions.connect(c, "conn-1", workflow.workflow_id).status == 200


def test_disconnect_forgets_the_connection(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id = followed(c)
    followed(c, "conn-2")
    assert subscriptions.disconnect(c, "conn-1") == subscriptions.Answer(200, "")
    assert list(fakes.connections.rows) == ["conn-2"]
    assert c.connections.for_workflow(workflow_id) == []


def test_disconnecting_an_unknown_connection_is_fine(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    assert subscriptions.disconnect(c, "stranger").status == 200
    assert fakes.connections.rows == {}


# -- ping ----------------------------------------------------------------------------------------


def test_ping_answers_pong(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    followed(c)
    answer = subscriptions.receive(c, "conn-1", json.dumps({"action": "ping"}))
    assert answer == subscriptions.Answer(200, "")
    (pong,) = fakes.publisher.sent["conn-1"]
    assert isinstance(pong, Pong) and pong.type == "pong"
    assert fakes.event_log.events == {}  # answers are not events


# -- protocol errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", NOT_JSON),
        ("", NOT_JSON),
        (None, NOT_JSON),
        ("[1, 2]", "a message is a JSON object with an action"),
        ('"ping"', "a message is a JSON object with an action"),
        ("3", "a message is a JSON object with an action"),
        ("{}", "unknown action None: use ping or replay"),
        ('{"action": "dance"}', "unknown action 'dance': use ping or replay"),
        ('{"action": "PING"}', "unknown action 'PING': use ping or replay"),
        ('{"action": "replay", "since": -1}', BAD_SINCE),
        ('{"action": "replay", "since": "3"}', BAD_SINCE),
        ('{"action": "replay", "since": 1.5}', BAD_SINCE),
        ('{"action": "replay", "since": true}', BAD_SINCE),
        ('{"action": "replay", "since": null}', BAD_SINCE),
    ],
)
def test_bad_messages_answer_a_protocol_error(
    fc: tuple[Container, Fakes], text: str | None, message: str
) -> None:
    c, fakes = fc
    followed(c)
    assert subscriptions.receive(c, "conn-1", text) == subscriptions.Answer(200, "")
    code = "unknown_action" if message.startswith("unknown action") else "invalid_message"
    assert fakes.publisher.sent["conn-1"] == [ProtocolError(error_code=code, message=message)]


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            json.dumps({"action": "ping", "pad": "x" * 128 * 1024}),
            "message_too_large",
            "a message is at most 131072 bytes; this one is 131101",
        ),
        (
            "[" * 5000 + "]" * 5000,
            "nesting_too_deep",
            "a message nests arrays and objects at most 32 deep",
        ),
        (
            '{"a":' * 33 + "1" + "}" * 33,
            "nesting_too_deep",
            "a message nests arrays and objects at most 32 deep",
        ),
    ],
    ids=["129-KiB", "5000-deep", "33-deep"],
)
def test_an_oversized_or_deep_message_is_refused_and_the_connection_stays_usable(
    fc: tuple[Container, Fakes], text: str, code: str, message: str
) -> None:
    c, fakes = fc
    followed(c)
    assert subscriptions.receive(c, "conn-1", text) == subscriptions.Answer(200, "")
    assert fakes.publisher.sent["conn-1"] == [ProtocolError(error_code=code, message=message)]
    subscriptions.receive(c, "conn-1", json.dumps({"action": "ping"}))
    assert isinstance(fakes.publisher.sent["conn-1"][-1], Pong)
    assert c.connections.get("conn-1") is not None


def test_nesting_within_the_bound_and_brackets_inside_strings_are_fine(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    followed(c)
    deep = {"action": "ping", "x": json.loads("[" * 31 + "]" * 31), "s": "[[[[{{{{" * 100}
    subscriptions.receive(c, "conn-1", json.dumps(deep))
    assert isinstance(fakes.publisher.sent["conn-1"][-1], Pong)


# -- replay --------------------------------------------------------------------------------------


def test_replay_sends_the_events_after_since_then_replay_complete(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id = followed(c)
    publish_progress(c, fakes, workflow_id, 4)
    answer = subscriptions.receive(c, "conn-1", json.dumps({"action": "replay", "since": 2}))
    assert answer == subscriptions.Answer(200, "")
    *events, done = fakes.publisher.sent["conn-1"]
    assert events == fakes.event_log.events[workflow_id][2:]
    assert done == ReplayComplete(
        workflow_id=workflow_id, since=2, count=2, last_sequence=4, has_more=False
    )


def test_replay_without_since_starts_at_the_beginning(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id = followed(c)
    publish_progress(c, fakes, workflow_id, 2)
    subscriptions.receive(c, "conn-1", '{"action": "replay", "extra": "ignored"}')
    *events, done = fakes.publisher.sent["conn-1"]
    assert [e.sequence for e in events] == [1, 2]  # type: ignore[attr-defined]
    assert done == ReplayComplete(
        workflow_id=workflow_id, since=0, count=2, last_sequence=2, has_more=False
    )


@pytest.mark.parametrize(("published", "since"), [(0, 0), (3, 3), (3, 10)])
def test_a_replay_with_nothing_to_send_completes_at_since(
    fc: tuple[Container, Fakes], published: int, since: int
) -> None:
    c, fakes = fc
    workflow_id = followed(c)
    publish_progress(c, fakes, workflow_id, published)
    subscriptions.replay(c, "conn-1", since)
    assert fakes.publisher.sent["conn-1"] == [
        ReplayComplete(
            workflow_id=workflow_id, since=since, count=0, last_sequence=since, has_more=False
        )
    ]


def test_a_long_replay_is_paged_and_capped(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    monkeypatch.setattr(subscriptions, "REPLAY_MAX", 5)
    workflow_id = followed(c)
    publish_progress(c, fakes, workflow_id, 7)
    pages = record_pages(fakes)
    subscriptions.replay(c, "conn-1", 0)
    *events, done = fakes.publisher.sent["conn-1"]
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]
    assert pages == [(0, 2), (2, 2), (4, 1)]  # the last page only up to the cap
    assert done == ReplayComplete(
        workflow_id=workflow_id, since=0, count=5, last_sequence=5, has_more=True
    )

    fakes.publisher.sent.clear()
    pages.clear()
    subscriptions.replay(c, "conn-1", done.last_sequence)  # the client asks for the rest
    *events, done = fakes.publisher.sent["conn-1"]
    assert [e.sequence for e in events] == [6, 7]  # type: ignore[attr-defined]
    assert pages == [(5, 2)]
    assert done == ReplayComplete(
        workflow_id=workflow_id, since=5, count=2, last_sequence=7, has_more=False
    )


def test_a_replay_of_exactly_the_cap_has_no_more(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    monkeypatch.setattr(subscriptions, "REPLAY_MAX", 4)
    workflow_id = followed(c)
    publish_progress(c, fakes, workflow_id, 4)
    pages = record_pages(fakes)
    subscriptions.replay(c, "conn-1", 0)
    done = fakes.publisher.sent["conn-1"][-1]
    assert pages == [(0, 2), (2, 2)]
    assert done == ReplayComplete(
        workflow_id=workflow_id, since=0, count=4, last_sequence=4, has_more=False
    )


def test_a_replay_sends_only_the_connections_workflow(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    mine = followed(c)
    theirs = followed(c, "conn-2")
    publish_progress(c, fakes, theirs, 3)
    publish_progress(c, fakes, mine, 1)
    subscriptions.replay(c, "conn-1", 0)
    *events, done = fakes.publisher.sent["conn-1"]
    assert events == fakes.event_log.events[mine]
    assert isinstance(done, ReplayComplete) and done.workflow_id == mine
    assert "conn-2" not in fakes.publisher.sent


def test_a_gone_connection_stops_the_replay(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    workflow_id = followed(c)
    publish_progress(c, fakes, workflow_id, 5)
    pages = record_pages(fakes)
    fakes.publisher.gone.add("conn-1")
    assert subscriptions.replay(c, "conn-1", 0) == subscriptions.Answer(200, "")
    assert fakes.publisher.sent == {}  # no event, no replay_complete
    assert pages == [(0, 2)]  # no further page was read
    assert fakes.connections.rows == {}  # the publisher deleted the gone connection


@pytest.mark.parametrize("text", [None, '{"action": "replay", "since": 0}'])
def test_a_replay_on_an_unknown_connection_is_a_protocol_error(
    fc: tuple[Container, Fakes], text: str | None
) -> None:
    c, fakes = fc
    if text is None:
        answer = subscriptions.replay(c, "stranger", 0)
    else:
        answer = subscriptions.receive(c, "stranger", text)
    assert answer == subscriptions.Answer(200, "")
    assert fakes.publisher.sent == {
        "stranger": [
            ProtocolError(error_code="no_workflow", message="this connection follows no workflow")
        ]
    }


def test_a_replay_on_an_expired_connection_is_a_protocol_error(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id = followed(c)
    publish_progress(c, fakes, workflow_id, 2)
    fakes.clock.advance(dt.timedelta(hours=2, minutes=1).total_seconds())
    subscriptions.replay(c, "conn-1", 0)
    assert fakes.publisher.sent["conn-1"] == [
        ProtocolError(error_code="no_workflow", message="this connection follows no workflow")
    ]
