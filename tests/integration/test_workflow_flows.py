"""The real ASL executed by moto, with the agent Lambdas in-process, on the bundled sample data."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from fashion_forecast.app.workflows import start_workflow
from fashion_forecast.models.approvals import ApprovalStatus
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ForecastRecord,
    MarkdownRecord,
)
from fashion_forecast.models.workflows import WorkflowType
from tests.auth import TEST_CALLER
from tests.integration.flows import SCENARIOS, Live, live_stack


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


def forecast_of(live: Live, workflow_id: str) -> ForecastRecord:
    workflow = live.container.workflows.get(workflow_id)
    assert workflow.forecast_id
    return live.container.records.get(FORECAST, workflow.forecast_id, ForecastRecord)


def allocation_of(live: Live, workflow_id: str) -> AllocationRecord:
    workflow = live.container.workflows.get(workflow_id)
    assert workflow.allocation_id
    return live.container.records.get(ALLOCATION, workflow.allocation_id, AllocationRecord)


def completed_forecast(live: Live, scenario: str = "zara") -> str:
    workflow_id = live.start_forecast(scenario)
    live.wait(workflow_id, "awaiting_approval")
    assert live.approve(workflow_id, action="accept").status_code == 200
    live.wait(workflow_id, "completed")
    return workflow_id


# -- pre-season paths --------------------------------------------------------------------------


def test_zara_through_the_http_api_only(live: Live) -> None:
    api = live.api
    created = api.post(
        "/api/workflows/forecast",
        json={
            "category_id": "womens_dresses",
            "parameters": {
                "forecast_horizon_weeks": 12,
                "season_start_date": "2025-03-03",
                "replenishment_strategy": "none",
                "dc_holdback_percentage": 0.0,
                "markdown_checkpoint_week": 6,
            },
        },
    )
    assert created.status_code == 201
    workflow_id = created.json()["workflow_id"]
    live.wait(workflow_id, "awaiting_approval")

    waiting = api.get(f"/api/workflows/{workflow_id}").json()
    assert waiting["status"] == "awaiting_approval"
    approval = waiting["pending_approval"]
    assert approval["kind"] == "manufacturing"
    assert approval["options"] == ["accept", "modify", "reject"]
    data = approval["data"]
    # Zara: no replenishment -> 25% safety stock; no holdback -> everything to stores
    assert data["safety_stock_pct"] == 0.25
    assert data["manufacturing_qty"] == math.ceil(round(data["season_demand"] * 1.25, 6))
    assert data["holdback"] == 0
    assert data["initial_allocation"] == data["manufacturing_qty"]
    assert "task_token" not in json.dumps(waiting)
    assert api.get(f"/api/workflows/{workflow_id}/results").status_code == 409

    accepted = api.post(
        "/api/approvals/manufacturing", json={"workflow_id": workflow_id, "action": "accept"}
    )
    assert accepted.status_code == 200
    live.wait(workflow_id, "completed")
    results = api.get(f"/api/workflows/{workflow_id}/results")
    assert results.status_code == 200
    body = results.json()
    assert body["forecast_id"] and body["allocation_id"] and body["markdown_id"] is None
    assert body["output_data"]["manufacturing_qty"] == data["manufacturing_qty"]
    assert body["output_data"]["total_season_demand"] == data["season_demand"]
    assert body["output_data"]["duration_seconds"] > 0
    final = api.get(f"/api/workflows/{workflow_id}").json()
    assert (final["progress_pct"], final["completed_at"] is not None) == (100, True)

    entered = live.states_entered(workflow_id)
    assert entered == [
        "IsRetry", "InitOverride", "MarkRunning", "RouteByType", "FromText", "Demand",
        "Inventory", "HasReplenishment",
        "ManufacturingApproval", "ManufacturingDecision", "Finish", "Completed",
    ]  # fmt: skip


def test_zara_forecast_and_allocation_are_stored_consistently(live: Live) -> None:
    workflow_id = completed_forecast(live, "zara")
    forecast = forecast_of(live, workflow_id)
    allocation = allocation_of(live, workflow_id)
    assert [w.week for w in forecast.weekly] == list(range(1, 13))
    assert str(forecast.weekly[0].week_start) == "2025-03-03"
    assert all(w.lower <= w.forecast <= w.upper for w in forecast.weekly)
    assert math.isclose(
        sum(w.forecast for w in forecast.weekly), forecast.total_demand, abs_tol=0.05
    )
    assert math.isclose(sum(forecast.method_weights.values()), 1.0, abs_tol=1e-6)
    assert [c.name for c in forecast.clusters] == [
        "Fashion_Forward",
        "Mainstream",
        "Value_Conscious",
    ]
    assert len(forecast.stores) == 50
    assert sum(s["quantity"] for s in allocation.store_allocations) == allocation.initial_allocation
    assert allocation.initial_allocation + allocation.holdback == allocation.manufacturing_qty
    assert allocation.replenishment is None


def test_standard_plans_weekly_replenishment_and_never_prices(live: Live) -> None:
    workflow_id = completed_forecast(live, "standard")
    entered = live.states_entered(workflow_id)
    assert "Replenishment" in entered
    assert "Pricing" not in entered
    allocation = allocation_of(live, workflow_id)
    assert allocation.safety_stock_pct == 0.20
    assert allocation.holdback == round(allocation.manufacturing_qty * 0.45)
    assert allocation.replenishment is not None
    assert allocation.replenishment["period_weeks"] == 1
    assert allocation.replenishment["total_shipped"] <= allocation.holdback


def test_luxury_plans_bi_weekly_replenishment(live: Live) -> None:
    workflow_id = completed_forecast(live, "luxury")
    entered = live.states_entered(workflow_id)
    assert "Replenishment" in entered and "Pricing" not in entered
    allocation = allocation_of(live, workflow_id)
    assert allocation.replenishment is not None
    assert allocation.replenishment["period_weeks"] == 2
    assert len(forecast_of(live, workflow_id).weekly) == 16


# -- approvals ---------------------------------------------------------------------------------


def test_modify_reruns_inventory_and_asks_again(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    first = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert first is not None
    response = live.approve(workflow_id, action="modify", safety_stock_pct=0.30, comment="launch")
    assert response.status_code == 200
    second = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert second is not None and second.approval_id != first.approval_id
    demand = first.data["season_demand"]
    assert second.data["safety_stock_pct"] == 0.30
    assert second.data["manufacturing_qty"] == math.ceil(round(demand * 1.30, 6))
    response = live.approve(workflow_id, action="modify", manufacturing_qty=90_000)
    assert response.status_code == 200
    third = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert third is not None and third.data["manufacturing_qty"] == 90_000
    assert live.approve(workflow_id, action="accept").status_code == 200
    live.wait(workflow_id, "completed")
    results = live.api.get(f"/api/workflows/{workflow_id}/results").json()
    assert results["output_data"]["manufacturing_qty"] == 90_000
    assert live.states_entered(workflow_id).count("Inventory") == 3


def test_a_quantity_below_the_season_demand_is_refused(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    waiting = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert waiting is not None
    demand = math.ceil(waiting.data["season_demand"])
    response = live.approve(workflow_id, action="modify", manufacturing_qty=demand - 1)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "validation_error"
    assert body["details"][0]["field"] == "manufacturing_qty"
    assert f"below the season demand of {demand:,} units" in body["message"]
    still = live.container.workflows.get(workflow_id)  # nothing decided: still waiting
    assert still.status.value == "awaiting_approval"
    assert still.pending_approval is not None
    assert still.pending_approval.approval_id == waiting.approval_id
    accepted = live.approve(workflow_id, action="modify", manufacturing_qty=demand)
    assert accepted.status_code == 200, accepted.text
    again = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert again is not None and again.data["manufacturing_qty"] == demand
    assert again.data["safety_stock_pct"] >= 0
    assert live.approve(workflow_id, action="reject").status_code == 200


def test_reject_cancels_the_workflow(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    live.wait(workflow_id, "awaiting_approval")
    response = live.approve(workflow_id, action="reject", comment="too much stock")
    assert response.status_code == 200
    cancelled = live.wait(workflow_id, "cancelled")
    assert cancelled.error_message == "rejected by the approver: too much stock"
    assert live.api.get(f"/api/workflows/{workflow_id}/results").status_code == 409
    assert live.wait_execution(workflow_id)["status"] == "SUCCEEDED"
    assert live.states_entered(workflow_id)[-2:] == ["MarkRejected", "Rejected"]


def test_a_second_decision_is_refused(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    live.wait(workflow_id, "awaiting_approval")
    assert live.approve(workflow_id, action="accept").status_code == 200
    again = live.approve(workflow_id, action="reject")
    assert again.status_code == 409
    assert again.json()["error_code"] == "conflict"
    assert live.wait(workflow_id, "completed").status.value == "completed"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "accept"}, 404, "not_found"),  # unknown workflow (id replaced below)
        ({"action": "modify"}, 422, "validation_error"),
        ({"action": "modify", "safety_stock_pct": 0.9}, 422, "validation_error"),
        (
            {"action": "modify", "safety_stock_pct": 0.3, "manufacturing_qty": 5},
            422,
            "validation_error",
        ),
        ({"action": "modify", "manufacturing_qty": -4}, 422, "validation_error"),
        ({"action": "accept", "safety_stock_pct": 0.3}, 422, "validation_error"),
        ({"action": "accept", "markdown_pct": 0.1}, 422, "validation_error"),
        ({"action": "approve"}, 422, "validation_error"),
        ({"action": "accept", "task_token": "x"}, 422, "validation_error"),
        ({"action": "accept", "comment": "x" * 1001}, 422, "validation_error"),
    ],
)
def test_bad_manufacturing_decisions_change_nothing(
    live: Live, body: dict[str, Any], status: int, code: str
) -> None:
    workflow_id = live.start_forecast("zara")
    live.wait(workflow_id, "awaiting_approval")
    target = "no-such-workflow" if status == 404 else workflow_id
    response = live.api.post("/api/approvals/manufacturing", json={"workflow_id": target, **body})
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code
    workflow = live.container.workflows.get(workflow_id)
    assert workflow.status.value == "awaiting_approval"
    assert workflow.pending_approval is not None
    approval = live.container.approvals.get(workflow.pending_approval.approval_id)
    assert approval.status is ApprovalStatus.PENDING and approval.decision is None
    assert live.api.post(f"/api/workflows/{workflow_id}/cancel").status_code == 200


def test_decisions_need_a_pending_approval_of_their_kind(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    live.wait(workflow_id, "awaiting_approval")
    wrong_kind = live.approve(workflow_id, "markdown", action="accept")
    assert wrong_kind.status_code == 409
    assert "manufacturing" in wrong_kind.json()["message"]
    assert live.approve(workflow_id, action="accept").status_code == 200
    live.wait(workflow_id, "completed")
    assert live.approve(workflow_id, action="accept").status_code == 409


def test_cancel_while_waiting_for_approval(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    waiting = live.wait(workflow_id, "awaiting_approval")
    assert waiting.pending_approval is not None
    response = live.api.post(f"/api/workflows/{workflow_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["pending_approval"] is None
    approval = live.container.approvals.get(waiting.pending_approval.approval_id)
    assert approval.status is ApprovalStatus.CANCELLED
    # the execution does not keep waiting, and a late decision is refused
    assert live.wait_execution(workflow_id)["status"] in {"ABORTED", "FAILED"}
    assert live.approve(workflow_id, action="accept").status_code == 409
    assert live.container.workflows.get(workflow_id).status.value == "cancelled"


# -- failures ----------------------------------------------------------------------------------


def start_unchecked(live: Live, category: str, **parameters: Any) -> str:
    """A forecast workflow started past the API's up-front checks (as a caller of the use case
    could), to see how the agents themselves refuse it."""
    workflow = start_workflow(
        live.container,
        WorkflowType.FORECAST,
        category,
        {"parameters": {**SCENARIOS["zara"], **parameters}},
        caller=TEST_CALLER,
    )
    return workflow.workflow_id


def test_an_agent_raising_fails_the_workflow_with_its_message(live: Live) -> None:
    workflow_id = start_unchecked(live, "unknown_category")
    failed = live.wait(workflow_id, "failed")
    assert failed.error_message is not None
    assert failed.error_message.startswith("demand agent failed: no sales history for category")
    assert "womens_dresses" in failed.error_message  # names the known categories
    assert live.wait_execution(workflow_id)["status"] == "FAILED"
    assert "MarkFailed" in live.states_entered(workflow_id)
    assert live.api.get(f"/api/workflows/{workflow_id}/results").status_code == 409


def test_a_season_far_beyond_the_history_is_refused_readably(live: Live) -> None:
    before = live.container.workflows.list().items
    response = live.api.post(
        "/api/workflows/forecast",
        json={
            "category_id": "womens_dresses",
            "parameters": {"season_start_date": "2027-03-01", "forecast_horizon_weeks": 12},
        },
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "season_out_of_range"
    assert "upload more recent sales history" in body["message"]
    assert live.container.workflows.list().items == before  # nothing stored
    # the Demand agent refuses the same season in the same words
    failed = live.wait(
        start_unchecked(live, "womens_dresses", season_start_date="2027-03-01"), "failed"
    )
    assert "upload more recent sales history" in (failed.error_message or "")


# -- re-forecast and markdown flows --------------------------------------------------------------


def test_reforecast_through_the_http_api(live: Live) -> None:
    original = completed_forecast(live, "zara")
    forecast = forecast_of(live, original)
    weekly = [w.forecast for w in forecast.weekly]
    actual = [round(v * 1.4) for v in weekly[:4]]
    response = live.api.post(
        "/api/workflows/reforecast",
        json={
            "forecast_id": forecast.forecast_id,
            "actual_sales_week_1_to_n": actual,
            "forecasted_week_1_to_n": weekly[:4],
            "remaining_weeks": 8,
            "variance_pct": 0.4,
        },
    )
    assert response.status_code == 201, response.text
    workflow_id = response.json()["workflow_id"]
    waiting = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert waiting is not None and waiting.data["extra_order_qty"] > 0
    assert live.approve(workflow_id, action="accept").status_code == 200
    live.wait(workflow_id, "completed")
    results = live.api.get(f"/api/workflows/{workflow_id}/results").json()
    assert results["forecast_id"] == forecast.forecast_id
    assert results["output_data"]["extra_order_qty"] == waiting.data["extra_order_qty"]
    updated = forecast_of(live, workflow_id)
    assert updated.version == 2
    assert [v.reason for v in updated.versions] == [
        "pre-season forecast",
        "re-forecast after week 4",
    ]
    assert [w.forecast for w in updated.weekly[:4]] == weekly[:4]
    # remaining weeks moved up, shape kept
    ratios = [new.forecast / old for new, old in zip(updated.weekly[4:], weekly[4:], strict=True)]
    assert all(r > 1.0 for r in ratios)
    assert max(ratios) - min(ratios) < 0.01
    assert updated.actuals == {i + 1: float(a) for i, a in enumerate(actual)}
    entered = live.states_entered(workflow_id)
    assert [
        s
        for s in entered
        if s in {"DemandReforecast", "InventoryReplan", "NeedsExtraOrder", "ManufacturingApproval"}
    ] == ["DemandReforecast", "InventoryReplan", "NeedsExtraOrder", "ManufacturingApproval"]


def test_reforecast_below_forecast_needs_no_approval(live: Live) -> None:
    original = completed_forecast(live, "zara")
    forecast = forecast_of(live, original)
    weekly = [w.forecast for w in forecast.weekly]
    workflow = start_workflow(
        live.container,
        WorkflowType.REFORECAST,
        forecast.category_id,
        {
            "parameters": forecast.parameters.model_dump(mode="json"),
            "forecast_id": forecast.forecast_id,
            "actual_sales_week_1_to_n": [round(v * 0.7) for v in weekly[:4]],
            "forecasted_week_1_to_n": weekly[:4],
            "remaining_weeks": 8,
            "variance_pct": -0.3,
        },
        caller=TEST_CALLER,
    )
    live.wait(workflow.workflow_id, "completed")
    assert "ManufacturingApproval" not in live.states_entered(workflow.workflow_id)
    results = live.api.get(f"/api/workflows/{workflow.workflow_id}/results").json()
    assert results["output_data"]["extra_order_qty"] == 0


def start_markdown(live: Live, forecast: ForecastRecord, sold: float) -> str:
    workflow = start_workflow(
        live.container,
        WorkflowType.MARKDOWN,
        forecast.category_id,
        {
            "parameters": forecast.parameters.model_dump(mode="json"),
            "forecast_id": forecast.forecast_id,
            "checkpoint_week": 6,
            "sold_to_date": sold,
        },
        caller=TEST_CALLER,
    )
    return workflow.workflow_id


def test_markdown_flow_approval_and_lift(live: Live) -> None:
    forecast = forecast_of(live, completed_forecast(live, "zara"))
    allocation = live.container.records.get(
        ALLOCATION, forecast.allocation_id or "", AllocationRecord
    )
    # far behind plan at week 6: 10% of the order sold, weeks 7-12 still planned
    sold = allocation.manufacturing_qty * 0.10
    remaining = sum(w.forecast for w in forecast.weekly[6:])
    workflow_id = start_markdown(live, forecast, sold)
    waiting = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert waiting is not None and waiting.kind == "markdown"
    projected = (sold + remaining) / allocation.manufacturing_qty
    assert waiting.data["sell_through"] == pytest.approx(projected, abs=1e-6)
    assert waiting.data["sell_through"] < 0.6
    recommended = waiting.data["recommended_markdown_pct"]
    assert 0 < recommended <= 0.40
    response = live.approve(workflow_id, "markdown", action="modify", markdown_pct=0.15)
    assert response.status_code == 200
    again = live.wait(workflow_id, "awaiting_approval").pending_approval
    assert again is not None and again.data["markdown_pct"] == 0.15
    assert live.approve(workflow_id, "markdown", action="accept").status_code == 200
    done = live.wait(workflow_id, "completed")
    markdown = live.container.records.get(MARKDOWN, done.markdown_id or "", MarkdownRecord)
    assert markdown.applied and markdown.markdown_pct == 0.15
    updated = live.container.records.get(FORECAST, forecast.forecast_id, ForecastRecord)
    lift = markdown.expected_lift
    before = [w.forecast for w in forecast.weekly]
    after = [w.forecast for w in updated.weekly]
    assert after[:6] == before[:6]
    assert after[6:] == pytest.approx([v * (1 + lift) for v in before[6:]], rel=1e-3)
    results = live.api.get(f"/api/workflows/{workflow_id}/results").json()
    assert results["markdown_id"] == markdown.markdown_id
    assert results["output_data"]["markdown_pct"] == 0.15
    # one markdown per season
    second = start_markdown(live, updated, sold)
    failed = live.wait(second, "failed")
    assert "already had its one markdown" in (failed.error_message or "")


def test_markdown_not_needed_finishes_without_approval(live: Live) -> None:
    forecast = forecast_of(live, completed_forecast(live, "zara"))
    allocation = live.container.records.get(
        ALLOCATION, forecast.allocation_id or "", AllocationRecord
    )
    workflow_id = start_markdown(live, forecast, allocation.manufacturing_qty * 0.63)
    done = live.wait(workflow_id, "completed")
    assert "MarkdownApproval" not in live.states_entered(workflow_id)
    assert done.output_data and done.output_data["markdown_pct"] == 0.0


def test_execution_input_carries_only_ids_and_parameters(live: Live) -> None:
    workflow_id = live.start_forecast("luxury")
    arn = live.container.state_machine.execution_arn(workflow_id)
    payload = json.loads(
        boto3.client("stepfunctions").describe_execution(executionArn=arn)["input"]
    )
    assert set(payload) == {"workflow_id", "workflow_type", "category_id", "parameters"}
    live.wait(workflow_id, "awaiting_approval")
    assert live.api.post(f"/api/workflows/{workflow_id}/cancel").status_code == 200
