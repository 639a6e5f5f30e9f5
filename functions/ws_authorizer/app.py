"""REQUEST authorizer of the progress stream's `$connect` (API Gateway WebSocket).

Browsers cannot set headers on a WebSocket handshake, so the credential comes in the query
string: `token=<Cognito id or access token>` (AuthMode Cognito) or `api_key=<key>` (ApiKey).
A connection is let through only with a valid credential and, when the client sends an
`Origin` (browsers always do), one of ALLOWED_ORIGINS. Refused: no or a bad credential ->
401 (raise "Unauthorized"), a disallowed origin -> 403 (a Deny policy); the WebSocket
function (and so the connection table) never sees a refused connection. The context handed
on is what the WebSocket function reads the caller from (fashion_forecast.models.identity).

Cognito tokens are verified with PyJWT against the user pool's JWKS, fetched once per
container and cached: RS256 only (no `alg: none`, no other algorithm), a key of that JWKS,
`iss` the pool, `exp` in the future, `token_use` id (with `aud` the app client) or access
(with `client_id` the app client). API keys: API Gateway keeps the key, so the authorizer
reads its value once per container (apigateway:GetApiKey with includeValue, the key id from
API_KEY_ID) and compares in constant time. Nothing here logs a credential.

`CredentialCheck` is also the local runtime's edge (local/fashion_forecast_local/edge.py), so
the rules hold in one place.
"""

from __future__ import annotations

import hmac
import json
import os
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

import jwt

JWKS_TIMEOUT_SECONDS = 5
MAX_CREDENTIAL_CHARS = 8192  # a Cognito token is ~1-2 kB; nothing longer is parsed


class Refused(Exception):
    """A connection or request that must not pass: 401 (credential) or 403 (origin)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Identity:
    """Who the credential says is calling: a user and their groups, or an API key's id."""

    name: str
    kind: str  # "user" | "api_key"
    groups: tuple[str, ...] = ()

    def context(self) -> dict[str, str]:
        """The flat authorizer context API Gateway hands on (values must be strings)."""
        if self.kind == "api_key":
            return {"apiKeyId": self.name}
        return {"cognito:username": self.name, "cognito:groups": ",".join(self.groups)}


class TokenVerifier:
    """Cognito JWTs of one user pool and app client, against its JWKS (read once)."""

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        client_id: str,
        fetch: Callable[[str], bytes] | None = None,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.client_id = client_id
        self._fetch = fetch or _fetch
        self._keys: jwt.PyJWKSet | None = None

    def keys(self) -> jwt.PyJWKSet:
        if self._keys is None:
            self._keys = jwt.PyJWKSet.from_dict(json.loads(self._fetch(self.jwks_url)))
        return self._keys

    def verify(self, token: str) -> Identity:
        if not token or len(token) > MAX_CREDENTIAL_CHARS:
            raise Refused(401, "no token")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise Refused(401, "token not signed with RS256")
            kid = header.get("kid")
            key = next((k for k in self.keys().keys if k.key_id == kid), None)
            if key is None:
                raise Refused(401, "token signed by an unknown key")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise Refused(401, f"token refused: {type(exc).__name__}") from None
        use = claims.get("token_use")
        if use == "id":
            audience = claims.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if self.client_id not in audiences:
                raise Refused(401, "token refused: issued for another app client")
            name = claims.get("cognito:username")
        elif use == "access":
            if claims.get("client_id") != self.client_id:
                raise Refused(401, "token refused: issued for another app client")
            name = claims.get("username")
        else:
            raise Refused(401, "token refused: not an id or access token")
        if not isinstance(name, str) or not name:
            raise Refused(401, "token refused: no user name")
        groups = claims.get("cognito:groups") or []
        return Identity(
            name=name, kind="user", groups=tuple(g for g in groups if isinstance(g, str))
        )


