"""Workflow store: conditional writes allow only the documented transitions."""

from __future__ import annotations

import itertools

import pytest

from fashion_forecast.adapters.errors import ConflictError, NotFoundError
from fashion_forecast.models.workflows import (
    ALLOWED_SOURCES,
    PendingApproval,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.services import Services

S = WorkflowStatus


def new(services: Services, workflow_id: str = "wf-1") -> str:
    services.workflows.create(
        workflow_id=workflow_id,
        workflow_type=WorkflowType.FORECAST,
        category_id="c",
        input={"workflow_id": workflow_id},
    )
    return workflow_id


def drive(services: Services, workflow_id: str, path: list[WorkflowStatus]) -> None:
    for status in path:
        services.workflows.transition(workflow_id, status)


# Shortest way from pending to each status.
REACH = {
    S.PENDING: [],
    S.RUNNING: [S.RUNNING],
    S.AWAITING_APPROVAL: [S.RUNNING, S.AWAITING_APPROVAL],
    S.COMPLETED: [S.RUNNING, S.COMPLETED],
    S.FAILED: [S.FAILED],
    S.CANCELLED: [S.CANCELLED],
}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(S, S)))
def test_every_transition_is_allowed_exactly_when_documented(
    services: Services, source: WorkflowStatus, target: WorkflowStatus
) -> None:
    workflow_id = new(services)
    drive(services, workflow_id, REACH[source])
    before = services.workflows.get(workflow_id)
    if source in ALLOWED_SOURCES[target]:
        after = services.workflows.transition(workflow_id, target)
        assert after.status is target
        assert after.version == before.version + 1
    else:
        with pytest.raises(ConflictError):
            services.workflows.transition(workflow_id, target)
        assert services.workflows.get(workflow_id) == before  # nothing overwritten


def test_the_full_happy_path_with_an_approval(services: Services) -> None:
    workflow_id = new(services)
    drive(services, workflow_id, [S.RUNNING, S.AWAITING_APPROVAL, S.RUNNING, S.COMPLETED])
    done = services.workflows.get(workflow_id)
    assert done.status is S.COMPLETED
    assert done.completed_at is not None and done.started_at is not None


def test_expected_status_guards_against_a_concurrent_change(services: Services) -> None:
    workflow_id = new(services)
    drive(services, workflow_id, [S.RUNNING, S.AWAITING_APPROVAL])
    services.workflows.transition(workflow_id, S.CANCELLED)
    with pytest.raises(ConflictError, match="cancelled"):
        services.workflows.transition(workflow_id, S.RUNNING, expected=S.AWAITING_APPROVAL)


def test_a_stale_writer_loses_to_the_one_that_finished_first(services: Services) -> None:
    """Two agents both saw `running`; the second write is refused by its condition. (moto's
    DynamoDB does not make conditional writes atomic across threads, so the interleaving is
    played out in order here; DynamoDB itself evaluates the condition atomically.)"""
    workflow_id = new(services)
    drive(services, workflow_id, [S.RUNNING])
    seen_by_both = services.workflows.get(workflow_id)
    assert seen_by_both.status is S.RUNNING
    services.workflows.transition(workflow_id, S.COMPLETED, output_data={"winner": "first"})
    with pytest.raises(ConflictError, match="completed"):
        services.workflows.transition(workflow_id, S.FAILED, error_message="second")
    final = services.workflows.get(workflow_id)
    assert final.status is S.COMPLETED
    assert final.output_data == {"winner": "first"}
    assert final.error_message is None


def test_progress_only_while_running(services: Services) -> None:
    workflow_id = new(services)
    with pytest.raises(ConflictError):
        services.workflows.update_progress(workflow_id, current_agent="demand", progress_pct=10)
    drive(services, workflow_id, [S.RUNNING])
    updated = services.workflows.update_progress(
        workflow_id, current_agent="demand", progress_pct=10
    )
    assert (updated.current_agent, updated.progress_pct) == ("demand", 10)
    with pytest.raises(ValueError):
        services.workflows.update_progress(workflow_id, current_agent="demand", progress_pct=101)
    drive(services, workflow_id, [S.COMPLETED])
    with pytest.raises(ConflictError, match="completed"):
        services.workflows.update_progress(workflow_id, current_agent="x", progress_pct=50)


def test_pending_approval_round_trips_and_clears(services: Services) -> None:
    workflow_id = new(services)
    drive(services, workflow_id, [S.RUNNING])
    approval = PendingApproval(
        approval_id="ap-1",
        kind="manufacturing",
        data={"manufacturing_qty": 9600},
        options=["accept", "modify", "reject"],
    )
    waiting = services.workflows.transition(
        workflow_id, S.AWAITING_APPROVAL, pending_approval=approval
    )
    assert waiting.pending_approval == approval
    resumed = services.workflows.transition(workflow_id, S.RUNNING, pending_approval=None)
    assert resumed.pending_approval is None


def test_create_twice_and_missing_rows(services: Services) -> None:
    new(services)
    with pytest.raises(ConflictError):
        new(services)
    with pytest.raises(NotFoundError):
        services.workflows.get("missing")
    with pytest.raises(NotFoundError):
        services.workflows.transition("missing", S.RUNNING)
    with pytest.raises(NotFoundError):
        services.workflows.set_fields("missing", execution_arn="x")
