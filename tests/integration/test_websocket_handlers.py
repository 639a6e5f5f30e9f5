"""The WebSocket function's routes, driven by API Gateway event fixtures (tests/fixtures/websocket)
against moto: DynamoDB for connections and the event log, and moto's management API, which
records what is posted to each connection."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from fashion_forecast.app import subscriptions
from fashion_forecast.models.events import AgentProgress, AgentStarted, parse_event
from fashion_forecast.models.workflows import WorkflowType
from fashion_forecast.ports import Container, NotFoundError
from fashion_forecast_local.lambdas import LambdaContext, load_handler
from fashion_forecast_local.template import ACCOUNT_ID, REGION, Template
from functions.websocket import app as websocket

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "websocket"
CONNECTION = "Cq2vNdTRoAMCJ1g="  # the fixtures' connection id


def fixture(name: str, **context: Any) -> dict[str, Any]:
    """An API Gateway event from the fixtures, connected now (the TTL counts from then)."""
    event: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    event["requestContext"]["connectedAt"] = int(time.time() * 1000)
    event["requestContext"].update(context)
    return event


def connect_event(workflow_id: str | None, **context: Any) -> dict[str, Any]:
    event = fixture("connect", **context)
    if workflow_id is None:
        del event["queryStringParameters"], event["multiValueQueryStringParameters"]
    else:
        event["queryStringParameters"] = {"workflow_id": workflow_id}
        event["multiValueQueryStringParameters"] = {"workflow_id": [workflow_id]}
    return event


def message_event(body: Any, *, raw: bool = False, **context: Any) -> dict[str, Any]:
    event = fixture("message", **context)
    event["body"] = body if raw else json.dumps(body)
    return event


def sent(connection_id: str = CONNECTION) -> list[dict[str, Any]]:
    """What moto's management API received for a connection: concatenated JSON messages."""
    backend = apigatewaymanagementapi_backends[ACCOUNT_ID][REGION]
    stored = backend.connections.get(quote(connection_id, safe=""))
    text = stored.data.decode() if stored else ""
    decoder, messages, i = json.JSONDecoder(), [], 0
    while i < len(text):
        message, i = decoder.raw_decode(text, i)
        messages.append(message)
    return messages


@pytest.fixture
def workflow_id(container: Container) -> str:
    workflow = container.workflows.create(
        workflow_id="wf-stream-1",
        workflow_type=WorkflowType.FORECAST,
        category_id="womens_dresses",
        input={},
    )
    return workflow.workflow_id


# -- $connect -----------------------------------------------------------------------------------


def test_connect_stores_the_connection_with_a_ttl_indexed_by_workflow(
    container: Container, workflow_id: str
) -> None:
    before = dt.datetime.now(dt.UTC)
    answer = websocket.handle(container, connect_event(workflow_id), None)
    assert answer["statusCode"] == 200

    connection = container.connections.get(CONNECTION)
    assert connection.workflow_id == workflow_id
    assert connection.source_ip == "203.0.113.42"
    assert connection.user_agent and connection.user_agent.startswith("Mozilla/5.0")
    assert abs((connection.connected_at - before).total_seconds()) < 5
    lifetime = connection.expires_at - connection.connected_at
    assert abs(lifetime - dt.timedelta(hours=2, minutes=1)) < dt.timedelta(seconds=1)
    assert [c.connection_id for c in container.connections.for_workflow(workflow_id)] == [
        CONNECTION
    ]
    item = boto3.client("dynamodb").get_item(
        TableName=container.settings.table_name,
        Key={"pk": {"S": f"CONN#{CONNECTION}"}, "sk": {"S": "CONNECTION"}},
    )["Item"]
    assert item["gsi1pk"] == {"S": f"WFCONN#{workflow_id}"}
    assert int(item["expires_at_epoch"]["N"]) == int(connection.expires_at.timestamp())


@pytest.mark.parametrize(
    ("workflow", "status", "message"),
    [
        (None, 400, "connect with ?workflow_id="),
        ("", 400, "connect with ?workflow_id="),
        ("not a valid id!", 400, "not a valid id"),
        ("no-such-workflow", 404, "workflow no-such-workflow not found"),
    ],
)
def test_connect_is_refused_without_an_existing_workflow(
    container: Container, workflow_id: str, workflow: str | None, status: int, message: str
) -> None:
    answer = websocket.handle(container, connect_event(workflow), None)
    assert answer["statusCode"] == status
    assert message in json.loads(answer["body"])["message"]
    with pytest.raises(NotFoundError):
        container.connections.get(CONNECTION)
    assert container.connections.for_workflow(workflow_id) == []


# -- $disconnect --------------------------------------------------------------------------------


def test_disconnect_deletes_the_connection(container: Container, workflow_id: str) -> None:
    websocket.handle(container, connect_event(workflow_id), None)
    answer = websocket.handle(container, fixture("disconnect"), None)
    assert answer["statusCode"] == 200
    with pytest.raises(NotFoundError):
        container.connections.get(CONNECTION)
    assert container.connections.for_workflow(workflow_id) == []
    # API Gateway may deliver $disconnect for a connection already cleaned up
    assert websocket.handle(container, fixture("disconnect"), None)["statusCode"] == 200


# -- $default -----------------------------------------------------------------------------------