@dataclass
class ApiKeyVerifier:
    """One API key: `value()` gives the expected key (read once, then cached)."""

    key_id: str
    value: Callable[[], str]
    _expected: str | None = field(default=None, repr=False)

    def verify(self, presented: str) -> Identity:
        if not presented or len(presented) > MAX_CREDENTIAL_CHARS:
            raise Refused(401, "no API key")
        if self._expected is None:
            self._expected = self.value()
        if not hmac.compare_digest(presented.encode(), self._expected.encode()):
            raise Refused(401, "API key refused")
        return Identity(name=self.key_id, kind="api_key")


@dataclass
class CredentialCheck:
    """The credential rules of one deployment: exactly one of `tokens` (Cognito) or `api_key`,
    and the allowed origins."""

    allowed_origins: frozenset[str]
    tokens: TokenVerifier | None = None
    api_key: ApiKeyVerifier | None = None
    refused: ClassVar[type[Refused]] = Refused  # what its checks raise

    def check_origin(self, origin: str | None) -> None:
        """A request without Origin is no browser's (nothing cross-site to guard); one with
        it must come from an allowed origin."""
        if origin is not None and origin.rstrip("/") not in self.allowed_origins:
            raise Refused(403, "origin not allowed")

    def verify(self, *, bearer: str | None = None, api_key: str | None = None) -> Identity:
        """The identity of a credential: `bearer` a token (Cognito mode), `api_key` a key."""
        if self.tokens is not None:
            return self.tokens.verify(bearer or "")
        if self.api_key is not None:
            return self.api_key.verify(api_key or "")
        raise Refused(401, "no credential check configured")

    def verify_headers(self, headers: Mapping[str, str]) -> Identity:
        """A REST request's credential: `Authorization: Bearer <token>` or `x-api-key`."""
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else authorization.strip()
        return self.verify(bearer=bearer, api_key=headers.get("x-api-key"))

    def verify_query(self, query: Mapping[str, str]) -> Identity:
        """A WebSocket handshake's credential: `?token=` or `?api_key=`."""
        return self.verify(bearer=query.get("token"), api_key=query.get("api_key"))


def _fetch(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_SECONDS) as response:
        return bytes(response.read())


def origins_of(text: str) -> frozenset[str]:
    return frozenset(o.strip().rstrip("/") for o in text.split(",") if o.strip())


@cache
def check_from_environment() -> CredentialCheck:
    """The deployment's check, from the variables template.yaml sets (once per container)."""
    origins = origins_of(os.environ.get("ALLOWED_ORIGINS", ""))
    mode = os.environ.get("AUTH_MODE", "Cognito").strip().lower()
    if mode in {"apikey", "api_key"}:
        key_id = os.environ["API_KEY_ID"]
        return CredentialCheck(origins, api_key=ApiKeyVerifier(key_id, lambda: _key_value(key_id)))
    pool_id = os.environ["USER_POOL_ID"]
    region = pool_id.split("_", 1)[0]
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
    return CredentialCheck(
        origins,
        tokens=TokenVerifier(
            jwks_url=os.environ.get("JWKS_URL") or f"{issuer}/.well-known/jwks.json",
            issuer=issuer,
            client_id=os.environ["USER_POOL_CLIENT_ID"],
        ),
    )


def _key_value(key_id: str) -> str:
    import boto3  # only in API key mode; the Lambda runtime provides it

    return str(boto3.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)["value"])


def _policy(event: Mapping[str, Any], effect: str, principal: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            ],
        },
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    check = check_from_environment()
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        check.check_origin(headers.get("origin"))
        identity = check.verify_query(event.get("queryStringParameters") or {})
    except Refused as refused:
        print(
            json.dumps({"level": "INFO", "message": "connect refused", "reason": refused.message})
        )
        if refused.status == 403:
            return _policy(event, "Deny", "refused")
        raise Exception("Unauthorized") from None  # API Gateway answers 401
    return {**_policy(event, "Allow", identity.name), "context": identity.context()}
