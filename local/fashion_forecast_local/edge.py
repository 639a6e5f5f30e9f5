"""API Gateway's credential check, played by the local runtime.

In the cloud API Gateway verifies the credential (its Cognito authorizer, or a required API
key) and passes the identity on in the Lambda event, which the app reads
(fashion_forecast.api.auth). Locally `LocalEdge` does the same in front of the same app: it
verifies the request's credential with the rules of the WebSocket authorizer
(functions/ws_authorizer, loaded from the template's code folder like every function the
runtime runs: one home for the rules), answers 401 in the product's error shape when
there is none or a bad one, and otherwise injects the requestContext API Gateway would send:
`authorizer.claims` for a Cognito user, `identity.apiKeyId` for an API key. Only the API
(/api/...) is guarded, liveness excepted (OPEN_PATHS), as in the template; what the runtime
serves beside it stays open: the docs and their assets, the planner front end at / (CloudFront
in the cloud) and the local WebSocket management API (/@connections, IAM-signed in the cloud).

The same `CredentialCheck` guards the local WebSocket `$connect` (local.websocket).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from fashion_forecast.api.auth import OPEN_PATHS
from fashion_forecast.api.errors import ErrorResponse
from fashion_forecast_local.lambdas import load_module
from fashion_forecast_local.template import Template

AUTHORIZER_FUNCTION = "WsAuthorizerFunction"

API_KEY_FILE = "api_key"
LOCAL_API_KEY_ID = "local-api-key"
API_PREFIX = "/api/"  # what the edge guards: the REST API's routes


# The authorizer's types (CredentialCheck, Identity, Refused) come from its module, loaded at
# run time; `Any` stands for them here.
CredentialCheck = Any


def authorizer(template: Template) -> Any:
    """The $connect authorizer's module (functions/ws_authorizer/app.py)."""
    return load_module(template, AUTHORIZER_FUNCTION)


def request_context(identity: Any) -> dict[str, Any]:
    """What API Gateway's REST API puts in requestContext for a verified caller."""
    if identity.kind == "api_key":
        return {"identity": {"apiKeyId": identity.name}}
    return {"authorizer": {"claims": identity.context()}}


class LocalEdge:
    """ASGI middleware: verify, refuse (401) or pass on with the identity in `aws.event`."""

    def __init__(self, app: ASGIApp, check: CredentialCheck) -> None:
        self.app = app
        self.check = check
        self.refused = check.refused  # the authorizer's Refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(API_PREFIX) or path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        try:
            identity = self.check.verify_headers(Headers(scope=scope))
        except self.refused as refused:
            await _unauthorized(scope, send, refused)
            return
        event = dict(scope.get("aws.event") or {})
        event["requestContext"] = {**event.get("requestContext", {}), **request_context(identity)}
        await self.app(dict(scope, **{"aws.event": event}), receive, send)


async def _unauthorized(scope: Scope, send: Send, refused: Any) -> None:
    """401 as the app words it (the message never repeats the credential)."""
    request_id = str(scope.get("state", {}).get("request_id") or "unknown")
    body = (
        ErrorResponse(
            error_code="unauthorized",
            message="A credential is required: a Cognito token (Authorization: Bearer) or an "
            "API key (x-api-key)",
            details=[{"field": "credential", "message": refused.message}],
            request_id=request_id,
        )
        .model_dump_json()
        .encode()
    )
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b"Bearer"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- the local credentials ---------------------------------------------------------------------


@dataclass(frozen=True)
class LocalApiKey:
    value: str
    generated: bool  # made up by this start (else: given, or kept from an earlier start)
    path: Path | None  # where it is kept (data dir), if anywhere


def local_api_key(given: str | None, data_dir: Path | None) -> LocalApiKey:
    """The key: `given` (FF_API_KEY or --api-key), else the one kept in the data dir, else a
    new one (kept there, readable by the owner only)."""
    path = data_dir / API_KEY_FILE if data_dir is not None else None
    if given:
        return LocalApiKey(given, generated=False, path=None)
    if path is not None and path.is_file():
        kept = path.read_text().strip()
        if kept:
            return LocalApiKey(kept, generated=False, path=path)
    value = secrets.token_urlsafe(30)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(value + "\n")
    return LocalApiKey(value, generated=True, path=path)


def api_key_check(rules: Any, key: str, allowed_origins: frozenset[str]) -> CredentialCheck:
    """`rules`: the authorizer's module (authorizer())."""
    return rules.CredentialCheck(
        allowed_origins, api_key=rules.ApiKeyVerifier(LOCAL_API_KEY_ID, lambda: key)
    )


def cognito_check(
    rules: Any,
    *,
    endpoint: str,
    region: str,
    pool_id: str,
    client_id: str,
    allowed_origins: frozenset[str],
) -> CredentialCheck:
    """Tokens of moto's user pool: the JWKS moto serves, the issuer AWS would write."""
    return rules.CredentialCheck(
        allowed_origins,
        tokens=rules.TokenVerifier(
            jwks_url=f"{endpoint}/{pool_id}/.well-known/jwks.json",
            issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
            client_id=client_id,
        ),
    )
