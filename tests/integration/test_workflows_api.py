"""Workflow REST API against moto: contract, bad input, pagination, cancel, readiness."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.workflows import WorkflowStatus
from fashion_forecast.ports import Container
from tests.integration.seasons import seed_season

ZARA = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",  # the week after the bundled history
    "replenishment_strategy": "none",
    "dc_holdback_percentage": 0.0,
    "markdown_checkpoint_week": 6,
}


@pytest.fixture(autouse=True)
def _history(sales_data: list[str]) -> None:
    """Starting a forecast checks the category's history and the stores up front."""


def start(api: TestClient, category: str = "womens_outerwear", **params: Any) -> dict[str, Any]:
    response = api.post(
        "/api/workflows/forecast", json={"category_id": category, "parameters": {**ZARA, **params}}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def executions(state_machine: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    return list(sfn.list_executions(stateMachineArn=state_machine)["executions"])


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message", "details", "request_id"}
    assert body["error_code"] == code
    assert body["message"]
    assert response.headers["X-Request-ID"] == body["request_id"]
    assert "Traceback" not in response.text
    return dict(body)


def assert_nothing_stored(api: TestClient, state_machine: str) -> None:
    assert api.get("/api/workflows").json()["items"] == []
    assert executions(state_machine) == []


# -- POST /api/workflows/forecast -------------------------------------------------------------


def test_forecast_stores_pending_workflow_and_starts_execution_named_after_it(
    api: TestClient, container: Container, state_machine: str
) -> None:
    body = start(api)
    workflow_id = body["workflow_id"]
    assert body["status"] == "pending"
    assert uuid.UUID(workflow_id)
    # the WebSocket stage of template.yaml (WebSocketApi resolves to its logical id here)
    assert body["websocket_url"] == (
        f"wss://WebSocketApi.execute-api.us-east-1.amazonaws.com/Prod?workflow_id={workflow_id}"
    )

    stored = container.workflows.get(workflow_id)
    assert stored.status is WorkflowStatus.PENDING
    assert stored.category_id == "womens_outerwear"
    assert stored.progress_pct == 0

    (execution,) = executions(state_machine)
    assert execution["name"] == workflow_id
    assert stored.execution_arn == execution["executionArn"]
    described = boto3.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    payload = json.loads(described["input"])
    assert payload == {
        "workflow_id": workflow_id,
        "workflow_type": "forecast",
        "category_id": "womens_outerwear",
        "parameters": {**ZARA, "markdown_threshold": 0.6, "variance_threshold": 0.2},
    }


def test_forecast_defaults_parameters_when_omitted(api: TestClient, container: Container) -> None:
    # The README's own example: no parameters at all, on the bundled data (history to the week
    # of 2025-02-24). Next Monday is far out of the forecaster's reach of that history, so the
    # season starts the Monday after the history's last week.
    response = api.post(
        "/api/workflows/forecast", json={"category_id": "womens_outerwear", "parameters": {}}
    )
    assert response.status_code == 201, response.text
    stored = container.workflows.get(response.json()["workflow_id"])
    params = SeasonParameters.model_validate(stored.input["parameters"])
    assert params.forecast_horizon_weeks == 12
    assert params.season_start_date == dt.date(2025, 3, 3)


def test_websocket_url_names_the_workflow(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, container: Container
) -> None:
    container.settings.__dict__["websocket_url"] = "wss://ws.example.test/Prod"
    body = start(api)
    assert body["websocket_url"] == f"wss://ws.example.test/Prod?workflow_id={body['workflow_id']}"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"category_id": "x", "parameters": {"forecast_horizon_weeks": 100}},
            "parameters.forecast_horizon_weeks",
        ),
        (
            {"category_id": "x", "parameters": {"forecast_horizon_weeks": 0}},
            "parameters.forecast_horizon_weeks",
        ),
        (
            {
                "category_id": "x",
                "parameters": {"forecast_horizon_weeks": 8, "markdown_checkpoint_week": 9},
            },
            "parameters",
        ),
        (
            {"category_id": "x", "parameters": {"dc_holdback_percentage": 1.5}},
            "parameters.dc_holdback_percentage",
        ),
        (
            {"category_id": "x", "parameters": {"replenishment_strategy": "daily"}},
            "parameters.replenishment_strategy",
        ),
        (
            {"category_id": "x", "parameters": {"season_start_date": "next week"}},
            "parameters.season_start_date",
        ),
        (
            {"category_id": "x", "parameters": {"forecast_horizon_weeks": "twelve"}},
            "parameters.forecast_horizon_weeks",
        ),
        ({"category_id": "x", "parameters": {"unknown_knob": 1}}, "parameters.unknown_knob"),
        ({"parameters": ZARA}, "body"),  # none of category_id, category_ids, all_categories
        ({"category_id": 42}, "category_id"),
        ({"category_id": ""}, "category_id"),
        ({"category_id": "../../etc/passwd"}, "category_id"),
        ({"category_id": "<script>alert(1)</script>"}, "category_id"),
        ({"category_id": "a" * 65}, "category_id"),
        ({"category_id": "x", "extra": True}, "extra"),
    ],
)
def test_forecast_rejects_bad_input_with_field_paths(
    api: TestClient, state_machine: str, payload: dict[str, Any], field: str
) -> None:
    body = assert_error(api.post("/api/workflows/forecast", json=payload), 422, "validation_error")
    assert field in [d["field"] for d in body["details"]]
    assert_nothing_stored(api, state_machine)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"", "application/json", 422, "validation_error"),
        (b"[1, 2, 3]", "application/json", 422, "validation_error"),
        (b"category_id=x", "application/x-www-form-urlencoded", 422, "validation_error"),
        (b"\xff\xfe\x00garbage", "application/json", 400, "invalid_json"),
    ],
)
def test_forecast_rejects_malformed_bodies(
    api: TestClient, state_machine: str, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = api.post(
        "/api/workflows/forecast", content=content, headers={"content-type": content_type}
    )
    assert_error(response, status, code)
    assert_nothing_stored(api, state_machine)


def test_oversized_body_is_refused_before_parsing(api: TestClient, state_machine: str) -> None:
    payload = json.dumps({"category_id": "x", "padding": "y" * 2_000_000})
    response = api.post(
        "/api/workflows/forecast", content=payload, headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")
    assert_nothing_stored(api, state_machine)


def test_forecast_when_state_machine_is_missing_stores_nothing(
    api: TestClient, state_machine: str
) -> None:
    boto3.client("stepfunctions").delete_state_machine(stateMachineArn=state_machine)
    response = api.post("/api/workflows/forecast", json={"category_id": "womens_outerwear"})
    body = assert_error(response, 503, "service_unavailable")
    assert "state machine" in body["message"]
    assert api.get("/api/workflows").json()["items"] == []


# -- POST /api/workflows/reforecast -----------------------------------------------------------


def store_forecast(container: Container) -> ForecastRecord:
    """A season in season (its order approved) whose plan starts 600, 640, 650, 660."""
    forecast_id = seed_season(container, weekly=[600.0, 640.0, 650.0, 660.0] + [700.0] * 8)
    return container.records.get(FORECAST, forecast_id, ForecastRecord)


def reforecast_body(forecast_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "forecast_id": forecast_id,
        "actual_sales_week_1_to_n": [700, 820, 850, 830],
        "forecasted_week_1_to_n": [600, 640, 650, 660],
        "remaining_weeks": 8,
        "variance_pct": 0.255,
        **overrides,
    }


def test_reforecast_takes_category_and_parameters_from_the_stored_forecast(
    api: TestClient, container: Container, state_machine: str
) -> None:
    forecast = store_forecast(container)
    response = api.post("/api/workflows/reforecast", json=reforecast_body(forecast.forecast_id))
    assert response.status_code == 201, response.text
    workflow = container.workflows.get(response.json()["workflow_id"])
    assert workflow.workflow_type == "reforecast"
    assert workflow.category_id == "womens_dresses"
    (execution,) = executions(state_machine)
    payload = json.loads(
        boto3.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])[
            "input"
        ]
    )
    assert payload["forecast_id"] == forecast.forecast_id
    assert payload["category_id"] == "womens_dresses"
    assert payload["parameters"]["season_start_date"] == "2025-03-03"
    assert payload["actual_sales_week_1_to_n"] == [700, 820, 850, 830]
    # 3,200 sold vs 2,550 planned: the product's own figure, a fraction
    assert (payload["forecasted_week_1_to_n"], payload["variance_pct"]) == (
        [600.0, 640.0, 650.0, 660.0],
        0.255,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"variance_pct": 25.5}, "variance_pct"),  # a percentage, not a fraction
        ({"forecasted_week_1_to_n": [600, 640, 650, 700]}, "forecasted_week_1_to_n.3"),
    ],
)
def test_reforecast_figures_that_contradict_the_plan_are_422(
    api: TestClient, container: Container, state_machine: str, overrides: dict[str, Any], field: str
) -> None:
    forecast = store_forecast(container)
    body = {**reforecast_body(forecast.forecast_id), **overrides}
    refused = assert_error(api.post("/api/workflows/reforecast", json=body), 422, "plan_mismatch")
    assert [d["field"] for d in refused["details"]] == [field]
    assert executions(state_machine) == []


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (WorkflowStatus.AWAITING_APPROVAL, "forecast_not_ready"),
        (WorkflowStatus.CANCELLED, "season_cancelled"),
    ],
)
def test_reforecast_needs_a_season_in_season(
    api: TestClient, container: Container, state_machine: str, status: WorkflowStatus, code: str
) -> None:
    forecast_id = seed_season(container, status=status)
    response = api.post("/api/workflows/reforecast", json=reforecast_body(forecast_id))
    assert_error(response, 409, code)
    assert executions(state_machine) == []


