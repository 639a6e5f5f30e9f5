"""The progress stream's WebSocket routes ($connect, $disconnect, $default) as use cases; the
WebSocket function (functions/websocket) turns API Gateway's events into these calls.

- $connect needs ?workflow_id= of an existing workflow: missing or malformed -> 400, unknown
  -> 404 (API Gateway then refuses the connection). The connection is stored with a TTL and
  indexed by workflow, so the publisher finds it.
- $disconnect deletes it.
- $default: {"action": "ping"} -> a pong; {"action": "replay", "since": N} -> the events after N,
  then replay_complete; anything else -> protocol_error with an error_code, and the connection
  stays open: a message over MAX_MESSAGE_BYTES (128 KiB, API Gateway's own limit) is
  message_too_large and one nesting arrays or objects deeper than MAX_JSON_DEPTH is
  nesting_too_deep, both refused before any JSON parsing. Answers go through the publisher (the
  management API's post_to_connection), like the events, so no route response is configured.

The protocol and the message shapes are documented in fashion_forecast.models.events.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from fashion_forecast.constants import ID_PATTERN
from fashion_forecast.models.events import (
    ClientAction,
    Pong,
    ProtocolError,
    ReplayComplete,
    ReplayRequest,
)
from fashion_forecast.models.inputs import MAX_JSON_DEPTH, json_depth
from fashion_forecast.ports import Container, NotFoundError, PostResult

logger = Logger(service="fashion-forecast-websocket")

WORKFLOW_ID = re.compile(ID_PATTERN)
REPLAY_PAGE = 500  # events per query; a replay sends at most REPLAY_MAX before replay_complete
REPLAY_MAX = 1000
MAX_MESSAGE_BYTES = 128 * 1024


@dataclass(frozen=True)
class Answer:
    """What a route answers API Gateway: a status (a non-2xx $connect refuses the client)."""

    status: int
    message: str = ""


def connect(
    c: Container,
    connection_id: str,
    workflow_id: str | None,
    *,
    connected_at: dt.datetime | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
) -> Answer:
    if not workflow_id:
        return Answer(400, "connect with ?workflow_id=<id> of the workflow to follow")
    if not WORKFLOW_ID.match(workflow_id):
        return Answer(400, "workflow_id is not a valid id")
    try:
        c.workflows.get(workflow_id)
    except NotFoundError:
        return Answer(404, f"workflow {workflow_id} not found")
    c.connections.add(
        connection_id,
        workflow_id,
        connected_at=connected_at,
        source_ip=source_ip,
        user_agent=user_agent,
    )
    logger.info("connected", extra={"workflow_id": workflow_id, "connection_id": connection_id})
    return Answer(200)


def disconnect(c: Container, connection_id: str) -> Answer:
    c.connections.remove(connection_id)
    logger.info("disconnected", extra={"connection_id": connection_id})
    return Answer(200)


def _action(body: str | None) -> dict[str, Any] | ProtocolError:
    text = body or ""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        return ProtocolError(
            error_code="message_too_large",
            message=f"a message is at most {MAX_MESSAGE_BYTES} bytes; this one is {size}",
        )
    if json_depth(text) > MAX_JSON_DEPTH:
        return ProtocolError(
            error_code="nesting_too_deep",
            message=f"a message nests arrays and objects at most {MAX_JSON_DEPTH} deep",
        )
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return ProtocolError(
            message='messages are JSON: {"action": "ping"} or {"action": "replay", "since": 0}'
        )
    if not isinstance(message, dict):
        return ProtocolError(message="a message is a JSON object with an action")
    return message


def receive(c: Container, connection_id: str, text: str | None) -> Answer:
    """A client's message: ping, replay, or anything else (a protocol_error answer)."""
    body = _action(text)
    if isinstance(body, ProtocolError):
        c.publisher.send(connection_id, body)
        return Answer(200)
    action = body.get("action")
    if action == ClientAction.PING:
        c.publisher.send(connection_id, Pong())
        return Answer(200)
    if action == ClientAction.REPLAY:
        try:
            request = ReplayRequest.model_validate(body)
        except ValidationError:
            c.publisher.send(
                connection_id, ProtocolError(message="replay needs since: an integer >= 0")
            )
            return Answer(200)
        return replay(c, connection_id, request.since)
    c.publisher.send(
        connection_id,
        ProtocolError(
            error_code="unknown_action", message=f"unknown action {action!r}: use ping or replay"
        ),
    )
    return Answer(200)


def replay(c: Container, connection_id: str, since: int) -> Answer:
    """Send the connection's workflow's events after `since`, in order, then replay_complete."""
    try:
        connection = c.connections.get(connection_id)
    except NotFoundError:
        c.publisher.send(
            connection_id,
            ProtocolError(error_code="no_workflow", message="this connection follows no workflow"),
        )
        return Answer(200)
    workflow_id = connection.workflow_id
    last, count, has_more = since, 0, True
    while has_more and count < REPLAY_MAX:
        page = c.event_log.after(workflow_id, last, min(REPLAY_PAGE, REPLAY_MAX - count))
        for stored in page.events:
            if c.publisher.send(connection_id, stored) is PostResult.GONE:
                return Answer(200)
            last, count = stored.sequence, count + 1
        has_more = page.has_more
    c.publisher.send(
        connection_id,
        ReplayComplete(
            workflow_id=workflow_id,
            since=since,
            count=count,
            last_sequence=last,
            has_more=has_more,
        ),
    )
    return Answer(200)
