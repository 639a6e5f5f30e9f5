"""template.yaml protects both APIs in both AuthModes, and says the same as the app does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fashion_forecast.api.auth import OPEN_PATHS
from fashion_forecast.models.identity import Role
from fashion_forecast_local.template import Template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def body() -> dict[str, Any]:
    return dict(Template.load().resources["RestApi"]["Properties"]["DefinitionBody"])


def test_only_liveness_the_docs_and_preflights_are_open(body: dict[str, Any]) -> None:
    open_paths = {
        path
        for path, operations in body["paths"].items()
        for method, operation in operations.items()
        if operation["security"] == [] and method != "options"
    }
    assert open_paths == OPEN_PATHS
    proxy = body["paths"]["/{proxy+}"]
    assert proxy["options"]["security"] == []  # CORS preflights reach the app
    assert proxy["x-amazon-apigateway-any-method"]["security"] == {
        "Fn::If": ["UseCognito", [{"cognito": []}], [{"api_key": []}]]
    }


@pytest.mark.parametrize(("mode", "scheme"), [("Cognito", "cognito"), ("ApiKey", "api_key")])
def test_each_mode_has_its_scheme(mode: str, scheme: str) -> None:
    template = Template.load(AuthMode=mode)
    body = template.resolve(template.resources["RestApi"]["Properties"]["DefinitionBody"])
    assert list(body["securityDefinitions"]) == [scheme]
    assert body["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"]["security"] == [
        {scheme: []}
    ]
    assert template.function_environment("ApiFunction")["AUTH_MODE"] == mode


def test_gateway_refusals_carry_the_error_shape_and_cors() -> None:
    responses = Template.load().resources["RestApi"]["Properties"]["GatewayResponses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "INVALID_API_KEY", "DEFAULT_4XX"} <= set(responses)
    assert responses["INVALID_API_KEY"]["StatusCode"] == "401"  # no key is a 401, as the app says
    for response in responses.values():
        headers = response["ResponseParameters"]["Headers"]
        assert "Access-Control-Allow-Origin" in headers
        assert headers["Access-Control-Expose-Headers"] == "'x-request-id'"
    assert (
        '"error_code": "unauthorized"'
        in responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
    )


def test_the_api_key_has_a_usage_plan_with_throttling_and_a_quota() -> None:
    resources = Template.load().resources
    plan = resources["RestApiUsagePlan"]["Properties"]
    assert set(plan["Throttle"]) == {"RateLimit", "BurstLimit"}
    assert plan["Quota"]["Period"] == "DAY"
    assert resources["RestApiUsagePlanKey"]["Properties"]["KeyId"] == {"Ref": "RestApiKey"}
    assert {resources[k]["Condition"] for k in ("RestApiKey", "RestApiUsagePlan")} == {"UseApiKey"}


def test_the_cognito_groups_are_the_roles() -> None:
    template = Template.load()
    groups = {
        g["Properties"]["GroupName"]
        for g in template.of_type("AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {role.value for role in Role}


def test_connect_goes_through_the_authorizer_with_the_origin_list() -> None:
    template = Template.load()
    resources = template.resources
    assert resources["ConnectRoute"]["Properties"]["AuthorizationType"] == "CUSTOM"
    assert resources["WebSocketAuthorizer"]["Properties"]["AuthorizerType"] == "REQUEST"
    authorizer_env = template.function_environment("WsAuthorizerFunction")
    api_env = template.function_environment("ApiFunction")
    assert (
        authorizer_env["ALLOWED_ORIGINS"] == api_env["ALLOWED_ORIGINS"] == "http://localhost:8000"
    )
    key_mode = Template.load(AuthMode="ApiKey").function_environment("WsAuthorizerFunction")
    assert "API_KEY_ID" in key_mode and "USER_POOL_ID" not in key_mode


def test_pyjwt_is_pinned_for_the_authorizer_and_absent_from_the_api_function() -> None:
    authorizer = (ROOT / "functions/ws_authorizer/requirements.txt").read_text().lower()
    assert "pyjwt==" in authorizer and "cryptography==" in authorizer
    for light in ("functions/api/requirements.txt", "layers/shared/requirements.txt"):
        assert "jwt" not in (ROOT / light).read_text().lower()
