"""The progress stream's use cases on the fakes: app.subscriptions (the WebSocket routes) and
app.progress (how a step reports)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from fashion_forecast.app import progress, subscriptions
from fashion_forecast.models.events import (
    AgentCompleted,
    AgentProgress,
    AgentStarted,
    Pong,
    ProtocolError,
    ReplayComplete,
)
from fashion_forecast.models.workflows import WorkflowType
from fashion_forecast.ports import Container
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import event_types, start_running_workflow


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def followed(c: Container, connection_id: str = "conn-1") -> str:
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    assert subscriptions.connect(c, connection_id, workflow.workflow_id).status == 200
    return workflow.workflow_id


def publish(c: Container, workflow_id: str, count: int) -> None:
    for i in range(count):
        c.publisher.publish(
            AgentProgress(workflow_id=workflow_id, agent="demand", message=f"m{i}", progress_pct=i)
        )


# -- $connect / $disconnect ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workflow_id", "status", "message"),
    [
        (None, 400, "connect with ?workflow_id=<id> of the workflow to follow"),
        ("bad id!", 400, "workflow_id is not a valid id"),
        ("x" * 81, 400, "workflow_id is not a valid id"),
        ("no-such-workflow", 404, "workflow no-such-workflow not found"),
    ],
)
def test_connect_refuses_without_a_known_workflow(
    fc: tuple[Container, Fakes], workflow_id: str | None, status: int, message: str
) -> None:
    c, fakes = fc
    answer = subscriptions.connect(c, "conn-1", workflow_id)
    assert (answer.status, answer.message) == (status, message)
    assert fakes.connections.rows == {}


def test_connect_stores_the_connection_and_disconnect_forgets_it(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    at = fakes.clock.now() - dt.timedelta(seconds=3)
    answer = subscriptions.connect(
        c, "conn-1", workflow.workflow_id, connected_at=at, source_ip="203.0.113.4", user_agent="ua"
    )
    assert (answer.status, answer.message) == (200, "")
    stored = c.connections.get("conn-1")
    assert (stored.workflow_id, stored.connected_at, stored.source_ip) == (
        workflow.workflow_id,
        at,
        "203.0.113.4",
    )
    assert subscriptions.disconnect(c, "conn-1").status == 200
    assert fakes.connections.rows == {}


# -- $default ---------------------------------------------------------------------------------


def test_ping_answers_pong(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    followed(c)
    assert subscriptions.receive(c, "conn-1", json.dumps({"action": "ping"})).status == 200
    (answer,) = fakes.publisher.sent["conn-1"]
    assert isinstance(answer, Pong)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", 'messages are JSON: {"action": "ping"} or {"action": "replay", "since": 0}'),
        ("[1, 2]", "a message is a JSON object with an action"),
        ('{"action": "dance"}', "unknown action 'dance': use ping or replay"),
        ('{"action": "replay", "since": -1}', "replay needs since: an integer >= 0"),
        ('{"action": "replay", "since": "3"}', "replay needs since: an integer >= 0"),
        (None, 'messages are JSON: {"action": "ping"} or {"action": "replay", "since": 0}'),
    ],
)
def test_bad_messages_answer_a_protocol_error(
    fc: tuple[Container, Fakes], text: str | None, message: str
) -> None:
    c, fakes = fc
    followed(c)
    assert subscriptions.receive(c, "conn-1", text).status == 200
    (answer,) = fakes.publisher.sent["conn-1"]
    assert isinstance(answer, ProtocolError) and answer.message == message


def test_replay_sends_the_events_after_since_then_replay_complete(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id = followed(c)
    publish(c, workflow_id, 4)  # delivered live to conn-1 as they are published
    fakes.publisher.sent.clear()
    subscriptions.receive(c, "conn-1", json.dumps({"action": "replay", "since": 2}))
    *events, done = fakes.publisher.sent["conn-1"]
    assert [e.sequence for e in events] == [3, 4]
    assert done == ReplayComplete(
        workflow_id=workflow_id, since=2, count=2, last_sequence=4, has_more=False
    )


def test_a_long_replay_is_paged_and_capped(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    monkeypatch.setattr(subscriptions, "REPLAY_MAX", 5)
    workflow_id = followed(c)
    publish(c, workflow_id, 7)
    fakes.publisher.sent.clear()
    subscriptions.replay(c, "conn-1", 0)
    *events, done = fakes.publisher.sent["conn-1"]
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert isinstance(done, ReplayComplete)
    assert (done.count, done.last_sequence, done.has_more) == (5, 5, True)


def test_a_replay_stops_when_the_client_is_gone(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id = followed(c)
    publish(c, workflow_id, 3)
    fakes.publisher.sent.clear()
    fakes.publisher.gone.add("conn-1")
    subscriptions.replay(c, "conn-1", 0)
    assert fakes.publisher.sent == {} and fakes.connections.rows == {}


def test_a_replay_on_an_unknown_connection_is_a_protocol_error(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    subscriptions.replay(c, "stranger", 0)
    (answer,) = fakes.publisher.sent["stranger"]
    assert isinstance(answer, ProtocolError)
    assert answer.message == "this connection follows no workflow"


# -- progress ---------------------------------------------------------------------------------


def test_a_step_reports_its_start_progress_and_completion(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})

    @progress.agent_step("demand", "doing the thing")
    def step(container: Container, workflow_id: str, factor: int) -> dict[str, Any]:
        progress.report_progress(container, workflow_id, "demand", 30, "halfway")
        return {"answer": 21 * factor}

    assert step(c, workflow.workflow_id, 2) == {"answer": 42}
    started, halfway, done = fakes.publisher.published(workflow.workflow_id)
    assert isinstance(started, AgentStarted)
    assert started.message == "Demand agent: doing the thing"
    assert isinstance(halfway, AgentProgress) and halfway.progress_pct == 30
    assert isinstance(done, AgentCompleted) and done.result == {"answer": 42}
    assert done.duration_seconds >= 0 and done.message.startswith("Demand agent finished in")
    stored = c.workflows.get(workflow.workflow_id)
    assert (stored.current_agent, stored.progress_pct) == ("demand", 30)


def test_a_failing_step_publishes_nothing_more(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})

    @progress.agent_step("pricing", "failing")
    def step(container: Container, workflow_id: str) -> dict[str, Any]:
        raise ValueError("no")

    with pytest.raises(ValueError):
        step(c, workflow.workflow_id)
    assert event_types(fakes, workflow.workflow_id) == ["agent_started"]


def test_a_broken_event_log_never_fails_the_step(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    fakes.event_log.reachable = False

    @progress.agent_step("inventory", "sizing")
    def step(container: Container, workflow_id: str) -> dict[str, Any]:
        progress.report_progress(container, workflow_id, "inventory", 55, "sizing")
        return {"ok": True}

    assert step(c, workflow.workflow_id) == {"ok": True}
    assert c.workflows.get(workflow.workflow_id).progress_pct == 55
    assert fakes.event_log.events == {}