def test_reforecast_of_unknown_forecast_is_404(api: TestClient, state_machine: str) -> None:
    response = api.post("/api/workflows/reforecast", json=reforecast_body("no-such-forecast"))
    assert_error(response, 404, "not_found")
    assert_nothing_stored(api, state_machine)


@pytest.mark.parametrize(
    "overrides",
    [
        {"forecasted_week_1_to_n": [600, 640]},
        {"actual_sales_week_1_to_n": [700, -1, 850, 830]},
        {"actual_sales_week_1_to_n": ["a", 1, 2, 3]},
        {"actual_sales_week_1_to_n": []},
        {"remaining_weeks": -1},
        {"remaining_weeks": 7},  # 4 observed + 7 != horizon 12
        {"variance_pct": "high"},
        {"forecast_id": "'; DROP TABLE workflows; --"},
    ],
)
def test_reforecast_rejects_bad_input(
    api: TestClient, container: Container, state_machine: str, overrides: dict[str, Any]
) -> None:
    forecast = store_forecast(container)
    response = api.post(
        "/api/workflows/reforecast", json={**reforecast_body(forecast.forecast_id), **overrides}
    )
    assert_error(response, 422, "validation_error")
    listed = api.get("/api/workflows").json()["items"]
    assert [w["workflow_id"] for w in listed] == [forecast.workflow_id]  # the season's own
    assert executions(state_machine) == []


