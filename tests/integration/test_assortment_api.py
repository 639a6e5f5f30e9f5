"""POST /api/workflows/forecast as an assortment plan against moto (executions not run): what
is stored, the parent's view before its Map has run, and every class of bad input refused with
nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fashion_forecast.constants import MAX_ASSORTMENT_CATEGORIES
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import Container
from tests.integration.test_workflows_api import (
    ZARA,
    assert_error,
    assert_nothing_stored,
    executions,
)

CATEGORIES = ["mens_basics", "womens_dresses", "womens_outerwear"]


@pytest.fixture(autouse=True)
def _history(sales_data: list[str]) -> None:
    """A plan checks each category's history and the stores up front."""


def test_a_plan_stores_its_parent_and_starts_one_execution(
    api: TestClient, container: Container, state_machine: str
) -> None:
    response = api.post(
        "/api/workflows/forecast",
        json={"category_ids": ["womens_dresses", "mens_basics"], "parameters": ZARA},
    )
    assert response.status_code == 201, response.text
    parent_id = response.json()["workflow_id"]
    (execution,) = executions(state_machine)
    assert execution["name"] == parent_id
    stored = container.workflows.get(parent_id)
    assert (stored.workflow_type, stored.status) == (
        WorkflowType.ASSORTMENT,
        WorkflowStatus.PENDING,
    )
    assert [c["category_id"] for c in stored.input["children"]] == ["womens_dresses", "mens_basics"]

    view = api.get(f"/api/workflows/{parent_id}").json()
    assert view["workflow_type"] == "assortment" and view["category_id"] == "*"
    plan = view["assortment"]
    assert [(c["category_id"], c["status"]) for c in plan["children"]] == [
        ("womens_dresses", "pending"),
        ("mens_basics", "pending"),
    ]
    assert [c["workflow_id"] for c in plan["children"]] == [
        f"{parent_id}-c000",
        f"{parent_id}-c001",
    ]
    assert plan["counts"] == {"pending": 2}
    assert (plan["progress_pct"], plan["manufacturing_qty"]) == (0, 0)
    # lists show the parent like any workflow, without the children
    (listed,) = api.get("/api/workflows", params={"workflow_type": "assortment"}).json()["items"]
    assert listed["workflow_id"] == parent_id and listed["assortment"] is None


def test_all_categories_plans_each_category_with_history(
    api: TestClient, container: Container
) -> None:
    response = api.post("/api/workflows/forecast", json={"all_categories": True})
    assert response.status_code == 201, response.text
    stored = container.workflows.get(response.json()["workflow_id"])
    assert [c["category_id"] for c in stored.input["children"]] == CATEGORIES
    assert stored.input["skipped"] == []


def test_a_cancelled_plan_before_its_map_ran_shows_no_child_started(
    api: TestClient, container: Container
) -> None:
    response = api.post("/api/workflows/forecast", json={"all_categories": True})
    parent_id = response.json()["workflow_id"]
    cancelled = api.post(f"/api/workflows/{parent_id}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    plan = api.get(f"/api/workflows/{parent_id}").json()["assortment"]
    assert plan["counts"] == {"not_started": 3}


TOO_MANY = [f"c{i:03d}" for i in range(MAX_ASSORTMENT_CATEGORIES + 1)]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"parameters": ZARA}, "body"),  # none of the three
        ({"category_id": "womens_dresses", "category_ids": CATEGORIES}, "body"),
        ({"category_id": "womens_dresses", "all_categories": True}, "body"),
        ({"category_ids": CATEGORIES, "all_categories": True}, "body"),
        ({"category_ids": []}, "category_ids"),
        ({"category_ids": ["womens_dresses"]}, "category_ids"),
        ({"category_ids": TOO_MANY}, "category_ids"),
        ({"category_ids": ["womens_dresses", "womens_dresses"]}, "category_ids"),
        ({"category_ids": "womens_dresses"}, "category_ids"),
        ({"category_ids": {"a": 1}}, "category_ids"),
        ({"category_ids": ["womens_dresses", None]}, "category_ids.1"),
        ({"category_ids": ["womens_dresses", 42]}, "category_ids.1"),
        ({"category_ids": ["womens_dresses", ["mens_basics"]]}, "category_ids.1"),
        ({"category_ids": ["womens_dresses", "../../etc/passwd"]}, "category_ids.1"),
        ({"category_ids": ["<script>", "womens_dresses"]}, "category_ids.0"),
        ({"category_ids": ["womens_dresses", ""]}, "category_ids.1"),
        ({"category_ids": ["womens_dresses", "a" * 65]}, "category_ids.1"),
        ({"all_categories": False}, "all_categories"),
        ({"all_categories": "yes"}, "all_categories"),
        ({"all_categories": 1}, "all_categories"),
        ({"category_ids": CATEGORIES, "text": "12 weeks from March 3rd"}, "body"),
        ({"all_categories": True, "text": "12 weeks from March 3rd"}, "body"),
        (
            {"category_ids": CATEGORIES, "parameters": {"forecast_horizon_weeks": 0}},
            "parameters.forecast_horizon_weeks",
        ),
    ],
)
def test_a_malformed_plan_is_422_with_nothing_stored(
    api: TestClient, state_machine: str, payload: dict[str, Any], field: str
) -> None:
    body = assert_error(api.post("/api/workflows/forecast", json=payload), 422, "validation_error")
    assert field in [d["field"] for d in body["details"]], body["details"]
    assert_nothing_stored(api, state_machine)


