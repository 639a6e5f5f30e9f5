"""Workflow store: conditional writes allow only the documented transitions."""

from __future__ import annotations

import itertools

import pytest

from fashion_forecast.models.workflows import (
    ALLOWED_SOURCES,
    PendingApproval,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.ports import ConflictError, Container, NotFoundError

S = WorkflowStatus


def new(container: Container, workflow_id: str = "wf-1") -> str:
    container.workflows.create(
        workflow_id=workflow_id,
        workflow_type=WorkflowType.FORECAST,
        category_id="c",
        input={"workflow_id": workflow_id},
    )
    return workflow_id


def drive(container: Container, workflow_id: str, path: list[WorkflowStatus]) -> None:
    for status in path:
        container.workflows.transition(workflow_id, status)


# Shortest way from pending to each status.
REACH = {
    S.PENDING: [],
    S.RUNNING: [S.RUNNING],
    S.AWAITING_APPROVAL: [S.RUNNING, S.AWAITING_APPROVAL],
    S.AWAITING_CLARIFICATION: [S.RUNNING, S.AWAITING_CLARIFICATION],
    S.COMPLETED: [S.RUNNING, S.COMPLETED],
    S.FAILED: [S.FAILED],
    S.CANCELLED: [S.CANCELLED],
}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(S, S)))
def test_every_transition_is_allowed_exactly_when_documented(
    container: Container, source: WorkflowStatus, target: WorkflowStatus
) -> None:
    workflow_id = new(container)
    drive(container, workflow_id, REACH[source])
    before = container.workflows.get(workflow_id)
    if source in ALLOWED_SOURCES[target]:
        after = container.workflows.transition(workflow_id, target)
        assert after.status is target
        assert after.version == before.version + 1
    else:
        with pytest.raises(ConflictError):
            container.workflows.transition(workflow_id, target)
        assert container.workflows.get(workflow_id) == before  # nothing overwritten


def test_the_full_happy_path_with_an_approval(container: Container) -> None:
    workflow_id = new(container)
    drive(container, workflow_id, [S.RUNNING, S.AWAITING_APPROVAL, S.RUNNING, S.COMPLETED])
    done = container.workflows.get(workflow_id)
    assert done.status is S.COMPLETED
    assert done.completed_at is not None and done.started_at is not None


def test_expected_status_guards_against_a_concurrent_change(container: Container) -> None:
    workflow_id = new(container)
    drive(container, workflow_id, [S.RUNNING, S.AWAITING_APPROVAL])
    container.workflows.transition(workflow_id, S.CANCELLED)
    with pytest.raises(ConflictError, match="cancelled"):
        container.workflows.transition(workflow_id, S.RUNNING, expected=S.AWAITING_APPROVAL)


def test_a_stale_writer_loses_to_the_one_that_finished_first(container: Container) -> None:
    """Two agents both saw `running`; the second write is refused by its condition. (moto's
    DynamoDB does not make conditional writes atomic across threads, so the interleaving is
    played out in order here; DynamoDB itself evaluates the condition atomically.)"""
    workflow_id = new(container)
    drive(container, workflow_id, [S.RUNNING])
    seen_by_both = container.workflows.get(workflow_id)
    assert seen_by_both.status is S.RUNNING
    container.workflows.transition(workflow_id, S.COMPLETED, output_data={"winner": "first"})
    with pytest.raises(ConflictError, match="completed"):
        container.workflows.transition(workflow_id, S.FAILED, error_message="second")
    final = container.workflows.get(workflow_id)
    assert final.status is S.COMPLETED
    assert final.output_data == {"winner": "first"}
    assert final.error_message is None


def test_progress_only_while_running(container: Container) -> None:
    workflow_id = new(container)
    with pytest.raises(ConflictError):
        container.workflows.update_progress(workflow_id, current_agent="demand", progress_pct=10)
    drive(container, workflow_id, [S.RUNNING])
    updated = container.workflows.update_progress(
        workflow_id, current_agent="demand", progress_pct=10
    )
    assert (updated.current_agent, updated.progress_pct) == ("demand", 10)
    with pytest.raises(ValueError):
        container.workflows.update_progress(workflow_id, current_agent="demand", progress_pct=101)
    drive(container, workflow_id, [S.COMPLETED])
    with pytest.raises(ConflictError, match="completed"):
        container.workflows.update_progress(workflow_id, current_agent="x", progress_pct=50)


def test_pending_approval_round_trips_and_clears(container: Container) -> None:
    workflow_id = new(container)
    drive(container, workflow_id, [S.RUNNING])
    approval = PendingApproval(
        approval_id="ap-1",
        kind="manufacturing",
        data={"manufacturing_qty": 9600},
        options=["accept", "modify", "reject"],
    )
    waiting = container.workflows.transition(
        workflow_id, S.AWAITING_APPROVAL, pending_approval=approval
    )
    assert waiting.pending_approval == approval
    resumed = container.workflows.transition(workflow_id, S.RUNNING, pending_approval=None)
    assert resumed.pending_approval is None


def test_create_twice_and_missing_rows(container: Container) -> None:
    new(container)
    with pytest.raises(ConflictError):
        new(container)
    with pytest.raises(NotFoundError):
        container.workflows.get("missing")
    with pytest.raises(NotFoundError):
        container.workflows.transition("missing", S.RUNNING)
    with pytest.raises(NotFoundError):
        container.workflows.set_fields("missing", execution_arn="x")
