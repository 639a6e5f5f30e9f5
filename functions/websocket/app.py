"""WebSocket Lambda of the progress stream: $connect, $disconnect and $default routes
(fashion_forecast.app.subscriptions). $connect arrives only after the authorizer
(functions/ws_authorizer) accepted the credential and the Origin; the subscriber needs the
viewer role.

On the connect path, so it stays light: no Tracer (API Gateway and Lambda active tracing cover
it, as for the API function); correlation id = the connection id.
"""

import datetime as dt
import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent

from fashion_forecast.app import subscriptions
from fashion_forecast.handler import make_handler
from fashion_forecast.models.identity import Role, caller_of
from fashion_forecast.ports import Container


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    ws = APIGatewayWebSocketEvent(event)
    request = ws.request_context
    route = request.route_key
    if route == "$connect":
        refusal = _refusal(c, event.get("requestContext") or {})
        if refusal is not None:
            return refusal
        query = ws.get("queryStringParameters") or {}
        connected_ms = request.get("connectedAt")
        identity = request.get("identity") or {}
        answer = subscriptions.connect(
            c,
            request.connection_id,
            query.get("workflow_id"),
            connected_at=(
                dt.datetime.fromtimestamp(connected_ms / 1000, dt.UTC) if connected_ms else None
            ),
            source_ip=identity.get("sourceIp"),
            user_agent=identity.get("userAgent") or ws.headers.get("User-Agent"),
        )
    elif route == "$disconnect":
        answer = subscriptions.disconnect(c, request.connection_id)
    else:
        answer = subscriptions.receive(c, request.connection_id, ws.decoded_body)
    body = json.dumps({"message": answer.message}) if answer.message else ""
    return {"statusCode": answer.status, "body": body}


def _refusal(c: Container, request_context: dict[str, Any]) -> dict[str, Any] | None:
    """Subscribing is reading: the caller the $connect authorizer let through (its context,
    read as the API reads identities) needs the viewer role."""
    settings = c.settings
    caller = caller_of(request_context, settings.auth_mode, settings.api_key_role_set)
    if caller is None:
        return {"statusCode": 401, "body": json.dumps({"message": "Unauthorized"})}
    if not caller.has(Role.VIEWER):
        return {"statusCode": 403, "body": json.dumps({"message": "This needs the viewer role"})}
    return None


handler = make_handler(
    "websocket", handle, correlation_id_path="requestContext.connectionId", tracing=False
)
