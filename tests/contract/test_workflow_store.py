"""WorkflowStore: conditional status changes, field writes and the newest-first listing."""

from __future__ import annotations

from typing import Any

import pytest

from fashion_forecast.models.workflows import PendingApproval, WorkflowStatus, WorkflowType
from fashion_forecast.ports import ConflictError, InvalidCursorError, NotFoundError

RUNNING, PENDING, DONE = WorkflowStatus.RUNNING, WorkflowStatus.PENDING, WorkflowStatus.COMPLETED
WAITING, FAILED = WorkflowStatus.AWAITING_APPROVAL, WorkflowStatus.FAILED


def create(store: Any, workflow_id: str = "wf-1", **kwargs: Any) -> Any:
    return store.create(
        workflow_id=workflow_id,
        workflow_type=kwargs.get("workflow_type", WorkflowType.FORECAST),
        category_id=kwargs.get("category_id", "womens_dresses"),
        input=kwargs.get("input", {"parameters": {"forecast_horizon_weeks": 12}}),
    )


def test_create_and_get(workflows: Any) -> None:
    created = create(workflows)
    assert (created.status, created.version, created.progress_pct) == (PENDING, 1, 0)
    got = workflows.get("wf-1")
    assert got == created
    assert got.input == {"parameters": {"forecast_horizon_weeks": 12}}
    with pytest.raises(ConflictError):
        create(workflows)
    with pytest.raises(NotFoundError):
        workflows.get("nope")


def test_transitions_follow_the_status_machine(workflows: Any) -> None:
    create(workflows)
    running = workflows.transition("wf-1", RUNNING, expected=PENDING)
    assert running.status is RUNNING and running.version == 2
    assert running.started_at is not None and running.completed_at is None
    pending = PendingApproval(approval_id="a-1", kind="manufacturing", data={"q": 1})
    waiting = workflows.transition("wf-1", WAITING, pending_approval=pending, progress_pct=80)
    assert waiting.pending_approval == pending and waiting.progress_pct == 80
    resumed = workflows.transition("wf-1", RUNNING, expected=WAITING, pending_approval=None)
    assert resumed.pending_approval is None
    assert resumed.started_at == running.started_at  # set once
    with pytest.raises(ConflictError):
        workflows.transition("wf-1", RUNNING, expected=PENDING)  # not pending any more
    done = workflows.transition("wf-1", DONE, output_data={"manufacturing_qty": 9600})
    assert done.completed_at is not None and done.output_data == {"manufacturing_qty": 9600}
    assert done.version == 5
    with pytest.raises(ConflictError):
        workflows.transition("wf-1", FAILED, error_message="late")  # finished
    assert workflows.get("wf-1").status is DONE
    with pytest.raises(NotFoundError):
        workflows.transition("nope", RUNNING)


def test_fields_set_to_none_are_removed(workflows: Any) -> None:
    create(workflows)
    workflows.transition("wf-1", RUNNING)
    workflows.set_fields("wf-1", forecast_id="f-1", current_agent="demand")
    cleared = workflows.set_fields("wf-1", current_agent=None)
    assert (cleared.forecast_id, cleared.current_agent) == ("f-1", None)
    assert workflows.get("wf-1").current_agent is None


def test_progress_only_while_running(workflows: Any) -> None:
    create(workflows)
    with pytest.raises(ConflictError):
        workflows.update_progress("wf-1", current_agent="demand", progress_pct=10)
    workflows.transition("wf-1", RUNNING)
    updated = workflows.update_progress("wf-1", current_agent="demand", progress_pct=40)
    assert (updated.current_agent, updated.progress_pct) == ("demand", 40)
    for bad in (-1, 101):
        with pytest.raises(ValueError):
            workflows.update_progress("wf-1", current_agent="demand", progress_pct=bad)


def test_set_fields_and_delete_pending_respect_the_status(workflows: Any) -> None:
    create(workflows, "wf-a")
    workflows.set_fields("wf-a", execution_arn="arn:x")
    workflows.delete_pending("wf-a")
    with pytest.raises(NotFoundError):
        workflows.get("wf-a")
    with pytest.raises(ConflictError):
        workflows.delete_pending("wf-a")  # gone: not pending
    create(workflows, "wf-b")
    workflows.transition("wf-b", RUNNING)
    with pytest.raises(ConflictError):
        workflows.delete_pending("wf-b")
    workflows.transition("wf-b", WorkflowStatus.CANCELLED)
    with pytest.raises(ConflictError):
        workflows.set_fields("wf-b", forecast_id="f")


def test_list_is_newest_first_filtered_and_paginated(workflows: Any) -> None:
    ids = [f"wf-{i:02d}" for i in range(7)]
    for i, workflow_id in enumerate(ids):
        create(
            workflows,
            workflow_id,
            workflow_type=WorkflowType.REFORECAST if i % 2 else WorkflowType.FORECAST,
            category_id="mens_basics" if i == 6 else "womens_dresses",
        )
        if hasattr(workflows, "clock"):
            workflows.clock.advance(0.001)
    workflows.transition("wf-03", RUNNING)
    newest_first = list(reversed(ids))
    seen, cursor, pages = [], None, []
    while True:
        page = workflows.list(limit=3, cursor=cursor)
        pages.append(len(page.items))
        seen += [w.workflow_id for w in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == newest_first
    assert pages == [3, 3, 1]
    assert [w.workflow_id for w in workflows.list(status=RUNNING).items] == ["wf-03"]
    reforecasts = workflows.list(workflow_type=WorkflowType.REFORECAST)
    assert [w.workflow_id for w in reforecasts.items] == ["wf-05", "wf-03", "wf-01"]
    assert [w.workflow_id for w in workflows.list(category_id="mens_basics").items] == ["wf-06"]
    exact = workflows.list(limit=7)
    assert len(exact.items) == 7 and exact.next_cursor is None
    with pytest.raises(InvalidCursorError):
        workflows.list(cursor="not-a-cursor")
    workflows.check()
