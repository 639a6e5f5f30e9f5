"""The WebSocket $connect authorizer Lambda (functions/ws_authorizer) as API Gateway calls it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from functions.ws_authorizer import app as authorizer

POOL = "us-east-1_TestPool1"
CLIENT = "client-123"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
ORIGIN = "https://planner.example.com"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/$connect"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWKS = {
    "keys": [
        {
            **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())),
            "kid": "k1",
            "alg": "RS256",
        }
    ]
}


def token(**changes: Any) -> str:
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "ana",
        "cognito:groups": ["viewer", "approver"],
        "exp": int(time.time()) + 600,
        **changes,
    }
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})


def event(query: dict[str, str] | None, origin: str | None = ORIGIN) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": ARN,
        "headers": {"Origin": origin} if origin else {},
        "queryStringParameters": query,
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT"},
    }


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return json.dumps(JWKS).encode()

    monkeypatch.setenv("AUTH_MODE", "Cognito")
    monkeypatch.setenv("USER_POOL_ID", POOL)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", CLIENT)
    monkeypatch.setenv("ALLOWED_ORIGINS", f"{ORIGIN},http://localhost:8000")
    monkeypatch.setattr(authorizer, "_fetch", fetch)
    authorizer.check_from_environment.cache_clear()
    yield fetched
    authorizer.check_from_environment.cache_clear()


def test_a_valid_token_is_allowed_with_the_callers_context(cognito: list[str]) -> None:
    answer = authorizer.handler(event({"workflow_id": "w", "token": token()}), None)
    assert answer["policyDocument"]["Statement"][0] == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": ARN,
    }
    assert answer["principalId"] == "ana"
    assert answer["context"] == {"cognito:username": "ana", "cognito:groups": "viewer,approver"}
    authorizer.handler(event({"token": token()}), None)
    assert cognito == [f"{ISSUER}/.well-known/jwks.json"]  # fetched once, then cached


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "not-a-jwt",
        "x" * 9000,
        token(aud="other-client"),
        token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
        token(exp=int(time.time()) - 5),
        token(token_use="refresh"),
        jwt.encode({"iss": ISSUER, "aud": CLIENT, "token_use": "id", "exp": 9e9}, None, "none"),
        jwt.encode(
            {"iss": ISSUER, "aud": CLIENT, "token_use": "id", "exp": int(time.time()) + 60},
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
            headers={"kid": "k1"},
        ),
    ],
    ids=["none", "empty", "garbage", "huge", "aud", "iss", "expired", "use", "alg-none", "key"],
)
def test_a_missing_or_bad_token_is_401(cognito: list[str], bad: str | None) -> None:
    query = {"workflow_id": "w"} if bad is None else {"workflow_id": "w", "token": bad}
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(event(query), None)


def test_an_access_token_of_the_client_is_accepted(cognito: list[str]) -> None:
    access = token(token_use="access", aud=None, client_id=CLIENT, username="ana")
    assert authorizer.handler(event({"token": access}), None)["principalId"] == "ana"


@pytest.mark.parametrize("origin", ["https://evil.example", "null", f"{ORIGIN}.evil.example"])
def test_a_disallowed_origin_is_denied(cognito: list[str], origin: str) -> None:
    answer = authorizer.handler(event({"token": token()}, origin=origin), None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in answer


def test_a_client_without_origin_is_no_browser_and_may_connect(cognito: list[str]) -> None:
    answer = authorizer.handler(event({"token": token()}, origin=None), None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"


@pytest.fixture
def api_key_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with mock_aws():
        key = boto3.client("apigateway", region_name="us-east-1").create_api_key(
            name="k", value="the-api-key-value-0123456789", enabled=True
        )
        monkeypatch.setenv("AUTH_MODE", "ApiKey")
        monkeypatch.setenv("API_KEY_ID", key["id"])
        monkeypatch.setenv("ALLOWED_ORIGINS", ORIGIN)
        authorizer.check_from_environment.cache_clear()
        yield key["id"]
        authorizer.check_from_environment.cache_clear()


def test_api_key_mode_compares_with_the_gateways_key(api_key_mode: str) -> None:
    answer = authorizer.handler(event({"api_key": "the-api-key-value-0123456789"}), None)
    assert answer["context"] == {"apiKeyId": api_key_mode}
    for wrong in ({"api_key": "the-api-key-value-012345678"}, {"token": "x"}, None):
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            authorizer.handler(event(wrong), None)


def test_nothing_secret_is_printed(cognito: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    forged = token(aud="other")
    with pytest.raises(Exception, match="Unauthorized"):
        authorizer.handler(event({"token": forged}), None)
    printed = capsys.readouterr().out
    assert "connect refused" in printed and forged not in printed
