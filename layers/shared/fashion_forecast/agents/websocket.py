"""The WebSocket API's routes ($connect, $disconnect, $default) for the progress stream.

- $connect needs ?workflow_id= of an existing workflow: missing or malformed -> 400, unknown
  -> 404 (API Gateway then refuses the connection). The connection is stored with a TTL and
  indexed by workflow, so the publisher finds it.
- $disconnect deletes it.
- $default: {"action": "ping"} -> a pong; {"action": "replay", "since": N} -> the events after N,
  then replay_complete; anything else -> protocol_error. Answers go through the management API
  (post_to_connection), like the events, so no route response is configured.

The protocol and the message shapes are documented in fashion_forecast.models.events.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent
from pydantic import ValidationError

from fashion_forecast.adapters.errors import NotFoundError
from fashion_forecast.events import PostResult
from fashion_forecast.models.events import (
    ClientAction,
    Pong,
    ProtocolError,
    ReplayComplete,
    ReplayRequest,
)
from fashion_forecast.services import Services

logger = Logger(service="fashion-forecast-websocket")

WORKFLOW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
REPLAY_PAGE = 500  # events per query; a replay sends at most REPLAY_MAX before replay_complete
REPLAY_MAX = 1000


def response(status: int, message: str = "") -> dict[str, Any]:
    body = json.dumps({"message": message}) if message else ""
    return {"statusCode": status, "body": body}


def connect(services: Services, event: APIGatewayWebSocketEvent) -> dict[str, Any]:
    context = event.request_context
    query = event.get("queryStringParameters") or {}
    workflow_id = query.get("workflow_id")
    if not workflow_id:
        return response(400, "connect with ?workflow_id=<id> of the workflow to follow")
    if not WORKFLOW_ID.match(workflow_id):
        return response(400, "workflow_id is not a valid id")
    try:
        services.workflows.get(workflow_id)
    except NotFoundError:
        return response(404, f"workflow {workflow_id} not found")
    connected_ms = context.get("connectedAt")
    identity = context.get("identity") or {}
    services.connections.add(
        context.connection_id,
        workflow_id,
        connected_at=(
            dt.datetime.fromtimestamp(connected_ms / 1000, dt.UTC) if connected_ms else None
        ),
        source_ip=identity.get("sourceIp"),
        user_agent=identity.get("userAgent") or event.headers.get("User-Agent"),
    )
    logger.info(
        "connected", extra={"workflow_id": workflow_id, "connection_id": context.connection_id}
    )
    return response(200)


def disconnect(services: Services, event: APIGatewayWebSocketEvent) -> dict[str, Any]:
    context = event.request_context
    services.connections.remove(context.connection_id)
    logger.info(
        "disconnected",
        extra={
            "connection_id": context.connection_id,
            "status": context.disconnect_status_code,
            "reason": context.disconnect_reason,
        },
    )
    return response(200)


def _action(body: str | None) -> tuple[dict[str, Any] | None, str | None]:
    try:
        message = json.loads(body or "")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, 'messages are JSON: {"action": "ping"} or {"action": "replay", "since": 0}'
    if not isinstance(message, dict):
        return None, "a message is a JSON object with an action"
    return message, None


def message(services: Services, event: APIGatewayWebSocketEvent) -> dict[str, Any]:
    connection_id = event.request_context.connection_id
    body, problem = _action(event.decoded_body)
    action = body.get("action") if body else None
    if action == ClientAction.PING:
        services.events.send(connection_id, Pong())
        return response(200)
    if action == ClientAction.REPLAY:
        try:
            request = ReplayRequest.model_validate(body)
        except ValidationError:
            services.events.send(
                connection_id, ProtocolError(message="replay needs since: an integer >= 0")
            )
            return response(200)
        return replay(services, connection_id, request.since)
    services.events.send(
        connection_id,
        ProtocolError(
            message=problem or f"unknown action {action!r}: use ping or replay",
        ),
    )
    return response(200)


def replay(services: Services, connection_id: str, since: int) -> dict[str, Any]:
    """Send the connection's workflow's events after `since`, in order, then replay_complete."""
    try:
        connection = services.connections.get(connection_id)
    except NotFoundError:
        services.events.send(
            connection_id, ProtocolError(message="this connection follows no workflow")
        )
        return response(200)
    workflow_id = connection.workflow_id
    last, count, has_more = since, 0, True
    while has_more and count < REPLAY_MAX:
        page = services.event_log.after(workflow_id, last, min(REPLAY_PAGE, REPLAY_MAX - count))
        for stored in page.events:
            if services.events.send(connection_id, stored) is PostResult.GONE:
                return response(200)
            last, count = stored.sequence, count + 1
        has_more = page.has_more
    services.events.send(
        connection_id,
        ReplayComplete(
            workflow_id=workflow_id,
            since=since,
            count=count,
            last_sequence=last,
            has_more=has_more,
        ),
    )
    return response(200)


def handle(services: Services, event: dict[str, Any]) -> dict[str, Any]:
    ws = APIGatewayWebSocketEvent(event)
    route = ws.request_context.route_key
    if route == "$connect":
        return connect(services, ws)
    if route == "$disconnect":
        return disconnect(services, ws)
    return message(services, ws)
