"""Requests that arrive at the same instant, through the API on a live stack (moto executing
the state machine, every Lambda in-process): a barrier releases the threads together, and each
test asserts what must hold whichever thread wins."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fashion_forecast.models.approvals import ApprovalStatus
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.sales import VarianceStatus
from tests.integration.flows import Live, live_stack
from tests.integration.seasons import seed_season, week_file
from tests.integration.test_variance_flow import flows_of, settle_flows, settled, upload


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; their results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    return results


def reforecast(live: Live, forecast_id: str) -> Any:
    return live.api.post(
        "/api/workflows/reforecast",
        json={
            "forecast_id": forecast_id,
            "actual_sales_week_1_to_n": [1300, 1300],
            "forecasted_week_1_to_n": [1000.0, 1000.0],
            "remaining_weeks": 10,
            "variance_pct": 0.3,
        },
    )


def awaiting_reforecast(live: Live) -> str:
    """A re-forecast of a synthetic season waiting for its extra order's approval."""
    forecast_id = seed_season(live.container)
    response = reforecast(live, forecast_id)
    assert response.status_code == 201, response.text
    workflow_id = str(response.json()["workflow_id"])
    settled(live, workflow_id, "awaiting_approval")
    return workflow_id


def test_of_four_manual_reforecasts_at_once_exactly_one_starts(live: Live) -> None:
    forecast_id = seed_season(live.container)
    responses = at_once(*[lambda: reforecast(live, forecast_id)] * 4)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409], [r.text for r in responses]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {body["error_code"] for body in refused} == {"replan_in_progress"}
    (started,) = [r.json()["workflow_id"] for r in responses if r.status_code == 201]
    workflow = settled(live, started, "awaiting_approval")
    forecast = live.container.records.get(FORECAST, forecast_id, ForecastRecord)
    assert forecast.manual_replan_workflow_id == started
    assert [v.workflow_id for v in forecast.versions][1:] == [started]
    assert workflow.pending_approval is not None
    assert workflow.pending_approval.data["allocation_id"] == forecast.allocation_id
    assert live.api.post(f"/api/workflows/{started}/cancel").status_code == 200
    live.wait_execution(started)


def test_an_approval_posted_four_times_at_once_is_decided_once(live: Live) -> None:
    workflow_id = awaiting_reforecast(live)
    approval_id = live.container.workflows.get(workflow_id).last_approval_id or ""
    responses = at_once(*[lambda: live.approve(workflow_id, action="accept")] * 4)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409], [r.text for r in responses]
    done = settled(live, workflow_id, "completed")
    assert done.output_data is not None and done.output_data["extra_order_qty"] > 0
    approval = live.container.approvals.get(approval_id)
    assert approval.status is ApprovalStatus.DECIDED
    assert live.wait_execution(workflow_id)["status"] == "SUCCEEDED"


def test_a_cancel_racing_an_approval_ends_in_one_consistent_state(live: Live) -> None:
    workflow_id = awaiting_reforecast(live)
    approval_id = live.container.workflows.get(workflow_id).last_approval_id or ""
    decided, cancelled = at_once(
        lambda: live.approve(workflow_id, action="accept"),
        lambda: live.api.post(f"/api/workflows/{workflow_id}/cancel"),
    )
    assert decided.status_code in {200, 409}, decided.text
    assert cancelled.status_code in {200, 409}, cancelled.text
    execution = live.wait_execution(workflow_id)
    workflow = settled(live, workflow_id, "completed", "cancelled")
    approval = live.container.approvals.get(approval_id)
    if decided.status_code == 200:  # the decision won; a cancel after it stops the rest
        assert approval.status is ApprovalStatus.DECIDED
        if workflow.status.value == "completed":
            assert execution["status"] == "SUCCEEDED"
        else:  # stopped, or its next step found the workflow cancelled: ended either way
            assert cancelled.status_code == 200
            assert execution["status"] in {"ABORTED", "FAILED", "SUCCEEDED"}
    else:  # the cancel won: the approval is closed, never decided
        assert cancelled.status_code == 200
        assert approval.status is ApprovalStatus.CANCELLED
        assert workflow.status.value == "cancelled"
    assert workflow.pending_approval is None


def test_the_same_over_plan_week_uploaded_twice_at_once_starts_one_reforecast(
    live: Live,
) -> None:
    forecast_id = seed_season(live.container)
    assert upload(live, forecast_id, week_file(1, 20), week=1).status_code == 201
    file = week_file(2, 30)  # cumulative 2,500 against 2,000: +25%
    first, second = at_once(*[lambda: upload(live, forecast_id, file, week=2)] * 2)
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert first.json()["upload_id"] != second.json()["upload_id"]
    for body in (first.json(), second.json()):
        settle_flows(live, body)
    reforecast_id = f"reforecast-{forecast_id}-w02"
    assert flows_of(live, forecast_id) == [reforecast_id]
    actuals = live.container.in_season.list_actuals(forecast_id)
    assert {week: a.total_units for week, a in actuals.items()} == {1: 1000, 2: 1500}
    row = live.container.in_season.get_variance(forecast_id, 2)
    assert (row.status, row.actual_cumulative, row.forecasted_cumulative) == (
        VarianceStatus.EVALUATED,
        2500.0,
        2000.0,
    )
    assert row.reforecast_workflow_id == reforecast_id
    settled(live, reforecast_id, "awaiting_approval")
    assert live.api.post(f"/api/workflows/{reforecast_id}/cancel").status_code == 200
    live.wait_execution(reforecast_id)