# -- GET /api/workflows/{id} and results -------------------------------------------------------


def test_get_workflow_reports_status_and_progress(api: TestClient, container: Container) -> None:
    workflow_id = start(api)["workflow_id"]
    container.workflows.transition(workflow_id, WorkflowStatus.RUNNING)
    container.workflows.update_progress(workflow_id, current_agent="demand", progress_pct=40)
    body = api.get(f"/api/workflows/{workflow_id}").json()
    assert body["workflow_type"] == "forecast"
    assert body["status"] == "running"
    assert body["current_agent"] == "demand"
    assert body["progress_pct"] == 40
    assert body["started_at"] is not None
    assert body["completed_at"] is None
    assert body["error_message"] is None
    assert body["pending_approval"] is None
    assert "execution_arn" not in body and "input" not in body


def test_unknown_and_malformed_workflow_ids(api: TestClient) -> None:
    assert_error(api.get(f"/api/workflows/{uuid.uuid4()}"), 404, "not_found")
    assert_error(api.get(f"/api/workflows/{uuid.uuid4()}/results"), 404, "not_found")
    assert_error(api.post(f"/api/workflows/{uuid.uuid4()}/cancel"), 404, "not_found")
    assert_error(api.get("/api/workflows/bad%20id%3B"), 422, "validation_error")
    assert_error(api.get("/api/workflows/" + "a" * 81), 422, "validation_error")


