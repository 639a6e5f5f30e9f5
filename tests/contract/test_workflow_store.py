"""WorkflowStore: conditional status changes, field writes and the newest-first listing."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from fashion_forecast.models.workflows import (
    ALLOWED_SOURCES,
    PendingApproval,
    Workflow,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.ports import ConflictError, InvalidCursorError, NotFoundError
from tests.contract.conftest import GARBAGE_CURSORS

PENDING, RUNNING = WorkflowStatus.PENDING, WorkflowStatus.RUNNING
WAITING, DONE = WorkflowStatus.AWAITING_APPROVAL, WorkflowStatus.COMPLETED
FAILED, CANCELLED = WorkflowStatus.FAILED, WorkflowStatus.CANCELLED
FORECAST, REFORECAST = WorkflowType.FORECAST, WorkflowType.REFORECAST

INPUT = {"parameters": {"forecast_horizon_weeks": 12, "season_start_date": "2025-03-03"}}
# the writes that bring a new (pending) workflow to each status
PATHS: dict[WorkflowStatus, list[WorkflowStatus]] = {
    PENDING: [],
    RUNNING: [RUNNING],
    WAITING: [RUNNING, WAITING],
    DONE: [RUNNING, DONE],
    FAILED: [FAILED],
    CANCELLED: [RUNNING, WAITING, CANCELLED],
}


def create(
    store: Any,
    workflow_id: str = "wf-1",
    *,
    workflow_type: WorkflowType = FORECAST,
    category_id: str = "womens_dresses",
) -> Workflow:
    return store.create(
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        category_id=category_id,
        input=INPUT,
    )


def at(store: Any, status: WorkflowStatus, workflow_id: str = "wf-1") -> Workflow:
    """A new workflow brought to `status`."""
    workflow = create(store, workflow_id)
    for step in PATHS[status]:
        workflow = store.transition(workflow_id, step)
    assert workflow.status is status
    return workflow


# -- create and get ----------------------------------------------------------------------------


def test_create_stores_a_pending_workflow_that_get_returns(workflows: Any) -> None:
    created = create(workflows, workflow_type=REFORECAST, category_id="mens_basics")
    assert (created.workflow_id, created.workflow_type, created.category_id) == (
        "wf-1",
        REFORECAST,
        "mens_basics",
    )
    assert (created.status, created.version, created.progress_pct) == (PENDING, 1, 0)
    assert created.input == INPUT
    assert created.created_at == created.updated_at
    assert created.created_at.utcoffset() == dt.timedelta(0)
    assert (created.started_at, created.completed_at, created.current_agent) == (None, None, None)
    assert (created.pending_approval, created.output_data, created.error_message) == (
        None,
        None,
        None,
    )
    assert workflows.get("wf-1") == created


def test_create_returns_the_input_as_it_is_stored(workflows: Any) -> None:
    """The input is stored as JSON: a date in it reads back as its ISO text, and the workflow
    create returns is the one get returns."""
    created = workflows.create(
        workflow_id="wf-1",
        workflow_type=FORECAST,
        category_id="womens_dresses",
        input={"season_start_date": dt.date(2025, 3, 3), "weeks": (1, 2)},
    )
    stored = workflows.get("wf-1")
    assert stored.input == {"season_start_date": "2025-03-03", "weeks": [1, 2]}
    assert created == stored


def test_create_with_an_existing_id_is_a_conflict_and_keeps_the_first(workflows: Any) -> None:
    first = create(workflows)
    with pytest.raises(ConflictError):
        create(workflows, workflow_type=REFORECAST, category_id="mens_basics")
    assert workflows.get("wf-1") == first


def test_get_of_an_unknown_workflow_is_not_found(workflows: Any) -> None:
    create(workflows)
    with pytest.raises(NotFoundError):
        workflows.get("wf-2")


# -- transitions -------------------------------------------------------------------------------


def test_a_workflow_moves_along_the_allowed_statuses(workflows: Any) -> None:
    created = create(workflows)
    running = workflows.transition("wf-1", RUNNING, expected=PENDING)
    assert (running.status, running.version) == (RUNNING, 2)
    assert running.started_at is not None and running.completed_at is None
    assert running.started_at == running.updated_at > created.updated_at
    waiting = workflows.transition("wf-1", WAITING, expected=RUNNING)
    assert (waiting.status, waiting.version) == (WAITING, 3)
    resumed = workflows.transition("wf-1", RUNNING, expected=WAITING)
    assert (resumed.status, resumed.version) == (RUNNING, 4)
    assert resumed.started_at == running.started_at  # set once: resuming keeps it
    assert resumed.updated_at > waiting.updated_at
    done = workflows.transition("wf-1", DONE, expected=RUNNING)
    assert (done.status, done.version) == (DONE, 5)
    assert done.completed_at == done.updated_at and done.started_at == running.started_at
    assert workflows.get("wf-1") == done


def test_only_the_allowed_transitions_succeed(workflows: Any) -> None:
    """Every (status, target) pair: allowed exactly when models.workflows.ALLOWED_SOURCES says
    so; a refused one changes nothing."""
    for n, (status, target) in enumerate(itertools.product(PATHS, WorkflowStatus)):
        workflow_id = f"wf-{n:02d}"
        before = at(workflows, status, workflow_id)
        if status in ALLOWED_SOURCES[target]:
            moved = workflows.transition(workflow_id, target)
            assert (moved.status, moved.version) == (target, before.version + 1)
        else:
            with pytest.raises(ConflictError):
                workflows.transition(workflow_id, target)
            assert workflows.get(workflow_id) == before, (status, target)


def test_expected_must_be_the_current_status(workflows: Any) -> None:
    pending = create(workflows)
    with pytest.raises(ConflictError):
        workflows.transition("wf-1", RUNNING, expected=WAITING)
    with pytest.raises(ConflictError):
        workflows.transition("wf-1", CANCELLED, expected=RUNNING)
    with pytest.raises(ConflictError):
        workflows.transition("wf-1", RUNNING, expected=DONE)  # can never reach running
    assert workflows.get("wf-1") == pending
    assert workflows.transition("wf-1", CANCELLED, expected=PENDING).status is CANCELLED


def test_a_transition_of_a_missing_workflow_is_not_found(workflows: Any) -> None:
    create(workflows)
    for target, expected in ((RUNNING, None), (RUNNING, PENDING), (FAILED, None), (PENDING, None)):
        with pytest.raises(NotFoundError):
            workflows.transition("wf-2", target, expected=expected)


def test_fields_are_set_in_the_same_write_and_none_removes_them(workflows: Any) -> None:
    at(workflows, RUNNING)
    expires = dt.datetime(2025, 3, 5, 9, 0, tzinfo=dt.UTC)
    approval = PendingApproval(
        approval_id="ap-1",
        kind="manufacturing",
        data={"manufacturing_qty": 9600, "holdback": 1200},
        options=["accept", "modify"],
        expires_at=expires,
    )
    waiting = workflows.transition(
        "wf-1", WAITING, pending_approval=approval, last_approval_id="ap-1", progress_pct=80
    )
    assert (waiting.pending_approval, waiting.last_approval_id, waiting.progress_pct) == (
        approval,
        "ap-1",
        80,
    )
    assert workflows.get("wf-1") == waiting
    resumed = workflows.transition("wf-1", RUNNING, expected=WAITING, pending_approval=None)
    assert resumed.pending_approval is None
    assert (resumed.last_approval_id, resumed.progress_pct) == ("ap-1", 80)
    output = {"manufacturing_qty": 9600, "weeks": [1, 2], "stores": {"S001": 0.5}}
    done = workflows.transition("wf-1", DONE, output_data=output, current_agent=None)
    assert (done.output_data, done.current_agent) == (output, None)
    assert workflows.get("wf-1") == done


def test_a_failure_records_its_message_and_when_it_finished(workflows: Any) -> None:
    create(workflows)
    failed = workflows.transition("wf-1", FAILED, error_message="no history")
    assert (failed.status, failed.error_message, failed.version) == (FAILED, "no history", 2)
    assert failed.started_at is None  # it never ran
    assert failed.completed_at == failed.updated_at
    assert workflows.get("wf-1") == failed


def test_cancelling_a_waiting_workflow_keeps_when_it_started(workflows: Any) -> None:
    waiting = at(workflows, WAITING)
    cancelled = workflows.transition("wf-1", CANCELLED, error_message="cancelled by user")
    assert cancelled.started_at == waiting.started_at
    assert cancelled.completed_at == cancelled.updated_at > waiting.updated_at


# -- progress and fields -----------------------------------------------------------------------


def test_progress_is_recorded_only_while_running(workflows: Any) -> None:
    create(workflows)
    with pytest.raises(ConflictError):
        workflows.update_progress("wf-1", current_agent="demand", progress_pct=10)
    workflows.transition("wf-1", RUNNING)
    updated = workflows.update_progress("wf-1", current_agent="demand", progress_pct=40)
    assert (updated.current_agent, updated.progress_pct, updated.version) == ("demand", 40, 3)
    cleared = workflows.update_progress("wf-1", current_agent=None, progress_pct=100)
    assert (cleared.current_agent, cleared.progress_pct, cleared.version) == (None, 100, 4)
    assert workflows.get("wf-1") == cleared
    workflows.transition("wf-1", WAITING)
    with pytest.raises(ConflictError):
        workflows.update_progress("wf-1", current_agent="demand", progress_pct=50)
    workflows.transition("wf-1", RUNNING, expected=WAITING)
    workflows.transition("wf-1", DONE)
    with pytest.raises(ConflictError):
        workflows.update_progress("wf-1", current_agent="demand", progress_pct=50)
    assert workflows.get("wf-1").version == 7


def test_progress_outside_0_to_100_is_a_value_error(workflows: Any) -> None:
    running = at(workflows, RUNNING)
    for bad in (-1, 101):
        with pytest.raises(ValueError):
            workflows.update_progress("wf-1", current_agent="demand", progress_pct=bad)
    assert workflows.get("wf-1") == running
    for edge in (0, 100):
        updated = workflows.update_progress("wf-1", current_agent="x", progress_pct=edge)
        assert updated.progress_pct == edge


def test_progress_of_a_missing_workflow_is_not_found(workflows: Any) -> None:
    with pytest.raises(NotFoundError):
        workflows.update_progress("wf-2", current_agent="demand", progress_pct=10)


def test_set_fields_writes_unfinished_workflows_only(workflows: Any) -> None:
    for n, status in enumerate(PATHS):
        workflow_id = f"wf-{n}"
        before = at(workflows, status, workflow_id)
        if status.is_terminal:
            with pytest.raises(ConflictError):
                workflows.set_fields(workflow_id, forecast_id="f-1")
            assert workflows.get(workflow_id) == before
            continue
        updated = workflows.set_fields(workflow_id, forecast_id="f-1", execution_arn="arn:x")
        assert (updated.status, updated.version) == (status, before.version + 1)
        assert (updated.forecast_id, updated.execution_arn) == ("f-1", "arn:x")
        assert updated.updated_at > before.updated_at
        cleared = workflows.set_fields(workflow_id, execution_arn=None)
        assert (cleared.forecast_id, cleared.execution_arn) == ("f-1", None)
        assert cleared.version == before.version + 2
        assert workflows.get(workflow_id) == cleared
    with pytest.raises(NotFoundError):
        workflows.set_fields("wf-none", forecast_id="f-1")


def test_only_a_pending_workflow_can_be_deleted(workflows: Any) -> None:
    for n, status in enumerate(PATHS):
        workflow_id = f"wf-{n}"
        before = at(workflows, status, workflow_id)
        if status is PENDING:
            workflows.delete_pending(workflow_id)
            with pytest.raises(NotFoundError):
                workflows.get(workflow_id)
        else:
            with pytest.raises(ConflictError):
                workflows.delete_pending(workflow_id)
            assert workflows.get(workflow_id) == before
    with pytest.raises(ConflictError):
        workflows.delete_pending("wf-0")  # already deleted: no longer pending


# -- the listing -------------------------------------------------------------------------------

# created in this order (so newest first is the reverse); ids deliberately not in that order
CREATED = [
    ("wf-c", FORECAST, "womens_dresses"),
    ("wf-a", REFORECAST, "womens_dresses"),
    ("wf-g", FORECAST, "mens_basics"),
    ("wf-b", REFORECAST, "womens_dresses"),
    ("wf-f", FORECAST, "womens_dresses"),
    ("wf-d", REFORECAST, "mens_basics"),
    ("wf-e", FORECAST, "womens_dresses"),
]
NEWEST_FIRST = [workflow_id for workflow_id, _, _ in reversed(CREATED)]


def create_listed(store: Any) -> None:
    for workflow_id, workflow_type, category in CREATED:
        create(store, workflow_id, workflow_type=workflow_type, category_id=category)
    store.transition("wf-a", RUNNING)
    store.transition("wf-d", RUNNING)
    store.transition("wf-f", FAILED)


def all_pages(store: Any, limit: int, **filters: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = store.list(limit=limit, cursor=cursor, **filters)
        pages.append([w.workflow_id for w in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) <= len(CREATED), "the cursor does not move on"


def ids(page: Any) -> list[str]:
    return [w.workflow_id for w in page.items]


def test_an_empty_store_lists_nothing(workflows: Any) -> None:
    page = workflows.list()
    assert (page.items, page.next_cursor) == ([], None)


def test_the_list_is_newest_first_with_the_stored_workflows(workflows: Any) -> None:
    create_listed(workflows)
    page = workflows.list()
    assert ids(page) == NEWEST_FIRST and page.next_cursor is None
    assert page.items == [workflows.get(workflow_id) for workflow_id in NEWEST_FIRST]


@pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 8])
def test_pages_have_exactly_limit_items_without_gaps_or_repeats(workflows: Any, limit: int) -> None:
    create_listed(workflows)
    pages = all_pages(workflows, limit)
    assert [workflow_id for page in pages for workflow_id in page] == NEWEST_FIRST
    full, rest = divmod(len(CREATED), limit)
    assert [len(page) for page in pages] == [limit] * full + ([rest] if rest else [])


def test_the_list_filters_by_status_type_and_category(workflows: Any) -> None:
    create_listed(workflows)
    assert ids(workflows.list(status=RUNNING)) == ["wf-d", "wf-a"]
    assert ids(workflows.list(status=FAILED)) == ["wf-f"]
    assert ids(workflows.list(status=PENDING)) == ["wf-e", "wf-b", "wf-g", "wf-c"]
    assert ids(workflows.list(status=DONE)) == []
    assert ids(workflows.list(workflow_type=REFORECAST)) == ["wf-d", "wf-b", "wf-a"]
    assert ids(workflows.list(category_id="mens_basics")) == ["wf-d", "wf-g"]
    assert ids(workflows.list(category_id="kids")) == []
    both = workflows.list(status=PENDING, workflow_type=FORECAST, category_id="womens_dresses")
    assert ids(both) == ["wf-e", "wf-c"]


def test_filtered_pages_have_exactly_limit_items(workflows: Any) -> None:
    create_listed(workflows)
    assert all_pages(workflows, 2, status=PENDING) == [["wf-e", "wf-b"], ["wf-g", "wf-c"]]
    assert all_pages(workflows, 2, workflow_type=FORECAST) == [
        ["wf-e", "wf-f"],
        ["wf-g", "wf-c"],
    ]
    assert all_pages(workflows, 1, category_id="mens_basics") == [["wf-d"], ["wf-g"]]
    assert all_pages(workflows, 3, workflow_type=REFORECAST) == [["wf-d", "wf-b", "wf-a"]]


def test_a_cursor_still_works_once_its_workflow_is_deleted(workflows: Any) -> None:
    create_listed(workflows)
    first = workflows.list(limit=1)
    assert ids(first) == ["wf-e"]
    workflows.delete_pending("wf-e")  # the cursor's own workflow
    rest = workflows.list(limit=10, cursor=first.next_cursor)
    assert ids(rest) == NEWEST_FIRST[1:] and rest.next_cursor is None


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
def test_a_cursor_the_store_did_not_issue_is_invalid(workflows: Any, cursor: str) -> None:
    create_listed(workflows)
    with pytest.raises(InvalidCursorError):
        workflows.list(cursor=cursor)


def test_check_passes_while_the_store_is_reachable(workflows: Any) -> None:
    assert workflows.check() is None


def test_get_many_reads_the_existing_rows_by_id_past_one_batch(workflows: Any) -> None:
    ids = [f"wf-{i:03d}" for i in range(150)]  # more than one BatchGetItem request (100 keys)
    for workflow_id in ids[::2]:
        create(workflows, workflow_id)
    workflows.transition("wf-000", RUNNING)
    workflows.set_fields("wf-000", parent_id="plan-1", parent_task_token="token-1")
    found = workflows.get_many([*ids, "wf-000"])  # a repeated id is read once
    assert sorted(found) == ids[::2]
    assert found["wf-000"] == workflows.get("wf-000")
    assert (found["wf-000"].status, found["wf-000"].parent_id) == (RUNNING, "plan-1")
    assert found["wf-000"].parent_task_token == "token-1"
    assert workflows.get_many([]) == {}
