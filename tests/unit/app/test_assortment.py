"""app.assortment and app.children on the fakes: starting a plan (every category checked up
front), a Map iteration starting its child (once, however often it runs), the child answering
its iteration when it first waits or ends, the parent's view of its children, finishing and
cancelling a plan."""

from __future__ import annotations

from typing import Any

import pytest

from fashion_forecast.app import assortment, children, workflows
from fashion_forecast.constants import MAX_ASSORTMENT_CATEGORIES
from fashion_forecast.domain.errors import DomainError, InvalidRequestError
from fashion_forecast.models.approvals import ApprovalAction, ApprovalKind
from fashion_forecast.models.events import AgentProgress
from fashion_forecast.models.parameters import SeasonRequest
from fashion_forecast.models.workflows import Workflow, WorkflowStatus, WorkflowType
from fashion_forecast.ports import ConflictError, Container, GoneError, UnavailableError
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import SEASON_START, seed_fake_season, seed_sample_sales

CATEGORIES = ["mens_basics", "womens_dresses", "womens_outerwear"]
ZARA = SeasonRequest(
    forecast_horizon_weeks=12,
    season_start_date=SEASON_START,
    replenishment_strategy="none",
    dc_holdback_percentage=0.0,
    markdown_checkpoint_week=6,
)


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    c, fakes = fake_container()
    seed_sample_sales(fakes)
    return c, fakes


def start_plan(c: Container, category_ids: list[str] | None = None) -> Workflow:
    return assortment.start(c, category_ids, ZARA, caller=TEST_CALLER)


def run_iteration(c: Container, fakes: Fakes, parent: Workflow, index: int, token: str) -> Any:
    """What the parent's Map runs for item `index`: its run_child step with a waiting token."""
    fakes.state_machine.waiting(token)
    return assortment.run_child(c, parent.workflow_id, parent.input["children"][index], token)


def running_child(c: Container, fakes: Fakes, parent: Workflow, index: int, token: str) -> str:
    """Item `index` started by its iteration and marked running (its first step); its id."""
    run_iteration(c, fakes, parent, index, token)
    child_id = str(parent.input["children"][index]["workflow_id"])
    workflows.mark_running(c, child_id)
    return child_id


BOOM = {"Error": "RuntimeError", "Cause": "boom"}


# -- start ---------------------------------------------------------------------------------------


def test_a_plan_stores_only_the_parent_with_its_children_planned(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, ["womens_dresses", "mens_basics"])
    assert list(fakes.workflows.rows) == [parent.workflow_id]  # no child row yet
    assert (parent.workflow_type, parent.category_id) == (WorkflowType.ASSORTMENT, "*")
    planned = parent.input["children"]
    assert [p["category_id"] for p in planned] == ["womens_dresses", "mens_basics"]
    assert [p["workflow_id"] for p in planned] == [
        f"{parent.workflow_id}-c000",
        f"{parent.workflow_id}-c001",
    ]
    assert planned[0]["parameters"]["season_start_date"] == SEASON_START.isoformat()
    execution = fakes.state_machine.executions[parent.workflow_id]
    assert execution.input["workflow_type"] == "assortment"
    assert execution.input["children"] == planned