def test_ping_answers_pong_to_that_connection(container: Container, workflow_id: str) -> None:
    websocket.handle(container, connect_event(workflow_id), None)
    assert websocket.handle(container, message_event({"action": "ping"}), None)["statusCode"] == 200
    (pong,) = sent()
    assert pong["type"] == "pong"
    assert dt.datetime.fromisoformat(pong["timestamp"]) <= dt.datetime.now(dt.UTC)
    assert sent("someone-else") == []


def test_a_base64_encoded_message_is_decoded(container: Container, workflow_id: str) -> None:
    websocket.handle(container, connect_event(workflow_id), None)
    event = message_event(base64.b64encode(b'{"action": "ping"}').decode(), raw=True)
    event["isBase64Encoded"] = True
    websocket.handle(container, event, None)
    assert [m["type"] for m in sent()] == ["pong"]


def _publish(container: Container, workflow_id: str, count: int) -> list[Any]:
    stored = []
    for i in range(count):
        event = AgentProgress(
            workflow_id=workflow_id, agent="demand", message=f"step {i}", progress_pct=10 + i
        )
        stored.append(container.event_log.append(event))
    return stored


def test_replay_sends_the_events_after_since_then_replay_complete(
    container: Container, workflow_id: str
) -> None:
    stored = _publish(container, workflow_id, 5)
    websocket.handle(container, connect_event(workflow_id), None)
    websocket.handle(container, message_event({"action": "replay", "since": 2}), None)
    *events, done = sent()
    assert [parse_event(json.dumps(e)) for e in events] == stored[2:]
    assert done == {
        "type": "replay_complete",
        "workflow_id": workflow_id,
        "since": 2,
        "count": 3,
        "last_sequence": 5,
        "has_more": False,
    }


def test_replay_from_zero_and_past_the_end(container: Container, workflow_id: str) -> None:
    stored = _publish(container, workflow_id, 3)
    websocket.handle(container, connect_event(workflow_id), None)
    websocket.handle(container, message_event({"action": "replay"}), None)  # since defaults to 0
    websocket.handle(container, message_event({"action": "replay", "since": 9}), None)
    messages = sent()
    assert [m.get("sequence") for m in messages[:3]] == [e.sequence for e in stored]
    assert messages[3]["count"] == 3
    assert messages[4] == {
        "type": "replay_complete",
        "workflow_id": workflow_id,
        "since": 9,
        "count": 0,
        "last_sequence": 9,
        "has_more": False,
    }


def test_replay_pages_through_a_long_log(
    container: Container, workflow_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    monkeypatch.setattr(subscriptions, "REPLAY_MAX", 5)
    _publish(container, workflow_id, 7)
    websocket.handle(container, connect_event(workflow_id), None)
    websocket.handle(container, message_event({"action": "replay", "since": 0}), None)
    *events, done = sent()
    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]
    assert (done["last_sequence"], done["has_more"]) == (5, True)
    websocket.handle(container, message_event({"action": "replay", "since": 5}), None)
    *rest, done = sent()[6:]
    assert [e["sequence"] for e in rest] == [6, 7]
    assert (done["last_sequence"], done["has_more"]) == (7, False)


@pytest.mark.parametrize(
    ("body", "raw", "expected"),
    [
        ("not json", True, "messages are JSON"),
        (["ping"], False, "a JSON object"),
        ({"action": "dance"}, False, "unknown action 'dance'"),
        ({"message": "hi"}, False, "unknown action None"),
        ({"action": "replay", "since": -1}, False, "since: an integer >= 0"),
        ({"action": "replay", "since": "2"}, False, "since: an integer >= 0"),
        ({"action": "replay", "since": 1.5}, False, "since: an integer >= 0"),
    ],
)
def test_bad_messages_answer_a_protocol_error(
    container: Container, workflow_id: str, body: Any, raw: bool, expected: str
) -> None:
    websocket.handle(container, connect_event(workflow_id), None)
    answer = websocket.handle(container, message_event(body, raw=raw), None)
    assert answer["statusCode"] == 200
    (error,) = sent()
    assert error["type"] == "protocol_error"
    assert expected in error["message"]


def test_replay_on_an_unknown_connection_answers_a_protocol_error(container: Container) -> None:
    websocket.handle(container, message_event({"action": "replay", "since": 0}), None)
    (error,) = sent()
    assert error == {
        "type": "protocol_error",
        "error_code": "no_workflow",
        "message": "this connection follows no workflow",
    }


# -- the Lambda handler module itself ------------------------------------------------------------


def test_the_lambda_handler_routes_fixture_events(
    container: Container, workflow_id: str, template: Template
) -> None:
    handler = load_handler(template, "WebSocketFunction")
    context = LambdaContext("WebSocketFunction")
    assert handler(connect_event(workflow_id), context)["statusCode"] == 200
    container.event_log.append(AgentStarted(workflow_id=workflow_id, agent="demand", message="go"))
    handler(message_event({"action": "replay", "since": 0}), context)
    assert [m["type"] for m in sent()] == ["agent_started", "replay_complete"]
    assert handler(copy.deepcopy(fixture("disconnect")), context)["statusCode"] == 200
    assert container.connections.for_workflow(workflow_id) == []
    assert handler(connect_event("nope"), context)["statusCode"] == 404
