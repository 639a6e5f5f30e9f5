"""ASGI middleware: request ids, body size limit, request logging, CORS."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from aws_lambda_powertools import Logger
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fashion_forecast.api.errors import REQUEST_ID_HEADER, ErrorResponse
from fashion_forecast.app.audit import REQUEST_ID

logger = Logger(service="fashion-forecast-api")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.decode("latin-1").lower() == REQUEST_ID_HEADER.lower():
            candidate = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
    event = scope.get("aws.event") or {}
    gateway_id = (event.get("requestContext") or {}).get("requestId")
    if isinstance(gateway_id, str) and _SAFE_ID.match(gateway_id):
        return gateway_id
    return str(uuid.uuid4())


DRAIN_BYTES = 16 * 1024 * 1024


class RequestContextMiddleware:
    """Gives every request an id (client's X-Request-ID if sane, else API Gateway's, else new),
    echoes it in X-Request-ID, uses it as the log correlation id, and refuses bodies over
    `max_body_bytes` (`max_upload_bytes` on paths starting with one of `upload_paths`: file
    uploads) with 413 before the app sees them.

    The limit holds however the body is framed: a declared Content-Length over it is refused
    unread; otherwise (chunked, or a Content-Length that lies) the body is read here, up to the
    limit, and handed to the app whole, so the app never reads past the limit and a body over it
    is a 413 in the error shape rather than a failure inside the framework's body parsing. At
    most the limit (plus one chunk) is held in memory. After a refusal up to `max_drain_bytes`
    more are read and discarded, so a client that writes its whole request before reading the
    answer (most do) gets the 413 instead of a reset connection; past that the server closes."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_upload_bytes: int | None = None,
        upload_paths: tuple[str, ...] = (),
        max_drain_bytes: int = DRAIN_BYTES,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes or max_body_bytes
        self.upload_paths = upload_paths
        self.max_drain_bytes = max_drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        logger.set_correlation_id(request_id)
        REQUEST_ID.set(request_id)  # what the audit trail records (this request's context only)
        started = time.perf_counter()
        status: dict[str, Any] = {}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        limit = self.max_body_bytes
        if self.upload_paths and str(scope.get("path", "")).startswith(self.upload_paths):
            limit = self.max_upload_bytes
        try:
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                await self._too_large(request_id, send_with_id, limit)
                return
            try:
                body = await self._read_body(receive, limit)
            except _BodyTooLarge:
                await self._too_large(request_id, send_with_id, limit)
                return
            except _Disconnected:
                return  # the client went away: nobody to answer
            await self.app(scope, _replay(body, receive), send_with_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status.get("code"),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

    async def _read_body(self, receive: Receive, limit: int) -> bytes:
        """The whole body; _BodyTooLarge (after draining a bounded rest) when it is over
        `limit`, _Disconnected when the client goes away first."""
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            received += len(chunk)
            if received > limit:
                chunks.clear()
                drained = 0
                while more and drained < self.max_drain_bytes:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Disconnected
                    drained += len(message.get("body", b""))
                    more = message.get("more_body", False)
                raise _BodyTooLarge
            if chunk:
                chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _too_large(self, request_id: str, send: Send, limit: int) -> None:
        body = (
            ErrorResponse(
                error_code="payload_too_large",
                message=f"Request body exceeds {limit} bytes",
                request_id=request_id,
            )
            .model_dump_json()
            .encode()
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the app the body read already, in one message, then passes on to
    the server's (which then only reports the disconnect)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class RootPathMiddleware:
    """Serve under an API Gateway stage prefix (e.g. /Prod): the gateway strips the stage from
    the path, so routes match as they are, while /docs and OpenAPI must link under the prefix."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = dict(scope, root_path=self.root_path)
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


CORS_ALLOWED_HEADERS = ("authorization", "x-api-key", "content-type", "x-request-id")
CORS_ALLOWED_METHODS = ("GET", "POST", "OPTIONS")
CORS_MAX_AGE_SECONDS = 600


class CorsMiddleware(CORSMiddleware):
    """CORS for the allowed origins only (settings.origins), outermost so every answer,
    413s and the edge's 401s included, carries it: a preflight from an allowed origin is
    answered here (200, the allowed methods and headers), any other origin gets no
    Access-Control-Allow-Origin, and a refused preflight is a 400 in the error shape. In the
    cloud API Gateway passes preflights (OPTIONS) through to the function unauthenticated:
    with a Lambda proxy integration only the function can set these headers, and a list of
    origins has to be matched per request."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=CORS_ALLOWED_METHODS,
            allow_headers=CORS_ALLOWED_HEADERS,
            expose_headers=(REQUEST_ID_HEADER,),
            max_age=CORS_MAX_AGE_SECONDS,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        request_id = str(uuid.uuid4())
        reason = bytes(response.body).decode()
        body = ErrorResponse(
            error_code="cors_refused",
            message=f"{reason} (allowed origins are set by ALLOWED_ORIGINS)",
            details=[{"field": "origin", "message": reason}],
            request_id=request_id,
        )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        headers.pop("content-type", None)
        return JSONResponse(
            status_code=400,
            content=body.model_dump(mode="json"),
            headers={**headers, REQUEST_ID_HEADER: request_id},
        )
