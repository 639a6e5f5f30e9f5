"""The API Lambda handler (Mangum) behind an API Gateway REST stage."""

from __future__ import annotations

import base64
import importlib
import json
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from fashion_forecast.settings import Settings, get_settings
from tests.auth import cognito_context


@dataclass
class LambdaContext:
    function_name: str = "ApiFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id: str = "lambda-req-1"


def rest_event(
    method: str,
    path: str,
    body: Any = None,
    stage: str = "Prod",
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A REST proxy event as API Gateway sends it once its Cognito authorizer has accepted the
    token of a user with every role (`identity`: another requestContext, {} for none)."""
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {
            "Host": "abc.execute-api.us-east-1.amazonaws.com",
            "content-type": "application/json",
        },
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": "gw-req-123",
            "identity": {"sourceIp": "198.51.100.7"},
            **(cognito_context() if identity is None else identity),
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


@pytest.fixture
def handler_module(
    table: str,
    state_machine: str,
    settings: Settings,
    sales_data: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> ModuleType:
    monkeypatch.setenv("API_ROOT_PATH", "/Prod")
    get_settings.cache_clear()
    module = importlib.import_module("functions.api.app")
    return importlib.reload(module)


def test_docs_and_openapi_load_under_the_stage_prefix(handler_module: ModuleType) -> None:
    docs = handler_module.handler(rest_event("GET", "/docs"), LambdaContext())
    assert docs["statusCode"] == 200
    assert "/Prod/openapi.json" in docs["body"]
    spec = handler_module.handler(rest_event("GET", "/openapi.json"), LambdaContext())
    assert spec["statusCode"] == 200
    assert json.loads(spec["body"])["servers"] == [{"url": "/Prod"}]


def test_docs_pages_load_their_assets_from_the_app_under_the_stage_prefix(
    handler_module: ModuleType,
) -> None:
    """Offline docs: every script and stylesheet of /docs and /redoc is the app's own, linked
    under the stage prefix, and the gateway (which strips the stage) serves it."""
    for page, assets in (
        ("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
        ("/redoc", ("redoc.standalone.js",)),
    ):
        html = handler_module.handler(rest_event("GET", page), LambdaContext())["body"]
        links = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert links and not [u for u in links if "://" in u or u.startswith("//")], links
        for asset in assets:
            assert f"/Prod/static-offline-docs/{asset}" in links
            served = handler_module.handler(
                rest_event("GET", f"/static-offline-docs/{asset}"), LambdaContext()
            )
            assert served["statusCode"] == 200
            body = served["body"]
            if served.get("isBase64Encoded"):
                body = base64.b64decode(body).decode()
            assert len(body) > 100_000  # the real bundle, not an error page


def test_requests_flow_through_mangum_with_the_gateway_request_id(
    handler_module: ModuleType,
) -> None:
    created = handler_module.handler(
        rest_event("POST", "/api/workflows/forecast", {"category_id": "womens_dresses"}),
        LambdaContext(),
    )
    assert created["statusCode"] == 201
    workflow_id = json.loads(created["body"])["workflow_id"]
    got = handler_module.handler(
        rest_event("GET", f"/api/workflows/{workflow_id}"), LambdaContext()
    )
    assert got["statusCode"] == 200
    assert json.loads(got["body"])["status"] == "pending"
    missing = handler_module.handler(rest_event("GET", "/api/workflows/nope"), LambdaContext())
    assert missing["statusCode"] == 404
    headers = {k.lower(): v for k, v in missing["headers"].items()}
    assert headers["x-request-id"] == "gw-req-123"
    assert json.loads(missing["body"])["request_id"] == "gw-req-123"


def test_the_audit_trail_names_the_gateway_identity_and_request(
    handler_module: ModuleType,
) -> None:
    event = rest_event("POST", "/api/workflows/forecast", {"category_id": "womens_dresses"})
    event["requestContext"]["authorizer"] = {
        "claims": {"cognito:username": "ana", "cognito:groups": "planner"}
    }
    created = handler_module.handler(event, LambdaContext())
    assert created["statusCode"] == 201, created["body"]
    workflow_id = json.loads(created["body"])["workflow_id"]
    trail = handler_module.handler(
        rest_event("GET", f"/api/workflows/{workflow_id}/audit"), LambdaContext()
    )
    (entry,) = json.loads(trail["body"])["items"]
    assert (entry["action"], entry["actor"], entry["actor_kind"]) == (
        "workflow_started",
        "ana",
        "user",
    )
    assert entry["request_id"] == "gw-req-123"
    by_bea = rest_event("POST", f"/api/workflows/{workflow_id}/cancel")
    by_bea["requestContext"]["authorizer"] = {
        "claims": {"cognito:username": "bea", "cognito:groups": "planner,viewer"}
    }
    assert handler_module.handler(by_bea, LambdaContext())["statusCode"] == 200
    listed = handler_module.handler(rest_event("GET", "/api/audit"), LambdaContext())
    actors = [(e["action"], e["actor"]) for e in json.loads(listed["body"])["items"]]
    assert actors == [("workflow_cancelled", "bea"), ("workflow_started", "ana")]
