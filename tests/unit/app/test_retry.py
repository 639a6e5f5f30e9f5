"""workflows.retry's resume point: from an execution history, and from the stored records when
the execution is gone (the local runtime after a restart). The end-to-end runs on moto are in
tests/integration/test_workflow_retry.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fashion_forecast.app import workflows
from fashion_forecast.models.forecasts import ALLOCATION, AllocationRecord, AllocationStatus
from fashion_forecast.models.workflows import WorkflowStatus
from fashion_forecast.ports import ConflictError, Container, UnavailableError
from fashion_forecast_local.template import Template
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import seed_fake_season


def entered(name: str, kind: str = "Task", **state: Any) -> dict[str, Any]:
    return {
        "type": f"{kind}StateEntered",
        "stateEnteredEventDetails": {"name": name, "input": json.dumps(state)},
    }


def test_the_failed_step_is_the_last_task_entered_before_the_fail_step() -> None:
    history = [
        entered("IsRetry", "Choice"),
        entered("MarkRunning", workflow_id="w"),
        entered("Demand", workflow_id="w"),
        entered("Inventory", workflow_id="w", demand={"forecast_id": "f"}),
        entered("MarkFailed", workflow_id="w", error={"Error": "X"}),
        entered("Failed", "Fail"),
    ]
    step, state = workflows.failed_step(history) or ("", {})
    assert (step, state) == ("Inventory", {"workflow_id": "w", "demand": {"forecast_id": "f"}})
    # an approval that timed out (Pass states after it) is asked again
    timed_out = [
        *history[:4],
        entered("ManufacturingApproval"),
        entered("ApprovalTimedOut", "Pass"),
    ]
    assert (workflows.failed_step(timed_out) or ("",))[0] == "ManufacturingApproval"
    # failed at its first bookkeeping step: the retry marks it running itself and routes on
    assert (workflows.failed_step(history[:2]) or ("",))[0] == "RouteByType"
    assert workflows.failed_step([entered("IsRetry", "Choice")]) is None


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    c, fakes = fake_container()
    template = Template.load()
    fakes.state_machine.deployed = json.loads(
        template.state_machine_definition("WorkflowStateMachine")
    )
    return c, fakes


def test_without_its_execution_a_retry_resumes_from_the_stored_records(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = seed_fake_season(c, status=WorkflowStatus.RUNNING)
    assert workflows.interrupt_unfinished(c, "interrupted by restart") == [season.workflow_id]
    workflow = c.workflows.get(season.workflow_id)
    assert workflow.allocation_id is not None
    rejected = c.records.get(ALLOCATION, workflow.allocation_id, AllocationRecord)
    assert rejected.status is AllocationStatus.REJECTED

    resumed = workflows.retry(c, season.workflow_id, caller=TEST_CALLER)

    assert (resumed.status, resumed.retry_count) == (WorkflowStatus.RUNNING, 1)
    name = workflows.execution_name(season.workflow_id, 1)
    started = fakes.state_machine.executions[name].input
    assert started["resume_from"] == "ManufacturingApproval"
    assert started["demand"] == {"forecast_id": season.forecast_id}
    assert started["inventory"] == {
        "allocation_id": workflow.allocation_id,
        "manufacturing_qty": rejected.manufacturing_qty,
    }
    proposed = c.records.get(ALLOCATION, workflow.allocation_id, AllocationRecord)
    assert proposed.status is AllocationStatus.PROPOSED
    with pytest.raises(ConflictError) as second:  # running again: not failed any more
        workflows.retry(c, season.workflow_id, caller=TEST_CALLER)
    assert second.value.code == "not_failed"
    assert name in fakes.state_machine.executions and len(fakes.state_machine.executions) == 1


def test_a_late_fail_step_of_an_earlier_attempt_leaves_the_retry_running(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    season = seed_fake_season(c, status=WorkflowStatus.RUNNING)
    workflows.interrupt_unfinished(c, "interrupted by restart")
    workflows.retry(c, season.workflow_id, caller=TEST_CALLER)
    first = c.state_machine.execution_arn(season.workflow_id)
    workflows.fail(c, season.workflow_id, {"Error": "States.Timeout"}, execution_arn=first)
    assert c.workflows.get(season.workflow_id).status is WorkflowStatus.RUNNING


def test_a_retry_step_functions_cannot_start_leaves_the_workflow_as_it_was(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = seed_fake_season(c, status=WorkflowStatus.RUNNING)
    workflows.interrupt_unfinished(c, "interrupted by restart")
    before = c.workflows.get(season.workflow_id)
    original_start = fakes.state_machine.start

    def unreachable(name: str, payload: dict[str, Any]) -> str:
        raise UnavailableError("Step Functions unreachable")

    fakes.state_machine.start = unreachable  # type: ignore[method-assign]
    with pytest.raises(UnavailableError):
        workflows.retry(c, season.workflow_id, caller=TEST_CALLER)
    after = c.workflows.get(season.workflow_id)
    assert (after.status, after.error_message) == (WorkflowStatus.FAILED, before.error_message)
    assert (after.retry_count, after.execution_arn) == (0, before.execution_arn)
    assert before.allocation_id is not None
    allocation = c.records.get(ALLOCATION, before.allocation_id, AllocationRecord)
    assert allocation.status is AllocationStatus.REJECTED  # settled again
    fakes.state_machine.start = original_start  # type: ignore[method-assign]
    assert workflows.retry(c, season.workflow_id, caller=TEST_CALLER).retry_count == 1
