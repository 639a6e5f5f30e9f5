"""POST /api/workflows/{id}/retry on moto with the real ASL and the in-process Lambdas: a failed
workflow resumes at the step that failed, in a new execution of the same definition, and the
steps that had succeeded are not invoked again (counted at the Lambda hook)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fashion_forecast.app import workflows
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    AllocationRecord,
    AllocationStatus,
    ForecastRecord,
    VersionStatus,
)
from tests.integration.flows import Live, live_stack


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


class FailOnce:
    """The named function's handler raises on its first invocation, then runs as it is."""

    def __init__(self, live: Live, logical_id: str) -> None:
        self.name = live.template.physical_name(logical_id)
        self.original = live.lambdas.handler
        self.failed = 0

    def __call__(self, function_name: str) -> Any:
        handler = self.original(function_name)
        if function_name != self.name:
            return handler

        def run(event: Any, context: Any) -> Any:
            if self.failed == 0:
                self.failed += 1
                raise RuntimeError("injected agent failure")
            return handler(event, context)

        return run


def invocations(live: Live, logical_id: str, workflow_id: str) -> list[dict[str, Any]]:
    name = live.template.physical_name(logical_id)
    return [
        e
        for f, e in live.lambdas.invocations
        if f == name and isinstance(e, dict) and e.get("workflow_id") == workflow_id
    ]


def test_a_retry_resumes_at_the_failed_step_without_rerunning_the_succeeded_ones(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    injected = FailOnce(live, "InventoryFunction")
    monkeypatch.setattr(live.lambdas, "handler", injected)
    workflow_id = live.start_forecast("zara")
    failed = live.wait(workflow_id, "failed")
    live.wait_execution(workflow_id)
    assert injected.failed == 1 and "injected agent failure" in (failed.error_message or "")
    forecast_id = failed.forecast_id
    assert forecast_id is not None  # Demand had succeeded
    forecast = live.container.records.get(FORECAST, forecast_id, ForecastRecord)
    assert [v.status for v in forecast.versions] == [VersionStatus.REJECTED]

    response = live.api.post(f"/api/workflows/{workflow_id}/retry")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["retry_count"]) == ("running", 1)
    assert response.json()["error_message"] is None
    forecast = live.container.records.get(FORECAST, forecast_id, ForecastRecord)
    assert [v.status for v in forecast.versions] == [VersionStatus.PROPOSED]  # proposed again

    waiting = live.wait(workflow_id, "awaiting_approval")
    assert waiting.forecast_id == forecast_id  # the first run's forecast, not a new one
    assert live.approve(workflow_id, action="accept").status_code == 200
    done = live.wait(workflow_id, "completed")
    live.wait_execution(workflow_id)  # the Finish step settles after the status changes
    retry_name = workflows.execution_name(workflow_id, 1)
    assert done.execution_arn == live.container.state_machine.execution_arn(retry_name)

    demand = invocations(live, "DemandFunction", workflow_id)
    inventory = invocations(live, "InventoryFunction", workflow_id)
    assert [e["mode"] for e in demand] == ["forecast"]  # never invoked again
    assert [e["mode"] for e in inventory] == ["plan", "plan"]  # the failed one, then the retry
    assert {e["forecast_id"] for e in inventory} == {forecast_id}
    assert done.allocation_id is not None
    allocation = live.container.records.get(ALLOCATION, done.allocation_id, AllocationRecord)
    assert allocation.status is AllocationStatus.APPROVED
    forecast = live.container.records.get(FORECAST, forecast_id, ForecastRecord)
    assert [v.status for v in forecast.versions] == [VersionStatus.APPROVED]

    body = live.api.get(f"/api/workflows/{workflow_id}").json()
    assert (body["status"], body["retry_count"]) == ("completed", 1)
    steps = live.api.get(f"/api/workflows/{workflow_id}/steps").json()["steps"]
    first = [s["name"] for s in steps if s["attempt"] == 0]
    second = [s["name"] for s in steps if s["attempt"] == 1]
    assert first[-3:] == ["Inventory", "MarkFailed", "Failed"]
    assert "Demand" in first
    assert second[:3] == ["IsRetry", "ResumeAt", "Inventory"]
    assert "Demand" not in second and "MarkRunning" not in second
    assert second[-2:] == ["Finish", "Completed"]
    retried = [
        e
        for e in live.api.get(f"/api/workflows/{workflow_id}/audit").json()["items"]
        if e["action"] == "workflow_retried"
    ]
    assert len(retried) == 1
    assert retried[0]["change"]["resume_from"] == "Inventory"
    assert retried[0]["change"]["attempt"] == 1


def test_a_workflow_that_has_not_failed_cannot_be_retried(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    live.wait(workflow_id, "awaiting_approval")
    response = live.api.post(f"/api/workflows/{workflow_id}/retry")
    assert response.status_code == 409, response.text
    assert response.json()["error_code"] == "not_failed"
    assert live.container.workflows.get(workflow_id).retry_count == 0
    assert live.api.post(f"/api/workflows/{workflow_id}/cancel").status_code == 200
    cancelled = live.api.post(f"/api/workflows/{workflow_id}/retry")
    assert cancelled.status_code == 409 and cancelled.json()["error_code"] == "not_failed"
    assert live.api.post("/api/workflows/no-such-workflow/retry").status_code in {404, 422}


def test_a_workflow_interrupted_while_awaiting_approval_is_asked_again_on_retry(
    live: Live,
) -> None:
    """What a restart of the local runtime does to a waiting workflow (interrupt_unfinished):
    failed, its approval expired, its allocation rejected. The retry asks again, without
    running Demand or Inventory again, and the allocation is proposed again."""
    workflow_id = live.start_forecast("zara")
    live.wait(workflow_id, "awaiting_approval")
    assert workflows.interrupt_unfinished(live.container, "interrupted by restart") == [workflow_id]
    failed = live.container.workflows.get(workflow_id)
    assert (failed.status.value, failed.error_message) == ("failed", "interrupted by restart")
    assert failed.allocation_id is not None
    rejected = live.container.records.get(ALLOCATION, failed.allocation_id, AllocationRecord)
    assert rejected.status is AllocationStatus.REJECTED

    response = live.api.post(f"/api/workflows/{workflow_id}/retry")
    assert response.status_code == 200, response.text
    waiting = live.wait(workflow_id, "awaiting_approval")
    assert waiting.pending_approval is not None
    assert waiting.pending_approval.approval_id != failed.last_approval_id  # a new approval
    proposed = live.container.records.get(ALLOCATION, failed.allocation_id, AllocationRecord)
    assert proposed.status is AllocationStatus.PROPOSED
    assert live.approve(workflow_id, action="accept").status_code == 200
    live.wait(workflow_id, "completed")
    live.wait_execution(workflow_id)
    assert len(invocations(live, "DemandFunction", workflow_id)) == 1
    assert len(invocations(live, "InventoryFunction", workflow_id)) == 1
