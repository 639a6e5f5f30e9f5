"""app.workflows on the fakes: start (with the up-front season checks), approvals, cancel and
the state machine's bookkeeping steps."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from fashion_forecast.app import workflows
from fashion_forecast.domain.errors import DomainError, InsufficientHistoryError
from fashion_forecast.domain.season import SeasonOutOfReachError
from fashion_forecast.models.approvals import ApprovalAction, ApprovalKind, ApprovalStatus
from fashion_forecast.models.events import HumanInputRequired, WorkflowComplete
from fashion_forecast.models.parameters import SeasonRequest
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import (
    ConflictError,
    Container,
    GoneError,
    NotFoundError,
    UnavailableError,
)
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    event_types,
    sample_weekly_history,
    seed_fake_season,
    seed_sample_sales,
    start_running_workflow,
)

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


@pytest.fixture
def seeded(fc: tuple[Container, Fakes]) -> tuple[Container, Fakes]:
    seed_sample_sales(fc[1])
    return fc


# -- start ---------------------------------------------------------------------------------------


def test_start_stores_the_workflow_and_an_execution_named_after_it(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow = workflows.start_workflow(c, WorkflowType.FORECAST, "womens_dresses", {"x": 1})
    assert workflow.status is WorkflowStatus.PENDING
    execution = fakes.state_machine.executions[workflow.workflow_id]
    assert execution.input == {
        "workflow_id": workflow.workflow_id,
        "workflow_type": "forecast",
        "category_id": "womens_dresses",
        "x": 1,
    }
    assert workflow.execution_arn == fakes.state_machine.execution_arn(workflow.workflow_id)
    assert workflow.input == execution.input


def test_a_start_that_cannot_reach_step_functions_leaves_nothing(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    fakes.state_machine.reachable = False
    with pytest.raises(UnavailableError, match="Could not start workflow"):
        workflows.start_workflow(c, WorkflowType.FORECAST, "womens_dresses", {})
    assert fakes.workflows.rows == {} and fakes.state_machine.executions == {}


def test_a_deterministic_id_cannot_start_twice(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflows.start_workflow(c, WorkflowType.REFORECAST, "c", {}, workflow_id="reforecast-f-w04")
    with pytest.raises(ConflictError):
        workflows.start_workflow(
            c, WorkflowType.REFORECAST, "c", {}, workflow_id="reforecast-f-w04"
        )
    assert list(fakes.state_machine.executions) == ["reforecast-f-w04"]


def parameters_of(fakes: Fakes, workflow_id: str) -> dict[str, Any]:
    return dict(fakes.state_machine.executions[workflow_id].input["parameters"])


def test_an_omitted_start_is_next_monday_when_the_history_reaches_it(
    seeded: tuple[Container, Fakes],
) -> None:
    c, fakes = seeded  # today 2025-03-03, the history's last week starts 2025-02-24
    workflow = workflows.start_forecast(c, "womens_dresses", SeasonRequest())
    assert parameters_of(fakes, workflow.workflow_id)["season_start_date"] == "2025-03-10"


def test_an_omitted_start_follows_the_history_when_next_monday_is_out_of_reach(
    seeded: tuple[Container, Fakes],
) -> None:
    c, fakes = seeded
    fakes.clock.advance((dt.datetime(2026, 12, 3, tzinfo=dt.UTC) - NOW).total_seconds())
    workflow = workflows.start_forecast(c, "womens_outerwear", SeasonRequest())
    parameters = parameters_of(fakes, workflow.workflow_id)
    assert parameters["season_start_date"] == "2025-03-03"
    assert parameters["forecast_horizon_weeks"] == 12


def test_an_explicit_mid_week_start_is_kept(seeded: tuple[Container, Fakes]) -> None:
    c, fakes = seeded
    request = SeasonRequest(season_start_date=dt.date(2025, 3, 5), forecast_horizon_weeks=8)
    workflow = workflows.start_forecast(c, "mens_basics", request)
    assert parameters_of(fakes, workflow.workflow_id)["season_start_date"] == "2025-03-05"


@pytest.mark.parametrize(
    ("start", "message"),
    [(dt.date(2025, 2, 24), "before the history ends"), (dt.date(2026, 3, 2), "exceeds 52")],
)
def test_a_season_out_of_the_historys_reach_is_refused_up_front(
    seeded: tuple[Container, Fakes], start: dt.date, message: str
) -> None:
    c, fakes = seeded
    with pytest.raises(SeasonOutOfReachError, match=message) as refused:
        workflows.start_forecast(c, "womens_dresses", SeasonRequest(season_start_date=start))
    assert refused.value.code == "season_out_of_range"
    assert fakes.workflows.rows == {} and fakes.state_machine.executions == {}


def test_an_unknown_category_is_refused_naming_the_known_ones(
    seeded: tuple[Container, Fakes],
) -> None:
    c, fakes = seeded
    with pytest.raises(DomainError) as refused:
        workflows.start_forecast(c, "socks", SeasonRequest())
    assert refused.value.message.startswith("no sales history for category socks (known: ")
    assert "womens_dresses" in refused.value.message
    assert refused.value.details == [{"field": "category_id", "message": "no sales history"}]
    assert fakes.workflows.rows == {}


def test_too_little_history_or_no_stores_is_refused(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.sales.save_category_history("new", sample_weekly_history()["womens_dresses"][-25 * 50 :])
    with pytest.raises(InsufficientHistoryError, match="25 weeks of history"):
        workflows.start_forecast(c, "new", SeasonRequest())
    fakes.sales.save_category_history("womens_dresses", sample_weekly_history()["womens_dresses"])
    with pytest.raises(DomainError, match="no store attributes on record"):
        workflows.start_forecast(c, "womens_dresses", SeasonRequest())
    assert fakes.workflows.rows == {}


def test_a_reforecast_must_cover_the_season(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    with pytest.raises(NotFoundError):
        workflows.start_reforecast(
            c, "nope", actual_sales=[1], forecasted=[1.0], remaining_weeks=11, variance_pct=0.0
        )
    with pytest.raises(DomainError) as refused:
        workflows.start_reforecast(
            c,
            forecast.forecast_id,
            actual_sales=[1, 2],
            forecasted=[1.0, 2.0],
            remaining_weeks=9,
            variance_pct=0.1,
        )
    assert refused.value.code == "validation_error"
    assert refused.value.details == [{"field": "remaining_weeks", "message": "expected 10"}]
    workflow = workflows.start_reforecast(
        c,
        forecast.forecast_id,
        actual_sales=[1200, 1300],
        forecasted=[1000.0, 1000.0],
        remaining_weeks=10,
        variance_pct=0.25,
    )
    started = fakes.state_machine.executions[workflow.workflow_id].input
    assert started["workflow_type"] == "reforecast"
    assert started["forecast_id"] == forecast.forecast_id
    assert started["actual_sales_week_1_to_n"] == [1200, 1300]
    assert (started["remaining_weeks"], started["variance_pct"]) == (10, 0.25)


def test_results_and_events_of_a_workflow(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    running = start_running_workflow(c, WorkflowType.FORECAST, {})
    with pytest.raises(ConflictError) as early:
        workflows.completed_workflow(c, running.workflow_id)
    assert early.value.details == [{"field": "status", "message": "running"}]
    c.workflows.transition(running.workflow_id, WorkflowStatus.COMPLETED)
    assert workflows.completed_workflow(c, running.workflow_id).status is WorkflowStatus.COMPLETED
    with pytest.raises(NotFoundError):
        workflows.list_events(c, "nope", 0, 10)
    assert workflows.list_events(c, running.workflow_id, 0, 10).events == []


# -- approvals -----------------------------------------------------------------------------------


def waiting_for_approval(c: Container, fakes: Fakes) -> tuple[str, str]:
    """A forecast workflow waiting for its manufacturing approval: (workflow id, token)."""
    season = seed_fake_season(c, manufacturing_qty=15_000)
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    token = f"token-{workflow.workflow_id}"
    fakes.state_machine.waiting(token)
    allocation_id = season.allocation_id or ""
    workflows.request_approval(
        c, workflow.workflow_id, ApprovalKind.MANUFACTURING, allocation_id, token, 3600
    )
    return workflow.workflow_id, token


def test_request_approval_stores_the_token_and_asks_the_human(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    workflow = c.workflows.get(workflow_id)
    assert workflow.status is WorkflowStatus.AWAITING_APPROVAL
    assert (workflow.current_agent, workflow.progress_pct) == ("approval", 80)
    pending = workflow.pending_approval
    assert pending is not None and pending.kind == "manufacturing"
    assert pending.data["manufacturing_qty"] == 15_000 and pending.data["season_demand"] == 12_000
    approval = c.approvals.get(pending.approval_id)
    assert approval.task_token == token and approval.status is ApprovalStatus.PENDING
    assert approval.expires_at == NOW + dt.timedelta(hours=1)
    asked = fakes.publisher.published(workflow_id)[-1]
    assert isinstance(asked, HumanInputRequired)
    assert asked.message == "Approve the manufacturing order of 15,000 units"
    assert asked.options == ["accept", "modify", "reject"]
    assert token not in json.dumps(asked.model_dump(mode="json"))


def test_an_approval_for_a_workflow_no_longer_running_is_closed(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = seed_fake_season(c)
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    c.workflows.transition(workflow.workflow_id, WorkflowStatus.CANCELLED)
    with pytest.raises(ConflictError):
        workflows.request_approval(
            c, workflow.workflow_id, ApprovalKind.MANUFACTURING, season.allocation_id or "", "t", 60
        )
    (approval,) = fakes.approvals.rows.values()
    assert approval.status is ApprovalStatus.CANCELLED


def test_a_decision_is_recorded_once_and_handed_to_the_execution(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    resumed = workflows.decide(
        c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.MODIFY,
        safety_stock_pct=0.3, comment="launch",
    )  # fmt: skip
    assert resumed.status is WorkflowStatus.RUNNING and resumed.pending_approval is None
    output = fakes.state_machine.task_output[token]
    assert (output["action"], output["safety_stock_pct"], output["comment"]) == (
        "modify",
        0.3,
        "launch",
    )
    assert output["manufacturing_qty"] is None and output["markdown_pct"] is None
    (approval,) = fakes.approvals.rows.values()
    assert approval.status is ApprovalStatus.DECIDED
    with pytest.raises(ConflictError):
        workflows.decide(c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT)


def test_a_decision_of_the_wrong_kind_is_a_conflict(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    with pytest.raises(ConflictError, match="waiting for a manufacturing approval"):
        workflows.decide(c, workflow_id, ApprovalKind.MARKDOWN, action=ApprovalAction.ACCEPT)


def test_an_expired_approval_is_gone_and_marked_expired(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    fakes.clock.advance(3601)
    with pytest.raises(GoneError) as gone:
        workflows.decide(c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT)
    assert gone.value.code == "approval_expired"
    (approval,) = fakes.approvals.rows.values()
    assert approval.status is ApprovalStatus.EXPIRED


def test_a_token_expired_at_step_functions_is_gone(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.state_machine.expire(token)
    with pytest.raises(GoneError):
        workflows.decide(c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT)


def test_an_undeliverable_decision_is_undone_so_it_can_be_retried(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.state_machine.reachable = False
    with pytest.raises(UnavailableError):
        workflows.decide(c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT)
    workflow = c.workflows.get(workflow_id)
    assert workflow.status is WorkflowStatus.AWAITING_APPROVAL and workflow.pending_approval
    (approval,) = fakes.approvals.rows.values()
    assert approval.status is ApprovalStatus.PENDING and approval.decision is None
    fakes.state_machine.reachable = True
    workflows.decide(c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT)
    assert fakes.state_machine.task_output[token]["action"] == "accept"


DEMAND = {"season_demand": 64187.67}


@pytest.mark.parametrize(
    ("kind", "action", "fields", "field"),
    [
        (ApprovalKind.MANUFACTURING, "modify", {"markdown_pct": 0.1}, "markdown_pct"),
        (ApprovalKind.MARKDOWN, "modify", {"safety_stock_pct": 0.3}, "safety_stock_pct"),
        (ApprovalKind.MARKDOWN, "modify", {"manufacturing_qty": 9}, "manufacturing_qty"),
        (ApprovalKind.MANUFACTURING, "modify", {}, "safety_stock_pct"),
        (
            ApprovalKind.MANUFACTURING,
            "modify",
            {"safety_stock_pct": 0.3, "manufacturing_qty": 70000},
            "safety_stock_pct",
        ),
        (ApprovalKind.MARKDOWN, "modify", {}, "markdown_pct"),
        (ApprovalKind.MANUFACTURING, "accept", {"safety_stock_pct": 0.3}, "action"),
        (ApprovalKind.MARKDOWN, "reject", {"markdown_pct": 0.1}, "action"),
        (ApprovalKind.MANUFACTURING, "modify", {"safety_stock_pct": 0.09}, "safety_stock_pct"),
        (ApprovalKind.MANUFACTURING, "modify", {"safety_stock_pct": 0.51}, "safety_stock_pct"),
        (ApprovalKind.MARKDOWN, "modify", {"markdown_pct": -0.05}, "markdown_pct"),
        (ApprovalKind.MARKDOWN, "modify", {"markdown_pct": 0.45}, "markdown_pct"),
        (ApprovalKind.MANUFACTURING, "modify", {"manufacturing_qty": 0}, "manufacturing_qty"),
        (
            ApprovalKind.MANUFACTURING,
            "modify",
            {"manufacturing_qty": 1_000_000_001},
            "manufacturing_qty",
        ),
        (ApprovalKind.MANUFACTURING, "modify", {"manufacturing_qty": 64187}, "manufacturing_qty"),
    ],
)
def test_decisions_that_do_not_fit_the_approval_are_refused(
    kind: ApprovalKind, action: str, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(workflows.InvalidDecisionError) as refused:
        workflows.build_decision(kind, ApprovalAction(action), NOW, approval_data=DEMAND, **fields)
    assert refused.value.code == "validation_error"
    assert refused.value.field == field
    assert refused.value.details == [{"field": field, "message": refused.value.message}]


def test_a_quantity_must_cover_the_season_demand_shown() -> None:
    modify = ApprovalAction.MODIFY
    kind = ApprovalKind.MANUFACTURING
    with pytest.raises(workflows.InvalidDecisionError) as refused:
        workflows.build_decision(kind, modify, NOW, approval_data=DEMAND, manufacturing_qty=64187)
    assert "below the season demand of 64,188 units" in refused.value.message
    decision = workflows.build_decision(
        kind, modify, NOW, approval_data=DEMAND, manufacturing_qty=64188
    )
    assert (decision.manufacturing_qty, decision.decided_at) == (64188, NOW)
    limits = workflows.build_decision(kind, modify, NOW, safety_stock_pct=0.5)
    assert limits.safety_stock_pct == 0.5


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_closes_the_approval_fails_its_task_and_stops_the_execution(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.state_machine.start(workflow_id, {})
    cancelled = workflows.cancel(c, workflow_id)
    assert cancelled.status is WorkflowStatus.CANCELLED
    assert (cancelled.error_message, cancelled.pending_approval) == ("cancelled by user", None)
    (approval,) = fakes.approvals.rows.values()
    assert approval.status is ApprovalStatus.CANCELLED
    assert fakes.state_machine.task_failures[token] == ("WorkflowCancelled", "cancelled by user")
    assert fakes.state_machine.executions[workflow_id].status == "ABORTED"
    last = fakes.publisher.published(workflow_id)[-1]
    assert isinstance(last, WorkflowComplete) and last.status == "cancelled"
    with pytest.raises(ConflictError, match="already finished"):
        workflows.cancel(c, workflow_id)


def test_cancel_holds_when_step_functions_cannot_be_reached(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    fakes.state_machine.reachable = False
    assert workflows.cancel(c, workflow.workflow_id).status is WorkflowStatus.CANCELLED
    assert c.workflows.get(workflow.workflow_id).status is WorkflowStatus.CANCELLED


# -- bookkeeping steps -------------------------------------------------------------------------


def test_mark_running_then_complete_with_the_stored_results(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(c, manufacturing_qty=15_000, status=WorkflowStatus.PENDING)
    workflow_id = season.workflow_id
    workflows.mark_running(c, workflow_id)
    running = c.workflows.get(workflow_id)
    assert (running.status, running.progress_pct) == (WorkflowStatus.RUNNING, 5)
    c.workflows.set_fields(
        workflow_id, forecast_id=season.forecast_id, allocation_id=season.allocation_id
    )
    fakes.clock.advance(12.5)
    done = workflows.complete(c, workflow_id)
    assert done["output"] == {
        "total_season_demand": 12000.0,
        "forecast_version": 1,
        "manufacturing_qty": 15000,
        "initial_allocation": 15000,
        "holdback": 0,
        "safety_stock_pct": 0.25,
        "duration_seconds": 12.5,
    }
    stored = c.workflows.get(workflow_id)
    assert (stored.status, stored.progress_pct) == (WorkflowStatus.COMPLETED, 100)
    assert stored.output_data == done["output"]
    last = fakes.publisher.published(workflow_id)[-1]
    assert isinstance(last, WorkflowComplete) and last.result == done["output"]


def test_reject_cancels_with_the_comment(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    workflows.reject(c, workflow.workflow_id, "too much stock")
    stored = c.workflows.get(workflow.workflow_id)
    assert stored.status is WorkflowStatus.CANCELLED
    assert stored.error_message == "rejected by the approver: too much stock"
    assert event_types(fakes, workflow.workflow_id) == ["workflow_complete"]


def test_fail_records_a_readable_error_once(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    c.workflows.update_progress(workflow.workflow_id, current_agent="demand", progress_pct=10)
    cause = json.dumps({"errorType": "DomainError", "errorMessage": "no sales history"})
    result = workflows.fail(c, workflow.workflow_id, {"Error": "DomainError", "Cause": cause})
    assert result["error_message"] == "demand agent failed: no sales history (DomainError)"
    assert c.workflows.get(workflow.workflow_id).status is WorkflowStatus.FAILED
    assert event_types(fakes, workflow.workflow_id)[-1] == "error"
    again = workflows.fail(c, workflow.workflow_id, {"Error": "X"})
    assert again == {"workflow_id": workflow.workflow_id, "status": "failed"}
    assert event_types(fakes, workflow.workflow_id).count("error") == 1


def test_an_approval_timeout_expires_the_approval(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    error = {"Error": "ApprovalTimedOut", "Cause": "No approval decision arrived within 3600 s"}
    result = workflows.fail(c, workflow_id, error)
    assert result["error_message"] == "No approval decision arrived within 3600 s"
    (approval,) = fakes.approvals.rows.values()
    assert approval.status is ApprovalStatus.EXPIRED


@pytest.mark.parametrize(
    ("error", "agent", "message"),
    [
        (None, None, "workflow failed: Error (Error)"),
        (
            {"Error": "States.Timeout"},
            "pricing",
            "pricing agent failed: States.Timeout (States.Timeout)",
        ),
        (
            {"Error": "Lambda.Unknown", "Cause": "boom"},
            None,
            "workflow failed: boom (Lambda.Unknown)",
        ),
        ({"Error": "E", "Cause": "{not json"}, None, "workflow failed: {not json (E)"),
    ],
)
def test_readable_errors(error: dict[str, Any] | None, agent: str | None, message: str) -> None:
    assert workflows.readable_error(error, agent) == message