def test_a_category_the_rules_refuse_is_named_and_nothing_starts(
    api: TestClient, state_machine: str
) -> None:
    response = api.post(
        "/api/workflows/forecast",
        json={"category_ids": ["womens_dresses", "no_such_category", "mens_basics"]},
    )
    body = assert_error(response, 422, "domain_error")
    assert body["details"] == [
        {"field": "category_ids[1]", "message": body["details"][0]["message"]}
    ]
    assert "no sales history for category no_such_category" in body["message"]
    assert_nothing_stored(api, state_machine)


def test_a_season_out_of_reach_of_every_category_is_refused(
    api: TestClient, state_machine: str
) -> None:
    far = {**ZARA, "season_start_date": "2031-03-03"}
    response = api.post(
        "/api/workflows/forecast", json={"category_ids": CATEGORIES, "parameters": far}
    )
    body = assert_error(response, 422, "domain_error")
    assert [d["field"] for d in body["details"]] == [
        "category_ids[0]",
        "category_ids[1]",
        "category_ids[2]",
    ]
    response = api.post("/api/workflows/forecast", json={"all_categories": True, "parameters": far})
    assert "no category can be planned" in assert_error(response, 422, "domain_error")["message"]
    assert_nothing_stored(api, state_machine)


# -- POST /api/approvals/manufacturing/assortment: refused before anything is decided ----------

DECIDE = "/api/approvals/manufacturing/assortment"


def start_plan(api: TestClient) -> str:
    response = api.post("/api/workflows/forecast", json={"category_ids": CATEGORIES})
    assert response.status_code == 201, response.text
    return str(response.json()["workflow_id"])


def assert_nothing_decided(api: TestClient) -> None:
    entries = api.get("/api/audit").json()["items"]
    assert [e for e in entries if e["action"] == "approval_decided"] == []


PLAN = "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "accept"}, "workflow_id"),
        ({"workflow_id": PLAN}, "action"),
        ({"workflow_id": PLAN, "action": "approve"}, "action"),
        ({"workflow_id": PLAN, "action": None}, "action"),
        ({"workflow_id": PLAN, "action": ["accept"]}, "action"),
        ({"workflow_id": "../../etc/passwd", "action": "accept"}, "workflow_id"),
        ({"workflow_id": "<script>", "action": "accept"}, "workflow_id"),
        ({"workflow_id": 42, "action": "accept"}, "workflow_id"),
        ({"workflow_id": PLAN, "action": "accept", "category_ids": []}, "category_ids"),
        ({"workflow_id": PLAN, "action": "accept", "category_ids": TOO_MANY}, "category_ids"),
        ({"workflow_id": PLAN, "action": "accept", "category_ids": "mens_basics"}, "category_ids"),
        ({"workflow_id": PLAN, "action": "accept", "category_ids": [None]}, "category_ids.0"),
        ({"workflow_id": PLAN, "action": "accept", "category_ids": ["a/b"]}, "category_ids.0"),
        ({"workflow_id": PLAN, "action": "accept", "category_ids": ["x", "x"]}, "category_ids"),
        ({"workflow_id": PLAN, "action": "accept", "comment": "c" * 1001}, "comment"),
        ({"workflow_id": PLAN, "action": "accept", "manufacturing_qty": 10}, "manufacturing_qty"),
        ({"workflow_id": PLAN, "action": "accept", "extra": True}, "extra"),
    ],
)
def test_a_malformed_plan_decision_is_422_naming_the_field(
    api: TestClient, payload: dict[str, Any], field: str
) -> None:
    body = assert_error(api.post(DECIDE, json=payload), 422, "validation_error")
    assert field in [d["field"] for d in body["details"]], body["details"]
    assert_nothing_decided(api)


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 422, "validation_error"),
        (b"[1, 2]", 422, "validation_error"),
        (b"\xff\xfe\x00", 400, "invalid_json"),
        (b'{"workflow_id": "' + b"a" * 2_000_000 + b'"}', 413, "payload_too_large"),
    ],
)
def test_a_body_that_is_not_a_decision_is_refused(
    api: TestClient, content: bytes, status: int, code: str
) -> None:
    response = api.post(DECIDE, content=content, headers={"content-type": "application/json"})
    assert_error(response, status, code)
    assert_nothing_decided(api)


def test_a_plan_decision_names_what_stops_it_and_decides_nothing(api: TestClient) -> None:
    plan = start_plan(api)  # its Map has not run: every category is pending
    refused = api.post(DECIDE, json={"workflow_id": plan, "action": "modify"})
    assert (
        "accepted or rejected together" in assert_error(refused, 422, "validation_error")["message"]
    )
    refused = api.post(DECIDE, json={"workflow_id": plan, "action": "accept"})
    assert assert_error(refused, 409, "nothing_awaiting")["details"] == [
        {"field": "workflow_id", "message": "nothing awaits approval"}
    ]
    named = {"workflow_id": plan, "action": "reject", "category_ids": ["mens_basics", "socks"]}
    body = assert_error(api.post(DECIDE, json=named), 422, "validation_error")
    assert body["details"] == [
        {"field": "category_ids[1]", "message": "socks is not a category of this plan"}
    ]
    named["category_ids"] = ["mens_basics"]
    body = assert_error(api.post(DECIDE, json=named), 409, "not_awaiting_approval")
    assert body["details"] == [{"field": "category_ids[0]", "message": "mens_basics is pending"}]
    unknown = api.post(DECIDE, json={"workflow_id": PLAN, "action": "accept"})
    assert_error(unknown, 404, "not_found")
    single = api.post(
        "/api/workflows/forecast", json={"category_id": "womens_dresses", "parameters": ZARA}
    ).json()["workflow_id"]
    body = assert_error(
        api.post(DECIDE, json={"workflow_id": single, "action": "accept"}), 409, "not_an_assortment"
    )
    assert "POST /api/approvals/manufacturing" in body["message"]
    assert_nothing_decided(api)
