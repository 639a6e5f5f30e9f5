"""workflows.interrupt_unfinished: what a restart of the local runtime does to the workflows
whose executions did not survive it (kept apart from test_workflows.py)."""

from __future__ import annotations

import pytest

from fashion_forecast.app import workflows
from fashion_forecast.models.approvals import ApprovalKind, ApprovalStatus
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import ConflictError, Container, GoneError
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import event_types, seed_fake_season, start_running_workflow

REASON = "interrupted by restart"


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def test_every_unfinished_workflow_fails_and_finished_ones_are_left_alone(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = seed_fake_season(c)  # its pre-season workflow is completed
    c.workflows.create(
        workflow_id="wf-pending",
        workflow_type=WorkflowType.FORECAST,
        category_id="womens_dresses",
        input={},
    )
    running = start_running_workflow(c, WorkflowType.FORECAST, {}, workflow_id="wf-running")
    c.state_machine.start(running.workflow_id, {})
    waiting = start_running_workflow(c, WorkflowType.FORECAST, {}, workflow_id="wf-waiting")
    fakes.state_machine.waiting("token-1")
    workflows.request_approval(
        c,
        waiting.workflow_id,
        ApprovalKind.MANUFACTURING,
        season.allocation_id or "",
        "token-1",
        3600,
    )
    cancelled = start_running_workflow(c, WorkflowType.FORECAST, {}, workflow_id="wf-cancelled")
    workflows.cancel(c, cancelled.workflow_id, caller=TEST_CALLER)
    completed_before = c.workflows.get(season.workflow_id)

    interrupted = workflows.interrupt_unfinished(c, REASON)

    assert sorted(interrupted) == ["wf-pending", "wf-running", "wf-waiting"]
    for workflow_id in interrupted:
        workflow = c.workflows.get(workflow_id)
        assert (workflow.status, workflow.error_message) == (WorkflowStatus.FAILED, REASON)
        assert workflow.pending_approval is None
        assert event_types(fakes, workflow_id)[-1] == "error"
    assert fakes.state_machine.executions["wf-running"].status == "ABORTED"
    assert c.workflows.get(season.workflow_id) == completed_before
    assert c.workflows.get("wf-cancelled").status is WorkflowStatus.CANCELLED
    # the waiting approval expired with its execution: a late decision is 410, not a hang
    (approval,) = fakes.approvals.rows.values()
    assert approval.status is ApprovalStatus.EXPIRED
    with pytest.raises(GoneError):
        workflows.decide(
            c, waiting.workflow_id, ApprovalKind.MANUFACTURING, action="accept", caller=TEST_CALLER
        )
    with pytest.raises(ConflictError):
        workflows.cancel(c, waiting.workflow_id, caller=TEST_CALLER)


def test_nothing_unfinished_interrupts_nothing(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    seed_fake_season(c)
    assert workflows.interrupt_unfinished(c, REASON) == []


def test_more_than_a_page_of_unfinished_workflows(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    for i in range(130):
        start_running_workflow(c, WorkflowType.FORECAST, {}, workflow_id=f"wf-{i:03d}")
    assert len(workflows.interrupt_unfinished(c, REASON)) == 130
    assert workflows.list_workflows(c, status=WorkflowStatus.RUNNING).items == []