def test_each_category_gets_its_own_default_start(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    short = fakes.sales.category_history("mens_basics")[:-10]
    fakes.sales.save_category_history("mens_basics", short)  # its history ends 10 weeks early
    parent = assortment.start(
        c, ["mens_basics", "womens_dresses"], SeasonRequest(), caller=TEST_CALLER
    )
    starts = [p["parameters"]["season_start_date"] for p in parent.input["children"]]
    for child, start in zip(parent.input["children"], starts, strict=True):
        expected = workflows.season_for(c, child["category_id"], SeasonRequest())
        assert start == expected.season_start_date.isoformat()


def test_a_refused_category_refuses_the_plan_naming_it(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    with pytest.raises(DomainError) as refused:
        start_plan(c, ["womens_dresses", "no_such_category", "mens_basics", "also_unknown"])
    assert [d["field"] for d in refused.value.details] == ["category_ids[1]", "category_ids[3]"]
    assert "2 of 4 categories cannot be planned" in refused.value.message
    assert "no_such_category" in refused.value.message
    assert fakes.workflows.rows == {} and fakes.state_machine.executions == {}


def test_every_category_plans_those_with_history_and_skips_the_refused(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    rows = fakes.sales.category_history("mens_basics")[:10]  # too short to forecast
    fakes.sales.save_category_history("tiny", rows)
    parent = start_plan(c, None)
    assert [p["category_id"] for p in parent.input["children"]] == CATEGORIES
    (skipped,) = parent.input["skipped"]
    assert skipped["category_id"] == "tiny" and "at least 26" in skipped["message"]


def test_every_category_with_none_plannable_is_refused(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    empty = fake_container()
    with pytest.raises(DomainError, match="no category has sales history"):
        assortment.start(empty[0], None, ZARA, caller=TEST_CALLER)
    far = ZARA.model_copy(update={"season_start_date": SEASON_START.replace(year=2030)})
    with pytest.raises(DomainError, match="no category can be planned: mens_basics"):
        assortment.start(c, None, far, caller=TEST_CALLER)
    assert fakes.workflows.rows == {}


def test_every_category_refuses_more_than_the_limit(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    rows = fakes.sales.category_history("mens_basics")
    for i in range(MAX_ASSORTMENT_CATEGORIES - len(CATEGORIES) + 1):
        fakes.sales.save_category_history(f"extra_{i:03d}", rows)
    with pytest.raises(InvalidRequestError, match=f"at most {MAX_ASSORTMENT_CATEGORIES}"):
        start_plan(c, None)
    assert fakes.workflows.rows == {}


# -- run_child and the child's answer --------------------------------------------------------


def test_an_iteration_starts_its_child_with_the_token_on_its_row(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    answer = run_iteration(c, fakes, parent, 1, "token-1")
    child_id = parent.input["children"][1]["workflow_id"]
    assert answer == {"workflow_id": child_id, "status": "pending"}
    child = c.workflows.get(child_id)
    assert (child.workflow_type, child.category_id) == (WorkflowType.FORECAST, "womens_dresses")
    assert (child.parent_id, child.parent_task_token) == (parent.workflow_id, "token-1")
    execution = fakes.state_machine.executions[child_id]
    assert execution.input["parameters"] == parent.input["children"][1]["parameters"]
    assert "parent_task_token" not in execution.input  # the token stays on the row
    assert fakes.state_machine.tokens["token-1"] == "waiting"  # the child answers it later


def test_the_child_answers_its_iteration_when_it_first_waits_for_approval(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    child_id = running_child(c, fakes, parent, 0, "token-0")
    season = seed_fake_season(c, manufacturing_qty=15_000)
    fakes.state_machine.waiting("approval-token")
    workflows.request_approval(
        c, child_id, ApprovalKind.MANUFACTURING, season.allocation_id or "", "approval-token", 60
    )
    assert fakes.state_machine.tokens["token-0"] == "succeeded"
    assert fakes.state_machine.task_output["token-0"] == {
        "workflow_id": child_id,
        "category_id": "mens_basics",
        "status": "awaiting_approval",
    }
    (progress,) = [
        e for e in fakes.event_log.events[parent.workflow_id] if isinstance(e, AgentProgress)
    ]
    assert progress.message == "mens_basics: awaiting approval"
    assert progress.progress_pct == 40  # (80 + 0) / 2: the second child has not started
    view = children.children_view(c, c.workflows.get(parent.workflow_id))
    assert view["children"][0]["manufacturing_qty"] == 15_000
    assert view["children"][0]["season_demand"] == 12_000
    assert view["children"][1]["status"] == "pending"
    assert view["awaiting_approval"] == ["mens_basics"]


def test_a_failing_child_answers_its_iteration_and_the_answer_tolerates_a_spent_token(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    child_id = running_child(c, fakes, parent, 0, "token-0")
    workflows.fail(c, child_id, BOOM)
    assert fakes.state_machine.task_output["token-0"]["status"] == "failed"
    fakes.state_machine.expire("token-0")  # already answered: a later report changes nothing
    children.child_settled(c, c.workflows.get(child_id))
    assert c.workflows.get(child_id).status is WorkflowStatus.FAILED


def test_an_unreachable_state_machine_does_not_fail_the_childs_step(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    child_id = running_child(c, fakes, parent, 0, "token-0")
    fakes.state_machine.reachable = False
    workflows.fail(c, child_id, BOOM)
    assert c.workflows.get(child_id).status is WorkflowStatus.FAILED
    assert fakes.state_machine.tokens["token-0"] == "waiting"


def test_a_retried_iteration_hands_its_new_token_to_the_started_child(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    run_iteration(c, fakes, parent, 0, "token-a")
    child_id = parent.input["children"][0]["workflow_id"]
    again = run_iteration(c, fakes, parent, 0, "token-b")  # a Lambda retry: a new token
    assert again == {"workflow_id": child_id, "status": "pending"}
    assert len([n for n in fakes.state_machine.executions if n == child_id]) == 1
    assert c.workflows.get(child_id).parent_task_token == "token-b"
    assert fakes.state_machine.tokens["token-b"] == "waiting"

    workflows.mark_running(c, child_id)
    workflows.fail(c, child_id, BOOM)
    third = run_iteration(c, fakes, parent, 0, "token-c")  # the child has ended: answered now
    assert third["status"] == "failed"
    assert fakes.state_machine.task_output["token-c"]["status"] == "failed"


def test_an_iteration_of_an_ended_plan_starts_nothing(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    workflows.cancel(c, parent.workflow_id, caller=TEST_CALLER)
    answer = run_iteration(c, fakes, parent, 1, "token-1")
    child_id = parent.input["children"][1]["workflow_id"]
    assert answer == {"workflow_id": child_id, "status": "not_started"}
    assert child_id not in fakes.workflows.rows and child_id not in fakes.state_machine.executions
    assert fakes.state_machine.task_output["token-1"]["status"] == "not_started"
    view = children.children_view(c, c.workflows.get(parent.workflow_id))
    assert [ch["status"] for ch in view["children"]] == ["not_started", "not_started"]


# -- finish and cancel -------------------------------------------------------------------------


def settle_children(c: Container, fakes: Fakes, parent: Workflow, statuses: list[str]) -> None:
    """Start every child and end each one: "failed" fails it, "cancelled" cancels it."""
    for index, status in enumerate(statuses):
        child_id = running_child(c, fakes, parent, index, f"token-{index}")
        if status == "failed":
            workflows.fail(c, child_id, BOOM)
        else:
            workflows.cancel(c, child_id, caller=TEST_CALLER)


def test_finish_completes_the_plan_with_its_counts(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES)
    workflows.mark_running(c, parent.workflow_id)
    settle_children(c, fakes, parent, ["failed", "cancelled", "failed"])
    result = assortment.finish(c, parent.workflow_id)
    assert result["output"] == {
        "categories": 3,
        "counts": {"cancelled": 1, "failed": 2},
        "manufacturing_qty": 0,
        "awaiting_approval": [],
    }
    done = c.workflows.get(parent.workflow_id)
    assert (done.status, done.progress_pct) == (WorkflowStatus.COMPLETED, 100)
    assert done.output_data == result["output"]


def test_finish_fails_the_plan_when_every_category_failed(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    workflows.mark_running(c, parent.workflow_id)
    settle_children(c, fakes, parent, ["failed"])  # the second never started
    with pytest.raises(assortment.AssortmentFailedError, match="every one of the 2"):
        assortment.finish(c, parent.workflow_id)
    assert c.workflows.get(parent.workflow_id).status is WorkflowStatus.RUNNING  # MarkFailed's


def test_finish_leaves_a_cancelled_plan_alone(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    parent = start_plan(c, CATEGORIES[:2])
    workflows.cancel(c, parent.workflow_id, caller=TEST_CALLER)
    assert assortment.finish(c, parent.workflow_id)["status"] == "cancelled"
    assert c.workflows.get(parent.workflow_id).status is WorkflowStatus.CANCELLED


def test_cancelling_a_plan_cancels_its_unfinished_children(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES)
    workflows.mark_running(c, parent.workflow_id)
    settle_children(c, fakes, parent, ["failed"])
    running = running_child(c, fakes, parent, 1, "token-1")
    workflows.cancel(c, parent.workflow_id, caller=TEST_CALLER)
    assert c.workflows.get(running).status is WorkflowStatus.CANCELLED
    assert fakes.state_machine.task_output["token-1"]["status"] == "cancelled"
    view = children.children_view(c, c.workflows.get(parent.workflow_id))
    assert [ch["status"] for ch in view["children"]] == ["failed", "cancelled", "not_started"]


def test_a_plan_is_not_retried(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    parent = start_plan(c, CATEGORIES[:2])
    workflows.mark_running(c, parent.workflow_id)
    workflows.fail(c, parent.workflow_id, {"Error": "X", "Cause": "y"})
    with pytest.raises(ConflictError) as refused:
        workflows.retry(c, parent.workflow_id, caller=TEST_CALLER)
    assert refused.value.code == "not_retryable"


# -- deciding the orders awaiting approval together -------------------------------------------


def awaiting_children(c: Container, fakes: Fakes, parent: Workflow, count: int) -> list[str]:
    """The plan's first `count` categories each awaiting its own manufacturing approval (its
    order 10,000 + 1,000 x its place), with the approval's token `approval-<i>` waiting."""
    ids = []
    for i in range(count):
        child_id = running_child(c, fakes, parent, i, f"token-{i}")
        season = seed_fake_season(c, manufacturing_qty=10_000 + 1_000 * i)
        fakes.state_machine.waiting(f"approval-{i}")
        workflows.request_approval(
            c, child_id, ApprovalKind.MANUFACTURING, season.allocation_id or "", f"approval-{i}", 60
        )
        ids.append(child_id)
    return ids


def decisions_of(fakes: Fakes) -> dict[str, tuple[str, str | None]]:
    """Workflow id -> (action, decided_by) of every decided approval."""
    return {
        row.workflow_id: (row.decision.action.value, row.decision.decided_by)
        for row in fakes.approvals.rows.values()
        if row.decision is not None
    }


def test_a_plan_wide_accept_decides_every_category_awaiting_and_nothing_else(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES)
    first, second = awaiting_children(c, fakes, parent, 2)
    third = running_child(c, fakes, parent, 2, "token-2")  # still planning
    decisions = assortment.decide_awaiting(
        c, parent.workflow_id, ApprovalAction.ACCEPT, caller=TEST_CALLER, comment="all good"
    )
    assert [(d.category_id, d.workflow_id, d.error) for d in decisions] == [
        ("mens_basics", first, None),
        ("womens_dresses", second, None),
    ]
    assert [d.workflow.status for d in decisions if d.workflow] == [WorkflowStatus.RUNNING] * 2
    assert decisions_of(fakes) == {
        first: ("accept", TEST_CALLER.name),
        second: ("accept", TEST_CALLER.name),
    }
    # each decision went to its own execution, and each is audited on its own workflow
    assert fakes.state_machine.tokens["approval-0"] == "succeeded"
    assert fakes.state_machine.tokens["approval-1"] == "succeeded"
    assert fakes.state_machine.task_output["approval-1"]["comment"] == "all good"
    audited = {
        e.entity_id: e for e in fakes.audit.entries.values() if e.action == "approval_decided"
    }
    assert set(audited) == {first, second, parent.workflow_id}
    assert (audited[parent.workflow_id].actor, audited[parent.workflow_id].change) == (
        TEST_CALLER.name,
        {
            "kind": "manufacturing",
            "action": "accept",
            "decided": ["mens_basics", "womens_dresses"],
            "refused": [],
            "comment": "all good",
        },
    )
    assert c.workflows.get(third).status is WorkflowStatus.RUNNING


def test_a_plan_wide_reject_of_named_categories_decides_only_those(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES)
    first, second, third = awaiting_children(c, fakes, parent, 3)
    decisions = assortment.decide_awaiting(
        c,
        parent.workflow_id,
        ApprovalAction.REJECT,
        caller=TEST_CALLER,
        category_ids=["womens_outerwear", "mens_basics"],
    )
    assert [d.workflow_id for d in decisions] == [third, first]  # in the order named
    assert decisions_of(fakes) == {
        first: ("reject", TEST_CALLER.name),
        third: ("reject", TEST_CALLER.name),
    }
    assert c.workflows.get(second).status is WorkflowStatus.AWAITING_APPROVAL


def test_a_category_refused_on_the_way_is_reported_and_the_others_stay_decided(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES)
    first, second = awaiting_children(c, fakes, parent, 2)
    fakes.state_machine.expire("approval-0")  # its task timed out at Step Functions
    decisions = assortment.decide_awaiting(
        c, parent.workflow_id, ApprovalAction.ACCEPT, caller=TEST_CALLER
    )
    refused, decided = decisions
    assert (refused.workflow_id, refused.workflow) == (first, None)
    assert isinstance(refused.error, GoneError) and refused.error.code == "approval_expired"
    assert (decided.workflow_id, decided.error) == (second, None)
    assert decisions_of(fakes) == {second: ("accept", TEST_CALLER.name)}
    (entry,) = [
        e
        for e in fakes.audit.entries.values()
        if (e.entity_id, e.action) == (parent.workflow_id, "approval_decided")
    ]
    assert (entry.change["decided"], entry.change["refused"]) == (
        ["womens_dresses"],
        ["mens_basics"],
    )


def test_an_unreachable_state_machine_leaves_every_order_to_decide_again(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES)
    first, second = awaiting_children(c, fakes, parent, 2)
    fakes.state_machine.reachable = False
    decisions = assortment.decide_awaiting(
        c, parent.workflow_id, ApprovalAction.ACCEPT, caller=TEST_CALLER
    )
    assert [type(d.error) for d in decisions] == [UnavailableError, UnavailableError]
    assert decisions_of(fakes) == {}  # undone: nothing lost, nothing half-decided
    assert [c.workflows.get(w).status for w in (first, second)] == [
        WorkflowStatus.AWAITING_APPROVAL
    ] * 2
    fakes.state_machine.reachable = True
    again = assortment.decide_awaiting(
        c, parent.workflow_id, ApprovalAction.ACCEPT, caller=TEST_CALLER
    )
    assert [d.error for d in again] == [None, None]
    assert set(decisions_of(fakes)) == {first, second}


@pytest.mark.parametrize(
    ("category_ids", "error", "code", "fields"),
    [
        (["womens_dresses", "no_such"], InvalidRequestError, None, ["category_ids[1]"]),
        (["womens_outerwear"], ConflictError, "not_awaiting_approval", ["category_ids[0]"]),
        (
            ["mens_basics", "womens_outerwear", "womens_dresses"],
            ConflictError,
            "not_awaiting_approval",
            ["category_ids[1]"],
        ),
    ],
)
def test_a_named_category_that_cannot_be_decided_refuses_the_whole_request(
    fc: tuple[Container, Fakes],
    category_ids: list[str],
    error: type[Exception],
    code: str | None,
    fields: list[str],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES)
    awaiting_children(c, fakes, parent, 2)  # the third is pending
    with pytest.raises(error) as refused:
        assortment.decide_awaiting(
            c,
            parent.workflow_id,
            ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
            category_ids=category_ids,
        )
    assert [d["field"] for d in refused.value.details] == fields  # type: ignore[attr-defined]
    if code is not None:
        assert refused.value.code == code  # type: ignore[attr-defined]
    assert decisions_of(fakes) == {}  # nothing decided, nothing audited as decided
    assert [e for e in fakes.audit.entries.values() if e.action == "approval_decided"] == []


def test_a_plan_with_nothing_awaiting_or_a_single_forecast_is_refused(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    parent = start_plan(c, CATEGORIES[:2])
    with pytest.raises(ConflictError) as refused:
        assortment.decide_awaiting(c, parent.workflow_id, ApprovalAction.ACCEPT, caller=TEST_CALLER)
    assert refused.value.code == "nothing_awaiting"
    single = seed_fake_season(c, status=WorkflowStatus.AWAITING_APPROVAL)
    with pytest.raises(ConflictError) as refused:
        assortment.decide_awaiting(c, single.workflow_id, ApprovalAction.ACCEPT, caller=TEST_CALLER)
    assert refused.value.code == "not_an_assortment"
    with pytest.raises(InvalidRequestError, match="accepted or rejected together"):
        assortment.decide_awaiting(c, parent.workflow_id, ApprovalAction.MODIFY, caller=TEST_CALLER)
    assert decisions_of(fakes) == {}
