"""Test identities: what API Gateway passes on once it has verified a credential.

`as_caller(app)` stands in for API Gateway in front of an app under test: it puts the
requestContext of a verified Cognito user (or API key) in `scope["aws.event"]`, as Mangum does
with the Lambda event, so the app reads the identity the way it does in the cloud. The shared
fixtures (tests/conftest.py `api`, tests/integration/flows.py) serve the app through it with
every role; tests of the role rules pick their own (`caller_context`).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from fashion_forecast.models.identity import Caller, Role

EVERY_ROLE = frozenset(Role)
TEST_USER = "test-user"
TEST_CALLER = Caller(name=TEST_USER, kind="user", roles=EVERY_ROLE)


def cognito_context(name: str = TEST_USER, groups: frozenset[Role] = EVERY_ROLE) -> dict[str, Any]:
    """The requestContext of a REST request API Gateway's Cognito authorizer let through
    (claims are strings there: several groups arrive comma-separated)."""
    return {
        "authorizer": {
            "claims": {
                "cognito:username": name,
                "cognito:groups": ",".join(sorted(g.value for g in groups)),
                "token_use": "id",
            }
        }
    }


def api_key_context(key_id: str = "test-key-id") -> dict[str, Any]:
    """The requestContext of a REST request whose x-api-key API Gateway accepted."""
    return {"identity": {"apiKeyId": key_id}}


class as_caller:
    """An ASGI app that serves `app` as if API Gateway had verified the caller whose
    `request_context` it passes on (None: no identity at all)."""

    def __init__(self, app: ASGIApp, request_context: dict[str, Any] | None = None) -> None:
        self.app = app
        if request_context is None:  # a full-role caller whichever AuthMode the app runs in
            request_context = {**cognito_context(), **api_key_context()}
        self.request_context = request_context

    def __getattr__(self, name: str) -> Any:  # app.state, app.openapi() ... of the wrapped app
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"} and self.request_context:
            event = dict(scope.get("aws.event") or {})
            event["requestContext"] = {**event.get("requestContext", {}), **self.request_context}
            scope = dict(scope, **{"aws.event": event})
        await self.app(scope, receive, send)
