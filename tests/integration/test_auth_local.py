"""The local runtime enforces the cloud's rules, in both modes: `fashion-forecast serve` in a
subprocess (API key mode, and Cognito mode with moto's user pool), real HTTP and WebSocket
clients. Every route without a credential is a 401 (liveness and the docs excepted), forged
tokens are 401s, a wrong role a 403, WebSocket handshakes without a credential or from another
origin are refused before they reach the connection table, preflights answer the allowed
origins only, and no credential or OpenAI key ever appears in what the server prints."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.integration.served import ServedProcess, serve_subprocess
from tests.integration.test_auth_api import EXPECTED_ROLES, concrete

FRONT_END = "https://planner.example.com"  # added through ALLOWED_ORIGINS
OPENAI_SECRET = "sk-test-must-never-be-printed-0123456789"
ZARA = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",
    "replenishment_strategy": "none",
    "dc_holdback_percentage": 0.0,
    "markdown_checkpoint_week": 6,
}
ENV = {
    "ALLOWED_ORIGINS": FRONT_END,
    "OPENAI_API_KEY": OPENAI_SECRET,
    "OPENAI_TIMEOUT_SECONDS": "1",
    "OPENAI_MAX_RETRIES": "0",
}

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


@pytest.fixture(scope="module", params=["api_key", "cognito"])
def server(request: pytest.FixtureRequest) -> Iterator[ServedProcess]:
    with serve_subprocess(auth=request.param, env=ENV, args=["--log-level", "debug"]) as served:
        yield served


def pool(server: ServedProcess) -> dict[str, Any]:
    return dict(json.loads((server.data_dir / "cognito.json").read_text()))


def _moto_private_jwk() -> dict[str, Any]:
    """The key moto signs its tokens with (the private half of the JWKS it publishes)."""
    keys = load_resource("cognitoidp/resources/jwks-private.json")
    return dict(keys["keys"][0] if "keys" in keys else keys)


def test_every_route_but_liveness_needs_a_credential(server: ServedProcess) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for (method, path), role in EXPECTED_ROLES.items():
            answer = client.request(method, concrete(path))
            expected = 200 if role is None else 401
            assert answer.status_code == expected, (method, path, answer.text)
            if role is not None:
                body = answer.json()
                assert body["error_code"] == "unauthorized"
                assert body["request_id"] == answer.headers["x-request-id"]
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        wrong = {"x-api-key": "not-the-key", "Authorization": "Bearer not.a.token"}
        assert client.get("/api/workflows", headers=wrong).status_code == 401
        assert client.get("/api/health/ready", headers=server.headers).status_code == 200


@pytest.fixture(scope="module")
def played(server: ServedProcess) -> dict[str, str]:
    """One workflow played through with the server's full-role credential (extract, start,
    approval, accept), whichever test asks first: the id and who the decision names."""
    with httpx.Client(base_url=server.base, timeout=60, headers=server.headers) as client:
        extracted = client.post("/api/parameters/extract", json={"text": "12 week season"})
        assert extracted.status_code == 200, extracted.text
        started = client.post(
            "/api/workflows/forecast", json={"category_id": "womens_dresses", "parameters": ZARA}
        )
        assert started.status_code == 201, started.text
        workflow_id = started.json()["workflow_id"]
        deadline = time.monotonic() + 120
        while client.get(f"/api/workflows/{workflow_id}").json()["status"] != "awaiting_approval":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        decided = client.post(
            "/api/approvals/manufacturing", json={"workflow_id": workflow_id, "action": "accept"}
        )
        assert decided.status_code == 200, decided.text
        return {"workflow_id": workflow_id, "decided_by": decided.json()["decision"]["decided_by"]}


def test_a_credential_with_every_role_plays_a_workflow(
    server: ServedProcess, played: dict[str, str]
) -> None:
    assert played["decided_by"] == ("local-api-key" if server.api_key else "test-user")


def test_a_user_without_the_role_gets_403(server: ServedProcess) -> None:
    if server.api_key:
        pytest.skip("the local API key carries every role (API_KEY_ROLES): 403s are unit-tested")
    viewer = {"Authorization": f"Bearer {server.token('vera', ['viewer'])}"}
    with httpx.Client(base_url=server.base, timeout=30, headers=viewer) as client:
        assert client.get("/api/workflows").status_code == 200
        refused = client.post("/api/workflows/forecast", json={"category_id": "x"})
        assert refused.status_code == 403
        assert refused.json()["details"][0]["required_role"] == "planner"
        approval = client.post("/api/approvals/markdown", json={})
        assert approval.status_code == 403 and "approver" in approval.json()["message"]


def forged_tokens(server: ServedProcess) -> dict[str, str]:
    details = pool(server)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    valid = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{details['pool_id']}",
        "aud": details["client_id"],
        "token_use": "id",
        "cognito:username": "mallory",
        "cognito:groups": ["viewer", "planner", "approver"],
        "exp": now + 600,
    }
    return {
        "other key": jwt.encode(valid, other_key, algorithm="RS256", headers={"kid": "dummy"}),
        "alg none": jwt.encode(valid, None, algorithm="none", headers={"kid": "dummy"}),
        "HS256 with the public key as secret": jwt.encode(
            valid, "dummy-secret-value-long-enough-for-hs256", algorithm="HS256"
        ),
        "wrong audience": moto_signed(valid, aud="another-client"),
        "wrong issuer": moto_signed(valid, iss="https://cognito-idp.us-east-1.amazonaws.com/x"),
        "expired": moto_signed(valid, exp=now - 60),
        "no expiry": moto_signed({k: v for k, v in valid.items() if k != "exp"}),
        "refresh-like token_use": moto_signed(valid, token_use="refresh"),
        "access token of another client": moto_signed(
            {k: v for k, v in valid.items() if k != "aud"},
            token_use="access",
            client_id="another-client",
            username="mallory",
        ),
        "unknown kid": moto_signed(valid, _kid="rotated-away"),
    }


def moto_signed(claims: dict[str, Any], _kid: str = "dummy", **changes: Any) -> str:
    key = jwt.PyJWK.from_dict(_moto_private_jwk())
    return jwt.encode({**claims, **changes}, key.key, algorithm="RS256", headers={"kid": _kid})


def test_forged_tokens_are_refused(server: ServedProcess) -> None:
    if server.api_key:
        pytest.skip("Cognito mode only")
    genuine = moto_signed(
        {
            "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool(server)['pool_id']}",
            "aud": pool(server)["client_id"],
            "token_use": "id",
            "cognito:username": "mallory",
            "cognito:groups": ["viewer"],
            "exp": int(time.time()) + 600,
        }
    )
    with httpx.Client(base_url=server.base, timeout=30) as client:
        ok = client.get("/api/workflows", headers={"Authorization": f"Bearer {genuine}"})
        assert ok.status_code == 200, ok.text  # the forging machinery itself is sound
        forged = forged_tokens(server)
        server.sent_credentials.extend(forged.values())
        for name, token in forged.items():
            answer = client.get("/api/workflows", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, (name, answer.text)
            assert answer.json()["error_code"] == "unauthorized"
            assert token not in answer.text


# -- WebSocket --------------------------------------------------------------------------------


def connection_rows(server: ServedProcess) -> int:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=server.moto,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    items = dynamodb.scan(TableName="DataTable")["Items"]
    return sum(1 for item in items if item["pk"]["S"].startswith("CONN#"))


def ws_status(server: ServedProcess, query: str, origin: str | None = None) -> int:
    headers = {"Origin": origin} if origin else None
    try:
        with connect(
            f"ws://127.0.0.1:{server.port}/ws?{query}", open_timeout=10, additional_headers=headers
        ):
            return 101
    except InvalidStatus as refused:
        return int(refused.response.status_code)


def test_websocket_handshakes_without_a_good_credential_or_origin_are_refused(
    server: ServedProcess, played: dict[str, str]
) -> None:
    workflow = f"workflow_id={played['workflow_id']}"
    before = connection_rows(server)
    assert ws_status(server, workflow) == 401  # no credential
    assert ws_status(server, f"{workflow}&token=forged.token.value") == 401
    assert ws_status(server, f"{workflow}&api_key=not-the-key") == 401
    good = f"{workflow}&{server.ws_credential}"
    assert ws_status(server, good, origin="https://evil.example") == 403
    assert connection_rows(server) == before  # none of them reached the connection table
    assert ws_status(server, good, origin=FRONT_END) == 101
    assert ws_status(server, good, origin=f"http://127.0.0.1:{server.port}") == 101
    if not server.api_key:  # a user in no group may not subscribe (the viewer role)
        nobody = server.token("nobody", [])
        assert ws_status(server, f"{workflow}&token={nobody}") == 403


# -- CORS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [FRONT_END, "own"])
def test_a_preflight_from_an_allowed_origin_is_answered(server: ServedProcess, origin: str) -> None:
    origin = f"http://127.0.0.1:{server.port}" if origin == "own" else origin
    answer = httpx.options(
        f"{server.base}/api/approvals/manufacturing",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-api-key,content-type",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == origin
    answered = httpx.get(
        f"{server.base}/api/workflows", headers={"Origin": origin, **server.headers}
    )
    assert answered.headers["access-control-allow-origin"] == origin
    assert "x-request-id" in answered.headers["access-control-expose-headers"].lower()


def test_a_preflight_from_another_origin_gets_no_cors_header(server: ServedProcess) -> None:
    answer = httpx.options(
        f"{server.base}/api/workflows",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    other = httpx.get(
        f"{server.base}/api/workflows", headers={"Origin": "https://evil.example", **server.headers}
    )
    assert "access-control-allow-origin" not in other.headers


# -- nothing secret is ever printed -----------------------------------------------------------


def test_no_credential_or_openai_key_appears_in_the_output(
    server: ServedProcess, played: dict[str, str]
) -> None:
    """The server printed (debug logs included) a played workflow, a refused and an accepted
    WebSocket handshake and whatever the module's other tests made it do, and none of it holds
    a secret sent to it."""
    workflow = f"workflow_id={played['workflow_id']}"
    assert ws_status(server, f"{workflow}&{server.ws_credential}") == 101
    assert ws_status(server, f"{workflow}&token=forged.token.value") == 401
    server.wait_for_output(f"{workflow}&token=***", timeout=30)  # logged, masked ...
    sent = [OPENAI_SECRET, *server.sent_credentials]
    if server.api_key:
        sent.append(server.api_key)
    output = "".join(server.output)
    for secret in sent:
        assert secret not in output  # ... with their credentials masked
