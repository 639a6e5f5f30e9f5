"""Who may call which route, as the app enforces it behind API Gateway: the identity comes in the
event's requestContext (tests.auth plays API Gateway), every route declares its role, and CORS
answers only the allowed origins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import routing
from fastapi.testclient import TestClient

from fashion_forecast.api.app import create_app
from fashion_forecast.api.auth import OPEN_PATHS, api_routes, route_requirement
from fashion_forecast.container import build as build_container
from fashion_forecast.models.identity import Role
from fashion_forecast.ports import Container
from fashion_forecast.settings import get_settings
from tests.auth import api_key_context, as_caller, cognito_context
from tests.integration.flows import live_stack

# The role each route needs: the product's rule, written out so a change to it shows here.
EXPECTED_ROLES = {
    ("GET", "/api/health"): None,
    ("GET", "/api/health/ready"): Role.VIEWER,
    ("POST", "/api/workflows/forecast"): Role.PLANNER,
    ("POST", "/api/workflows/reforecast"): Role.PLANNER,
    ("GET", "/api/workflows"): Role.VIEWER,
    ("GET", "/api/workflows/{workflow_id}"): Role.VIEWER,
    ("GET", "/api/workflows/{workflow_id}/results"): Role.VIEWER,
    ("POST", "/api/workflows/{workflow_id}/cancel"): Role.PLANNER,
    ("POST", "/api/workflows/{workflow_id}/retry"): Role.PLANNER,
    ("POST", "/api/workflows/{workflow_id}/clarification"): Role.PLANNER,
    ("GET", "/api/workflows/{workflow_id}/events"): Role.VIEWER,
    ("POST", "/api/approvals/manufacturing"): Role.APPROVER,
    ("POST", "/api/approvals/markdown"): Role.APPROVER,
    ("POST", "/api/approvals/manufacturing/assortment"): Role.APPROVER,
    ("POST", "/api/parameters/extract"): Role.PLANNER,
    ("POST", "/api/agents/demand/forecast"): Role.PLANNER,
    ("POST", "/api/agents/inventory/allocate"): Role.PLANNER,
    ("POST", "/api/agents/pricing/analyze"): Role.PLANNER,
    ("POST", "/api/data/upload-historical-sales"): Role.PLANNER,
    ("POST", "/api/data/upload-store-attributes"): Role.PLANNER,
    ("POST", "/api/data/upload-weekly-sales"): Role.PLANNER,
    ("POST", "/api/data/upload-url"): Role.PLANNER,
    ("GET", "/api/data/uploads/{forecast_id}/{upload_id}"): Role.VIEWER,
    ("GET", "/api/categories"): Role.VIEWER,
    ("GET", "/api/stores"): Role.VIEWER,
    ("GET", "/api/stores/clusters"): Role.VIEWER,
    ("GET", "/api/forecasts"): Role.VIEWER,
    ("GET", "/api/forecasts/{forecast_id}"): Role.VIEWER,
    ("GET", "/api/allocations/{forecast_id}"): Role.VIEWER,
    ("GET", "/api/markdowns/{forecast_id}"): Role.VIEWER,
    ("GET", "/api/variance/{forecast_id}"): Role.VIEWER,
    ("GET", "/api/variance/{forecast_id}/week/{week}"): Role.VIEWER,
    ("GET", "/api/workflows/{workflow_id}/steps"): Role.VIEWER,
    ("GET", "/api/workflows/{workflow_id}/audit"): Role.VIEWER,
    ("GET", "/api/audit"): Role.VIEWER,
    ("GET", "/api/definitions"): Role.VIEWER,
    ("GET", "/api/definitions/{name}"): Role.VIEWER,
    ("GET", "/api/agents"): Role.VIEWER,
    ("GET", "/api/agents/{name}"): Role.VIEWER,
    ("GET", "/api/categories/{category_id}/history"): Role.VIEWER,
    ("GET", "/api/forecasts/{forecast_id}/position"): Role.VIEWER,
}
ORIGIN = "http://localhost:8000"  # template.yaml's AllowedOrigins default


def operations(container: Container) -> list[tuple[str, str, Role | None]]:
    """(method, path, role) of every API route of the app."""
    out = []
    for route in api_routes(create_app(container)):
        requirement = route_requirement(route)
        assert requirement is not None, f"{route.path} declares no role"
        for method in sorted(route.methods):
            out.append((method, route.path, requirement.role))
    return out


def concrete(path: str) -> str:
    """A path with valid-looking ids in its parameters (ids are checked after the role)."""
    return re.sub(r"\{week\}", "1", re.sub(r"\{[a-z_]+\}", "0b5f8f7e-6a0e-4a4f-9d8e", path))


@pytest.fixture
def anonymous(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def client_for(container: Container, request_context: dict[str, Any]) -> TestClient:
    return TestClient(
        as_caller(create_app(container), request_context), raise_server_exceptions=False
    )


def test_every_route_declares_its_role_and_the_table_is_the_products(container: Container) -> None:
    declared = {(m, p): role for m, p, role in operations(container)}
    assert declared == EXPECTED_ROLES
    # the only open route is liveness; every other open path is documentation
    open_routes = {p for (_, p), role in declared.items() if role is None}
    assert open_routes == {"/api/health"} and open_routes <= OPEN_PATHS
    served = {c.path_format for c in routing.iter_route_contexts(create_app(container).routes)}
    api = {r.path_format for r in api_routes(create_app(container))}
    assert OPEN_PATHS - open_routes == served - api  # /docs, /redoc, /openapi.json, the docs assets


def test_every_route_but_liveness_answers_401_without_a_credential(
    container: Container, anonymous: TestClient
) -> None:
    for method, path, role in operations(container):
        response = anonymous.request(method, concrete(path))
        if role is None:
            assert response.status_code == 200, path
            continue
        assert response.status_code == 401, (method, path, response.text)
        body = response.json()
        assert body["error_code"] == "unauthorized"
        assert body["request_id"] == response.headers["x-request-id"]


def test_a_bogus_authorization_header_is_no_identity(anonymous: TestClient) -> None:
    """The app never reads credentials: only what API Gateway verified counts."""
    response = anonymous.get("/api/workflows", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401


@pytest.mark.parametrize("role", list(Role))
def test_a_caller_without_the_role_gets_403_naming_it(container: Container, role: Role) -> None:
    # reading comes with every role, so only a caller with no role lacks viewer
    others = frozenset() if role is Role.VIEWER else frozenset(Role) - {role}
    with client_for(container, cognito_context("someone", others)) as client:
        for method, path, needed in operations(container):
            if needed is not role:
                continue
            response = client.request(method, concrete(path), json={})
            assert response.status_code == 403, (method, path, response.text)
            body = response.json()
            assert body["error_code"] == "forbidden"
            assert body["message"] == f"This needs the {role.value} role"
            assert body["details"][0]["required_role"] == role.value


@pytest.mark.parametrize("role", [Role.PLANNER, Role.APPROVER])
def test_planners_and_approvers_read_without_the_viewer_group(
    container: Container, role: Role
) -> None:
    with client_for(container, cognito_context("doer", frozenset({role}))) as client:
        assert client.get("/api/workflows").status_code == 200
        assert client.get("/api/health/ready").status_code == 200


def test_a_user_in_no_known_group_may_not_even_read(container: Container) -> None:
    context = cognito_context("stranger", frozenset())
    context["authorizer"]["claims"]["cognito:groups"] = "admins,[weird]"
    with client_for(container, context) as client:
        assert client.get("/api/workflows").status_code == 403


@pytest.mark.parametrize("groups", ["viewer", "[viewer planner]", "planner,viewer"])
def test_the_groups_claim_is_read_in_every_form_api_gateway_sends(
    container: Container, groups: str
) -> None:
    context = cognito_context("reader")
    context["authorizer"]["claims"]["cognito:groups"] = groups
    with client_for(container, context) as client:
        assert client.get("/api/workflows").status_code == 200


def test_api_key_mode_gives_the_key_the_configured_roles(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_MODE", "ApiKey")  # as template.yaml sets it from AuthMode
    monkeypatch.setenv("API_KEY_ROLES", "viewer")
    get_settings.cache_clear()
    container = build_container(get_settings())
    with client_for(container, api_key_context("key-1")) as client:
        assert client.get("/api/workflows").status_code == 200
        refused = client.post("/api/workflows/forecast", json={})
        assert refused.status_code == 403 and refused.json()["error_code"] == "forbidden"
    # a Cognito identity means nothing in api_key mode
    with client_for(container, cognito_context()) as client:
        assert client.get("/api/workflows").status_code == 401


def test_the_openapi_names_each_routes_role(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert "403" in paths["/api/approvals/markdown"]["post"]["responses"]
    assert "approver" in paths["/api/approvals/markdown"]["post"]["responses"]["403"]["description"]
    assert "planner" in paths["/api/workflows/forecast"]["post"]["responses"]["403"]["description"]
    assert "401" not in paths["/api/health"]["get"]["responses"]


# -- CORS ---------------------------------------------------------------------------------------


def test_a_preflight_from_an_allowed_origin_is_answered_without_a_credential(
    anonymous: TestClient,
) -> None:
    response = anonymous.options(
        "/api/workflows/forecast",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-request-id",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "x-api-key", "content-type", "x-request-id"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]


def test_a_preflight_from_another_origin_is_refused_without_cors_headers(
    anonymous: TestClient,
) -> None:
    response = anonymous.options(
        "/api/workflows",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    body = response.json()
    assert body["error_code"] == "cors_refused"
    assert body["request_id"] == response.headers["x-request-id"]


def test_answers_carry_cors_headers_for_allowed_origins_only(api: TestClient) -> None:
    allowed = api.get("/api/workflows", headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    other = api.get("/api/workflows", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers


def test_a_401_carries_cors_headers_so_a_front_end_can_read_it(anonymous: TestClient) -> None:
    response = anonymous.get("/api/workflows", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == ORIGIN


# -- a decision records its decider -----------------------------------------------------------


def test_the_approval_records_who_decided_and_the_views_show_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with live_stack(monkeypatch) as live:
        workflow_id = live.start_forecast()
        live.wait(workflow_id, "awaiting_approval")
        approver = as_caller(
            create_app(live.container), cognito_context("ana.approver", frozenset({Role.APPROVER}))
        )
        with TestClient(approver, raise_server_exceptions=False) as client:
            decided = client.post(
                "/api/approvals/manufacturing",
                json={"workflow_id": workflow_id, "action": "accept", "comment": "ok"},
            )
        assert decided.status_code == 200, decided.text
        decision = decided.json()["decision"]
        assert (decision["decided_by"], decision["action"], decision["kind"]) == (
            "ana.approver",
            "accept",
            "manufacturing",
        )
        stored = live.container.approvals.get(decision["approval_id"])
        assert stored.decision is not None and stored.decision.decided_by == "ana.approver"
        live.wait(workflow_id, "completed")
        status = live.api.get(f"/api/workflows/{workflow_id}").json()
        assert status["decision"]["decided_by"] == "ana.approver"
        listed = live.api.get("/api/workflows").json()["items"]
        assert [w["decision"] for w in listed if w["workflow_id"] == workflow_id] == [None]
