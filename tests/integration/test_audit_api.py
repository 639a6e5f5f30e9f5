"""GET /api/audit and GET /api/workflows/{id}/audit on moto: entries written by the actions
the API performs, filtered, paginated newest first; bad filters are a 422 in the error shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fashion_forecast.ports import Container
from tests.auth import TEST_USER
from tests.integration.test_workflows_api import ZARA, assert_error


@pytest.fixture(autouse=True)
def _history(sales_data: list[str]) -> None:
    """Starting a forecast checks the category's history and the stores up front."""


def start(api: TestClient) -> str:
    response = api.post(
        "/api/workflows/forecast", json={"category_id": "womens_dresses", "parameters": ZARA}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["workflow_id"])


def actions(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["action"], e["entity_id"]) for e in body["items"]]


def test_each_action_writes_one_entry_newest_first(api: TestClient) -> None:
    first, second = start(api), start(api)
    cancel = api.post(f"/api/workflows/{first}/cancel")
    assert cancel.status_code == 200
    assert api.post(f"/api/workflows/{first}/cancel").status_code == 409  # no second entry
    response = api.get(f"/api/workflows/{first}/audit")
    assert response.status_code == 200
    body = response.json()
    assert actions(body) == [("workflow_cancelled", first), ("workflow_started", first)]
    assert body["next_cursor"] is None
    cancelled, started = body["items"]
    assert cancelled["actor"] == TEST_USER and cancelled["actor_kind"] == "user"
    assert cancelled["request_id"] == cancel.headers["X-Request-ID"]
    assert started["change"]["input"]["parameters"]["forecast_horizon_weeks"] == 12
    everything = api.get("/api/audit").json()
    assert actions(everything) == [
        ("workflow_cancelled", first),
        ("workflow_started", second),
        ("workflow_started", first),
    ]


def test_the_request_id_of_the_action_is_recorded(api: TestClient) -> None:
    response = api.post(
        "/api/workflows/forecast",
        json={"category_id": "womens_dresses", "parameters": ZARA},
        headers={"X-Request-ID": "client-req-9"},
    )
    workflow_id = response.json()["workflow_id"]
    (entry,) = api.get(f"/api/workflows/{workflow_id}/audit").json()["items"]
    assert entry["request_id"] == "client-req-9"


def test_filters_and_cursor_pagination(api: TestClient, container: Container) -> None:
    ids = [start(api) for _ in range(5)]
    page = api.get("/api/audit", params={"limit": 2}).json()
    assert [e["entity_id"] for e in page["items"]] == ids[::-1][:2]
    seen = [e["entity_id"] for e in page["items"]]
    while page["next_cursor"]:
        page = api.get("/api/audit", params={"limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [e["entity_id"] for e in page["items"]]
    assert seen == ids[::-1]
    one = api.get("/api/audit", params={"entity_type": "workflow", "entity_id": ids[2]}).json()
    assert actions(one) == [("workflow_started", ids[2])]
    assert api.get("/api/audit", params={"actor": TEST_USER}).json()["items"]
    assert api.get("/api/audit", params={"actor": "system"}).json()["items"] == []
    assert api.get("/api/audit", params={"entity_type": "upload"}).json()["items"] == []
    times = [e["timestamp"] for e in api.get("/api/audit").json()["items"]]
    window = {"since": times[3], "until": times[1]}
    inside = api.get("/api/audit", params=window).json()
    assert [e["timestamp"] for e in inside["items"]] == times[1:4]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert api.get("/api/audit", params={"since": future}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"entity_id": "wf-1"}, "entity_id"),
        ({"entity_type": "planet"}, "entity_type"),
        ({"since": "2025-03-03T09:00:00"}, "since"),
        ({"since": "2025-03-04T00:00:00Z", "until": "2025-03-03T00:00:00Z"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"actor": "a" * 300}, "actor"),
        ({"entity_type": "workflow", "entity_id": "../etc"}, "entity_id"),
    ],
)
def test_bad_filters_are_a_422(api: TestClient, params: dict[str, Any], field: str) -> None:
    body = assert_error(api.get("/api/audit", params=params), 422, "validation_error")
    assert any(field in str(d.get("field", "")) for d in body["details"]), body


def test_a_foreign_cursor_is_a_422(api: TestClient) -> None:
    assert_error(api.get("/api/audit", params={"cursor": "not-a-cursor"}), 422, "invalid_cursor")


def test_the_audit_of_an_unknown_workflow_is_404(api: TestClient) -> None:
    assert_error(api.get("/api/workflows/no-such/audit"), 404, "not_found")


def test_there_is_no_way_to_change_an_entry(api: TestClient) -> None:
    workflow_id = start(api)
    (entry,) = api.get(f"/api/workflows/{workflow_id}/audit").json()["items"]
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)("/api/audit").status_code == 405
        assert getattr(api, method)(f"/api/workflows/{workflow_id}/audit").status_code == 405
    assert api.get(f"/api/workflows/{workflow_id}/audit").json()["items"] == [entry]