def test_results_are_409_until_completed(api: TestClient, container: Container) -> None:
    workflow_id = start(api)["workflow_id"]
    body = assert_error(api.get(f"/api/workflows/{workflow_id}/results"), 409, "conflict")
    assert "pending" in body["message"]
    container.workflows.transition(workflow_id, WorkflowStatus.RUNNING)
    assert_error(api.get(f"/api/workflows/{workflow_id}/results"), 409, "conflict")
    container.workflows.transition(
        workflow_id,
        WorkflowStatus.COMPLETED,
        forecast_id="f-1",
        allocation_id="a-1",
        output_data={"total_season_demand": 8000, "manufacturing_qty": 9600},
    )
    response = api.get(f"/api/workflows/{workflow_id}/results")
    assert response.status_code == 200
    assert response.json() == {
        "workflow_id": workflow_id,
        "status": "completed",
        "forecast_id": "f-1",
        "allocation_id": "a-1",
        "markdown_id": None,
        "output_data": {"total_season_demand": 8000, "manufacturing_qty": 9600},
    }


def test_results_of_failed_workflow_are_409(api: TestClient, container: Container) -> None:
    workflow_id = start(api)["workflow_id"]
    container.workflows.transition(workflow_id, WorkflowStatus.FAILED, error_message="boom")
    assert_error(api.get(f"/api/workflows/{workflow_id}/results"), 409, "conflict")
    assert api.get(f"/api/workflows/{workflow_id}").json()["error_message"] == "boom"


# -- GET /api/workflows (list) -----------------------------------------------------------------


