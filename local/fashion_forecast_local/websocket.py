"""API Gateway's WebSocket role in the local runtime (`sam local` has no WebSocket support).

Installed on the locally served FastAPI app only (never in the Lambda's app):

- `ws://<host>:<port>/ws?workflow_id=<id>&api_key=<key>` (or `&token=<Cognito token>`) accepts
  WebSocket clients. Like API Gateway with the $connect authorizer (functions/ws_authorizer,
  whose `CredentialCheck` this applies) it refuses a handshake without a valid credential
  (401) or from an Origin not allowed (403) before any function runs, so a refused connection
  never reaches the connection table; an accepted one's $connect event carries the
  authorizer's context. Like API Gateway it gives each connection an id and invokes the real
  WebSocket function (functions/websocket, run in-process) with API Gateway-shaped events:
  $connect before accepting (a non-2xx statusCode refuses the upgrade with that status and
  body), $default for every message, $disconnect when either side closes.
- `POST|GET|DELETE /@connections/{connection_id}` is the management API that the
  apigatewaymanagementapi client is pointed at (WEBSOCKET_MANAGEMENT_ENDPOINT =
  http://<host>:<port>): a post is delivered to the socket as a text message; a connection that
  is not open answers 410 GoneException, so the publisher's clean-up path is the real one.

Handlers run in worker threads (they block on boto3); posts may come from any thread (the Step
Functions execution thread, a handler) over HTTP, and are handed to the socket's own event loop
with asyncio.run_coroutine_threadsafe when they arrive on another one.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from fastapi import APIRouter, FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response

logger = Logger(service="fashion-forecast-local-websocket")

WEBSOCKET_PATH = "/ws"
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit

# An invocation as local.lambdas.InProcessLambdas.invoke returns it: (payload, errored, logs).
Invoke = Callable[[dict[str, Any]], tuple[str, bool, str]]


class _RefusalLogFilter(logging.Filter):
    """uvicorn logs every refused upgrade (a denial response, i.e. $connect said no) as an
    error, 'ASGI callable returned without completing handshake.': that is the protocol
    working, not a fault."""

    MESSAGE = "ASGI callable returned without completing handshake."

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.MESSAGE


class _CredentialRedaction(logging.Filter):
    """Browsers send the WebSocket credential in the query string (`api_key=`, `token=`), and
    uvicorn logs a handshake's full path: the value is masked before any handler sees it."""

    PATTERN = re.compile(r"((?:api_key|token)=)[^&\s\"']+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.PATTERN.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _quiet_refusals() -> None:
    for name in ("uvicorn.error", "uvicorn.access"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _CredentialRedaction) for f in log.filters):
            log.addFilter(_CredentialRedaction())
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _RefusalLogFilter) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(_RefusalLogFilter())


def new_connection_id() -> str:
    """An id shaped like API Gateway's: 11 random bytes in (URL-safe) base64, 16 characters
    ending in '='."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _iso(epoch_ms: int) -> str:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).isoformat()


@dataclass
class _Socket:
    websocket: WebSocket
    loop: asyncio.AbstractEventLoop
    connected_at: int  # epoch ms
    source_ip: str
    user_agent: str
    last_active: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    open: bool = True


class LocalWebSocketGateway:
    """Plays API Gateway's WebSocket API for one WebSocket function.

    `invoke(event)` runs the function (e.g. InProcessLambdas.invoke bound to its name).
    """

    def __init__(
        self,
        invoke: Invoke,
        *,
        path: str = WEBSOCKET_PATH,
        stage: str = "local",
        api_id: str = "local",
        check: Any = None,  # the authorizer's CredentialCheck (local.edge)
    ) -> None:
        self._invoke = invoke
        self._check = check
        self.path = path
        self.stage = stage
        self.api_id = api_id
        self._sockets: dict[str, _Socket] = {}
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_websocket_route(path, self._serve)
        connections = "/@connections/{connection_id:path}"  # an id may hold an encoded "/"
        self.router.add_api_route(connections, self._post, methods=["POST"])
        self.router.add_api_route(connections, self._get, methods=["GET"])
        self.router.add_api_route(connections, self._delete, methods=["DELETE"])

    def install(self, app: FastAPI) -> FastAPI:
        app.include_router(self.router)
        _quiet_refusals()
        return app

    @property
    def connection_ids(self) -> list[str]:
        return [cid for cid, socket in self._sockets.items() if socket.open]

    # -- API Gateway events --------------------------------------------------------------------

    def _event(
        self,
        route_key: str,
        event_type: str,
        cid: str,
        connected_at: int,
        source_ip: str,
        user_agent: str,
        **extra: Any,
    ) -> dict[str, Any]:
        now = int(time.time() * 1000)
        request_id = new_connection_id()
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now / 1000)),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": connected_at,
            "requestTimeEpoch": now,
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "requestId": request_id,
            "domainName": "localhost",
            "connectionId": cid,
            "apiId": self.api_id,
        }
        context.update(extra.pop("context", {}))
        return {"requestContext": context, "isBase64Encoded": False, **extra}

    async def _call(self, event: dict[str, Any]) -> tuple[int, str]:
        """Invoke the function in a worker thread -> (statusCode, body). A failed invocation is
        a 500, as API Gateway answers it."""
        payload, errored, _ = await asyncio.to_thread(self._invoke, event)
        if errored:
            logger.error("websocket function failed", extra={"error": payload[:2000]})
            return 500, json.dumps({"message": "Internal server error"})
        try:
            result = json.loads(payload)
        except json.JSONDecodeError:
            return 200, payload
        if not isinstance(result, dict):
            return 200, payload
        body = result.get("body")
        return int(result.get("statusCode", 200)), body if isinstance(body, str) else ""

    # -- the WebSocket endpoint ----------------------------------------------------------------

    async def _serve(self, websocket: WebSocket) -> None:
        cid = new_connection_id()
        connected_at = int(time.time() * 1000)
        source_ip = websocket.client.host if websocket.client else "127.0.0.1"
        user_agent = websocket.headers.get("user-agent", "")
        ident = (cid, connected_at, source_ip, user_agent)
        headers = dict(websocket.headers.items())
        query = dict(websocket.query_params.items())
        connect = self._event(
            "$connect",
            "CONNECT",
            *ident,
            headers=headers,
            multiValueHeaders={k: [v] for k, v in headers.items()},
        )
        if query:  # API Gateway leaves both out when there is no query string
            connect["queryStringParameters"] = query
            connect["multiValueQueryStringParameters"] = {
                k: websocket.query_params.getlist(k) for k in query
            }
        if self._check is not None:
            try:
                self._check.check_origin(websocket.headers.get("origin"))
                identity = self._check.verify_query(query)
            except self._check.refused as refused:
                logger.info("connect refused", extra={"reason": refused.message})
                said = "Unauthorized" if refused.status == 401 else "Forbidden"
                await self._refuse(websocket, refused.status, json.dumps({"message": said}))
                return
            authorizer = {"principalId": identity.name, **identity.context()}
            connect["requestContext"]["authorizer"] = authorizer
        status, body = await self._call(connect)
        if not 200 <= status < 300:
            await self._refuse(websocket, status, body)
            return
        await websocket.accept()
        socket = _Socket(
            websocket, asyncio.get_running_loop(), connected_at, source_ip, user_agent, connected_at
        )
        self._sockets[cid] = socket
        close_code, reason = 1005, "Client-side close frame status not set"
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    close_code = int(message.get("code") or 1005)
                    reason = str(message.get("reason") or "") or reason
                    break
                socket.last_active = int(time.time() * 1000)
                text, data = message.get("text"), message.get("bytes")
                event = self._event(
                    "$default",
                    "MESSAGE",
                    *ident,
                    context={"messageId": new_connection_id()},
                    body=text if text is not None else base64.b64encode(data or b"").decode(),
                )
                event["isBase64Encoded"] = text is None
                status, _ = await self._call(event)
                if status >= 500:  # what API Gateway tells a client when the integration fails
                    answer = {
                        "message": "Internal server error",
                        "connectionId": cid,
                        "requestId": event["requestContext"]["requestId"],
                    }
                    await self._send(socket, json.dumps(answer).encode())
        except Exception:  # the socket broke (client vanished): treat as a disconnect
            logger.info("websocket closed abruptly", extra={"connection_id": cid})
        finally:
            socket.open = False
            self._sockets.pop(cid, None)
            disconnect = self._event(
                "$disconnect",
                "DISCONNECT",
                *ident,
                context={"disconnectStatusCode": close_code, "disconnectReason": reason},
                headers={"Host": headers.get("host", "localhost")},
            )
            await self._call(disconnect)

    @staticmethod
    async def _refuse(websocket: WebSocket, status: int, body: str) -> None:
        try:
            await websocket.send_denial_response(
                Response(content=body, status_code=status, media_type="application/json")
            )
        except RuntimeError:  # a server without the denial-response extension
            await websocket.close(code=1008)

    async def _send(self, socket: _Socket, data: bytes) -> None:
        async def send() -> None:
            async with socket.lock:
                if not socket.open:
                    raise ConnectionError("closed")
                try:
                    await socket.websocket.send_text(data.decode())
                except UnicodeDecodeError:
                    await socket.websocket.send_bytes(data)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is socket.loop:
            await send()
        else:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(send(), socket.loop))

    # -- the @connections management API ------------------------------------------------------

    @staticmethod
    def _gone(cid: str) -> JSONResponse:
        return JSONResponse(
            status_code=410,
            content={"message": f"connection {cid} is gone"},
            headers={"x-amzn-ErrorType": "GoneException"},
        )

    async def _post(self, connection_id: str, request: Request) -> Response:
        data = await request.body()
        if len(data) > MAX_MESSAGE_BYTES:
            return JSONResponse(
                status_code=413,
                content={"message": "payload too large"},
                headers={"x-amzn-ErrorType": "PayloadTooLargeException"},
            )
        socket = self._sockets.get(connection_id)
        if socket is None or not socket.open:
            return self._gone(connection_id)
        try:
            await self._send(socket, data)
        except Exception:
            socket.open = False
            return self._gone(connection_id)
        socket.last_active = int(time.time() * 1000)
        return Response(status_code=200, headers={"x-amzn-RequestId": str(uuid.uuid4())})

    async def _get(self, connection_id: str) -> Response:
        socket = self._sockets.get(connection_id)
        if socket is None or not socket.open:
            return self._gone(connection_id)
        return JSONResponse(
            {
                "connectedAt": _iso(socket.connected_at),
                "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent},
                "lastActiveAt": _iso(socket.last_active),
            }
        )

    async def _delete(self, connection_id: str) -> Response:
        socket = self._sockets.get(connection_id)
        if socket is None or not socket.open:
            return self._gone(connection_id)

        async def close() -> None:
            async with socket.lock:
                socket.open = False
                await socket.websocket.close(code=1000, reason="deleted by the backend")

        if asyncio.get_running_loop() is socket.loop:
            await close()
        else:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(close(), socket.loop))
        return Response(status_code=204)