def test_list_paginates_newest_first_without_gaps_or_repeats(api: TestClient) -> None:
    created = [start(api)["workflow_id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/api/workflows", params=params).json()
        pages += 1
        seen += [item["workflow_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))


def test_list_filters_by_status_type_and_category(api: TestClient, container: Container) -> None:
    a = start(api, "womens_outerwear")["workflow_id"]
    b = start(api, "mens_basics")["workflow_id"]
    c = start(api, "womens_outerwear")["workflow_id"]
    container.workflows.transition(b, WorkflowStatus.RUNNING)
    container.workflows.transition(c, WorkflowStatus.CANCELLED)

    def ids(**params: Any) -> list[str]:
        return [i["workflow_id"] for i in api.get("/api/workflows", params=params).json()["items"]]

    assert ids(status="pending") == [a]
    assert ids(status="running") == [b]
    assert ids(category_id="womens_outerwear") == [c, a]
    assert ids(workflow_type="forecast") == [c, b, a]
    assert ids(workflow_type="reforecast") == []
    # filtered pages: one match per page, the last page has no cursor
    first = api.get("/api/workflows", params={"category_id": "womens_outerwear", "limit": 1})
    assert [i["workflow_id"] for i in first.json()["items"]] == [c]
    second = api.get(
        "/api/workflows",
        params={
            "category_id": "womens_outerwear",
            "limit": 1,
            "cursor": first.json()["next_cursor"],
        },
    )
    assert [i["workflow_id"] for i in second.json()["items"]] == [a]
    assert second.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"status": "sleeping"},
        {"workflow_type": "nonsense"},
    ],
)
def test_list_rejects_bad_query(api: TestClient, params: dict[str, Any]) -> None:
    assert_error(api.get("/api/workflows", params=params), 422, "validation_error")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'{"c": "yesterday", "id": "x"}').decode(),
        base64.urlsafe_b64encode(b'{"c": "2026-01-01T00:00:00+00:00", "id": 5}').decode(),
        base64.urlsafe_b64encode(b'{"c": "2026-01-01T00:00:00", "id": "x"}').decode(),
        "A" * 600,
    ],
)
def test_list_rejects_cursors_it_did_not_issue(api: TestClient, cursor: str) -> None:
    response = api.get("/api/workflows", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["error_code"] in {"invalid_cursor", "validation_error"}


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_stops_execution_and_marks_cancelled(
    api: TestClient, container: Container, state_machine: str
) -> None:
    workflow_id = start(api)["workflow_id"]
    response = api.post(f"/api/workflows/{workflow_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["completed_at"] is not None
    assert container.workflows.get(workflow_id).status is WorkflowStatus.CANCELLED
    (execution,) = executions(state_machine)
    assert execution["status"] == "ABORTED"
    again = assert_error(api.post(f"/api/workflows/{workflow_id}/cancel"), 409, "conflict")
    assert "already finished" in again["message"]


def test_cancel_of_completed_workflow_is_409(api: TestClient, container: Container) -> None:
    workflow_id = start(api)["workflow_id"]
    container.workflows.transition(workflow_id, WorkflowStatus.RUNNING)
    container.workflows.transition(workflow_id, WorkflowStatus.COMPLETED)
    assert_error(api.post(f"/api/workflows/{workflow_id}/cancel"), 409, "conflict")
    assert container.workflows.get(workflow_id).status is WorkflowStatus.COMPLETED


# -- health ------------------------------------------------------------------------------------


def test_health_and_readiness(api: TestClient) -> None:
    health = api.get("/api/health").json()
    assert (health["status"], health["checks"], health["commit"]) == ("ok", {}, None)
    ready = api.get("/api/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"dynamodb": "ok", "state_machine": "ok"}


def test_readiness_fails_when_the_table_is_missing(api: TestClient, table: str) -> None:
    boto3.client("dynamodb").delete_table(TableName=table)
    body = assert_error(api.get("/api/health/ready"), 503, "not_ready")
    assert body["details"] == [{"check": "dynamodb", "message": f"table {table} does not exist"}]


def test_readiness_fails_when_the_state_machine_is_missing(
    api: TestClient, state_machine: str
) -> None:
    boto3.client("stepfunctions").delete_state_machine(stateMachineArn=state_machine)
    body = assert_error(api.get("/api/health/ready"), 503, "not_ready")
    assert [d["check"] for d in body["details"]] == ["state_machine"]


# -- error shape -------------------------------------------------------------------------------


def test_request_id_is_echoed_when_sane_and_replaced_when_hostile(api: TestClient) -> None:
    mine = api.get("/api/workflows/nope", headers={"X-Request-ID": "client-req-1"})
    assert mine.headers["X-Request-ID"] == "client-req-1"
    assert mine.json()["request_id"] == "client-req-1"
    hostile = api.get("/api/health", headers={"X-Request-ID": 'x"; drop <script>' * 10})
    assert uuid.UUID(hostile.headers["X-Request-ID"])


def test_unknown_route_and_method_use_the_error_shape(api: TestClient) -> None:
    assert_error(api.get("/api/nothing-here"), 404, "not_found")
    assert_error(api.delete("/api/workflows"), 405, "method_not_allowed")


def test_unexpected_errors_are_500_without_a_trace(
    api: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(container.workflows, "get", explode)
    response = api.get(f"/api/workflows/{uuid.uuid4()}")
    body = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text
    assert body["message"] == "Internal server error"
