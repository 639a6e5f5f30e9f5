"""app.workflows on the fakes: start (with the up-front season checks), reading, approvals
(request, decide, the decision's validation), cancel and the state machine's bookkeeping steps
(mark running, complete, reject, fail)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from fashion_forecast.app import workflows
from fashion_forecast.domain.errors import (
    DomainError,
    InsufficientHistoryError,
    InvalidRequestError,
)
from fashion_forecast.domain.history import WeeklySales
from fashion_forecast.domain.season import SeasonOutOfReachError
from fashion_forecast.models.approvals import (
    ApprovalAction,
    ApprovalKind,
    ApprovalStatus,
    Decision,
)
from fashion_forecast.models.events import ErrorEvent, HumanInputRequired, WorkflowComplete
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    AllocationStatus,
    ForecastRecord,
    MarkdownRecord,
)
from fashion_forecast.models.parameters import SeasonParameters, SeasonRequest
from fashion_forecast.models.sales import VarianceAction, VarianceRecord, VarianceStatus
from fashion_forecast.models.workflows import (
    PendingApproval,
    Workflow,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.ports import (
    ConflictError,
    Container,
    GoneError,
    NotFoundError,
    UnavailableError,
)
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    event_types,
    sample_weekly_history,
    seed_fake_season,
    seed_sample_sales,
    seed_sample_stores,
    start_running_workflow,
)

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
NOW_JSON = "2025-03-03T09:00:00Z"
HOUR = 3600


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


@pytest.fixture
def seeded(fc: tuple[Container, Fakes]) -> tuple[Container, Fakes]:
    seed_sample_sales(fc[1])
    return fc


def parameters_of(fakes: Fakes, workflow_id: str) -> dict[str, Any]:
    return dict(fakes.state_machine.executions[workflow_id].input["parameters"])


def last_weeks(category: str, weeks: int) -> list[WeeklySales]:
    """The sample history of `category` cut to its last `weeks` weeks (every store)."""
    rows = sample_weekly_history()[category]
    kept = sorted({r.week_start for r in rows})[-weeks:]
    return [r for r in rows if r.week_start in set(kept)]


def nothing_stored(fakes: Fakes) -> bool:
    return fakes.workflows.rows == {} and fakes.state_machine.executions == {}


# -- start ---------------------------------------------------------------------------------------


def test_start_stores_the_workflow_and_an_execution_named_after_it(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow = workflows.start_workflow(
        c, WorkflowType.FORECAST, "womens_dresses", {"x": 1}, caller=TEST_CALLER
    )
    expected_input = {
        "workflow_id": workflow.workflow_id,
        "workflow_type": "forecast",
        "category_id": "womens_dresses",
        "x": 1,
    }
    assert workflow.workflow_id == "00000001-0000-0000-0000-000000000000"
    assert (workflow.status, workflow.workflow_type, workflow.category_id) == (
        WorkflowStatus.PENDING,
        WorkflowType.FORECAST,
        "womens_dresses",
    )
    (execution,) = fakes.state_machine.executions.values()
    assert execution.name == workflow.workflow_id
    assert execution.input == expected_input
    assert workflow.input == expected_input
    assert workflow.execution_arn == fakes.state_machine.execution_arn(workflow.workflow_id)
    assert fakes.workflows.rows[workflow.workflow_id] == workflow


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        ("unreachable", "Could not start workflow: Step Functions unreachable (fake)"),
        ("missing", "Could not start workflow: the workflow state machine does not exist"),
    ],
)
def test_a_start_that_cannot_reach_step_functions_leaves_nothing(
    fc: tuple[Container, Fakes], break_it: str, message: str
) -> None:
    c, fakes = fc
    if break_it == "unreachable":
        fakes.state_machine.reachable = False
    else:
        fakes.state_machine.exists = False
    with pytest.raises(UnavailableError) as unavailable:
        workflows.start_workflow(c, WorkflowType.FORECAST, "womens_dresses", {}, caller=TEST_CALLER)
    assert unavailable.value.message == message
    assert isinstance(unavailable.value.__cause__, UnavailableError)
    assert nothing_stored(fakes)


def test_an_execution_name_already_taken_is_unavailable_and_leaves_no_row(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    fakes.state_machine.start("w-1", {})  # an execution of a row deleted long ago
    with pytest.raises(UnavailableError) as unavailable:
        workflows.start_workflow(
            c, WorkflowType.MARKDOWN, "c", {}, workflow_id="w-1", caller=TEST_CALLER
        )
    assert unavailable.value.message == "Could not start workflow: execution w-1 already exists"
    assert fakes.workflows.rows == {}


def test_a_deterministic_id_cannot_start_twice(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    first = workflows.start_workflow(
        c, WorkflowType.REFORECAST, "c", {}, workflow_id="reforecast-f-w04", caller=TEST_CALLER
    )
    with pytest.raises(ConflictError):
        workflows.start_workflow(
            c, WorkflowType.REFORECAST, "c", {}, workflow_id="reforecast-f-w04", caller=TEST_CALLER
        )
    assert list(fakes.state_machine.executions) == ["reforecast-f-w04"]
    assert fakes.workflows.rows["reforecast-f-w04"] == first  # the first one is untouched


def test_an_execution_that_finished_before_the_arn_was_stored_is_returned_as_it_is(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    start = fakes.state_machine.start

    def start_and_fail_at_once(name: str, payload: dict[str, Any]) -> str:
        arn = start(name, payload)
        c.workflows.transition(name, WorkflowStatus.FAILED, error_message="boom")
        return arn

    monkeypatch.setattr(fakes.state_machine, "start", start_and_fail_at_once)
    workflow = workflows.start_workflow(c, WorkflowType.FORECAST, "c", {}, caller=TEST_CALLER)
    assert workflow.status is WorkflowStatus.FAILED
    assert workflow.execution_arn is None  # derivable from the id
    assert fakes.workflows.rows[workflow.workflow_id] == workflow


# -- season_for / start_forecast -----------------------------------------------------------------


def test_season_for_fills_the_start_and_keeps_the_rest(seeded: tuple[Container, Fakes]) -> None:
    c, fakes = seeded
    request = SeasonRequest(forecast_horizon_weeks=16, dc_holdback_percentage=0.3)
    parameters = workflows.season_for(c, "womens_dresses", request)
    assert parameters == SeasonParameters(
        forecast_horizon_weeks=16,
        season_start_date=dt.date(2025, 3, 10),
        dc_holdback_percentage=0.3,
    )
    assert nothing_stored(fakes)


def test_an_omitted_start_is_next_monday_when_the_history_reaches_it(
    seeded: tuple[Container, Fakes],
) -> None:
    c, fakes = seeded  # today 2025-03-03, the history's last week starts 2025-02-24
    workflow = workflows.start_forecast(c, "womens_dresses", SeasonRequest(), caller=TEST_CALLER)
    parameters = parameters_of(fakes, workflow.workflow_id)
    assert parameters == SeasonParameters(season_start_date=dt.date(2025, 3, 10)).model_dump(
        mode="json"
    )
    assert workflow.input["parameters"] == parameters
    assert (workflow.workflow_type, workflow.category_id) == (
        WorkflowType.FORECAST,
        "womens_dresses",
    )


def test_an_omitted_start_follows_the_history_when_next_monday_is_out_of_reach(
    seeded: tuple[Container, Fakes],
) -> None:
    c, fakes = seeded
    fakes.clock.advance((dt.datetime(2026, 12, 3, tzinfo=dt.UTC) - NOW).total_seconds())
    workflow = workflows.start_forecast(c, "womens_outerwear", SeasonRequest(), caller=TEST_CALLER)
    parameters = parameters_of(fakes, workflow.workflow_id)
    assert parameters["season_start_date"] == "2025-03-03"
    assert parameters["forecast_horizon_weeks"] == 12


def test_an_omitted_start_follows_the_history_when_the_horizon_would_overreach(
    seeded: tuple[Container, Fakes],
) -> None:
    c, fakes = seeded  # next Monday is 1 week after the history: 1 + 52 weeks is too far
    workflow = workflows.start_forecast(
        c, "mens_basics", SeasonRequest(forecast_horizon_weeks=52), caller=TEST_CALLER
    )
    assert parameters_of(fakes, workflow.workflow_id)["season_start_date"] == "2025-03-03"


def test_an_explicit_mid_week_start_is_kept(seeded: tuple[Container, Fakes]) -> None:
    c, fakes = seeded
    request = SeasonRequest(season_start_date=dt.date(2025, 3, 5), forecast_horizon_weeks=8)
    workflow = workflows.start_forecast(c, "mens_basics", request, caller=TEST_CALLER)
    parameters = parameters_of(fakes, workflow.workflow_id)
    assert (parameters["season_start_date"], parameters["forecast_horizon_weeks"]) == (
        "2025-03-05",
        8,
    )


@pytest.mark.parametrize(
    "start",
    [dt.date(2025, 3, 3), dt.date(2025, 12, 8)],  # offset 0, and offset 40 + 12 weeks = 52
    ids=["first-forecast-week", "furthest"],
)
def test_a_season_at_the_edges_of_the_historys_reach_is_accepted(
    seeded: tuple[Container, Fakes], start: dt.date
) -> None:
    c, fakes = seeded
    workflow = workflows.start_forecast(
        c, "womens_dresses", SeasonRequest(season_start_date=start), caller=TEST_CALLER
    )
    assert parameters_of(fakes, workflow.workflow_id)["season_start_date"] == start.isoformat()


@pytest.mark.parametrize(
    ("start", "message", "detail"),
    [
        (dt.date(2025, 2, 24), "before the history ends", "before the history"),
        (dt.date(2025, 3, 2), "before the history ends", "before the history"),
        (dt.date(2025, 12, 15), "forecasting 53 weeks ahead exceeds 52", "too far ahead"),
        (dt.date(2026, 3, 2), "forecasting 64 weeks ahead exceeds 52", "too far ahead"),
    ],
)
def test_a_season_out_of_the_historys_reach_is_refused_up_front(
    seeded: tuple[Container, Fakes], start: dt.date, message: str, detail: str
) -> None:
    c, fakes = seeded
    with pytest.raises(SeasonOutOfReachError, match=message) as refused:
        workflows.start_forecast(
            c, "womens_dresses", SeasonRequest(season_start_date=start), caller=TEST_CALLER
        )
    assert refused.value.code == "season_out_of_range"
    assert refused.value.details == [{"field": "parameters.season_start_date", "message": detail}]
    assert nothing_stored(fakes)


def test_an_unknown_category_is_refused_naming_the_known_ones(
    seeded: tuple[Container, Fakes],
) -> None:
    c, fakes = seeded
    with pytest.raises(DomainError) as refused:
        workflows.start_forecast(c, "socks", SeasonRequest(), caller=TEST_CALLER)
    assert type(refused.value) is DomainError and refused.value.code == "domain_error"
    assert refused.value.message == (
        "no sales history for category socks (known: mens_basics, womens_dresses, "
        "womens_outerwear); upload its history first"
    )
    assert refused.value.details == [{"field": "category_id", "message": "no sales history"}]
    assert nothing_stored(fakes)


def test_without_any_history_the_known_categories_are_none(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    with pytest.raises(DomainError) as refused:
        workflows.season_for(c, "socks", SeasonRequest())
    assert "(known: none)" in refused.value.message
    assert nothing_stored(fakes)


def test_under_26_weeks_of_history_is_refused(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    seed_sample_stores(fakes)
    fakes.sales.save_category_history("new", last_weeks("womens_dresses", 25))
    with pytest.raises(InsufficientHistoryError) as refused:
        workflows.start_forecast(c, "new", SeasonRequest(), caller=TEST_CALLER)
    assert refused.value.code == "insufficient_history"
    assert refused.value.message == (
        "category new has 25 weeks of history; a forecast needs at least 26"
    )
    assert refused.value.details == [{"field": "category_id", "message": "not enough history"}]
    assert nothing_stored(fakes)


def test_26_weeks_of_history_is_enough(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    seed_sample_stores(fakes)
    fakes.sales.save_category_history("new", last_weeks("womens_dresses", 26))
    workflow = workflows.start_forecast(c, "new", SeasonRequest(), caller=TEST_CALLER)
    assert parameters_of(fakes, workflow.workflow_id)["season_start_date"] == "2025-03-10"


def test_no_store_attributes_is_refused(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.sales.save_category_history("womens_dresses", sample_weekly_history()["womens_dresses"])
    with pytest.raises(DomainError) as refused:
        workflows.start_forecast(c, "womens_dresses", SeasonRequest(), caller=TEST_CALLER)
    assert refused.value.message == (
        "no store attributes on record; upload the store attributes CSV first"
    )
    assert refused.value.details == [
        {"field": "category_id", "message": "no stores to allocate to"}
    ]
    assert nothing_stored(fakes)


# -- start_reforecast ----------------------------------------------------------------------------


def test_a_reforecast_of_an_unknown_forecast_is_not_found(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    with pytest.raises(NotFoundError, match="forecast nope not found"):
        workflows.start_reforecast(
            c,
            "nope",
            actual_sales=[1],
            forecasted=[1.0],
            remaining_weeks=11,
            variance_pct=0.0,
            caller=TEST_CALLER,
        )
    assert nothing_stored(fakes)


@pytest.mark.parametrize(("observed", "remaining"), [(2, 9), (2, 11), (12, 1)])
def test_a_reforecast_must_cover_the_season(
    fc: tuple[Container, Fakes], observed: int, remaining: int
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)  # 12 weeks
    rows_before = dict(fakes.workflows.rows)
    with pytest.raises(InvalidRequestError) as refused:
        workflows.start_reforecast(
            c,
            forecast.forecast_id,
            actual_sales=[1000] * observed,
            forecasted=[1000.0] * observed,
            remaining_weeks=remaining,
            variance_pct=0.1,
            caller=TEST_CALLER,
        )
    assert refused.value.code == "validation_error"
    assert refused.value.message == (
        f"observed weeks ({observed}) + remaining_weeks ({remaining}) must equal the forecast "
        "horizon (12)"
    )
    assert refused.value.details == [
        {"field": "remaining_weeks", "message": f"expected {12 - observed}"}
    ]
    assert fakes.workflows.rows == rows_before and fakes.state_machine.executions == {}


def test_a_reforecast_stores_its_payload(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    workflow = workflows.start_reforecast(
        c,
        forecast.forecast_id,
        actual_sales=[1200, 1300],
        forecasted=[1000.0, 1000.0],
        remaining_weeks=10,
        variance_pct=0.25,
        caller=TEST_CALLER,
    )
    expected = {
        "workflow_id": workflow.workflow_id,
        "workflow_type": "reforecast",
        "category_id": "womens_dresses",
        "parameters": forecast.parameters.model_dump(mode="json"),
        "forecast_id": forecast.forecast_id,
        "actual_sales_week_1_to_n": [1200, 1300],
        "forecasted_week_1_to_n": [1000.0, 1000.0],
        "remaining_weeks": 10,
        "variance_pct": 0.25,
    }
    assert fakes.state_machine.executions[workflow.workflow_id].input == expected
    assert c.workflows.get(workflow.workflow_id).input == expected
    assert (workflow.workflow_type, workflow.status) == (
        WorkflowType.REFORECAST,
        WorkflowStatus.PENDING,
    )


def test_the_product_computes_the_variance_and_the_plan_of_a_manual_reforecast(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    workflow = workflows.start_reforecast(
        c, forecast.forecast_id, actual_sales=[1200, 1300], remaining_weeks=10, caller=TEST_CALLER
    )
    started = fakes.state_machine.executions[workflow.workflow_id].input
    assert (started["forecasted_week_1_to_n"], started["variance_pct"]) == ([1000.0, 1000.0], 0.25)


def test_a_manual_reforecast_is_measured_against_the_plan_in_effect(
    fc: tuple[Container, Fakes],
) -> None:
    """After a re-forecast at week 2 (in effect), weeks 1-2 of the plan are what was sold and
    weeks 3-4 its curve: the pre-season figures contradict it."""
    c, fakes = fc
    forecast = seed_fake_season(c)
    v2 = forecast.versions[0].model_copy(
        update={
            "version": 2,
            "details": {"observed_weeks": 2},
            "weekly": [
                w.model_copy(update={"forecast": 1100.0}) if w.week > 2 else w
                for w in forecast.weekly
            ],
        }
    )
    c.records.replace(
        FORECAST,
        forecast.forecast_id,
        forecast.model_copy(update={"versions": [*forecast.versions, v2], "revision": 2}),
    )
    actual = [1200, 1300, 1100, 1650]  # the plan in effect: 1,200, 1,300, 1,100, 1,100
    with pytest.raises(workflows.PlanMismatchError) as refused:
        workflows.start_reforecast(
            c,
            forecast.forecast_id,
            actual_sales=actual,
            forecasted=[1000.0] * 4,
            remaining_weeks=8,
            variance_pct=0.3,
            caller=TEST_CALLER,
        )
    assert refused.value.code == "plan_mismatch"
    assert [d["field"] for d in refused.value.details] == [
        "forecasted_week_1_to_n.0",
        "forecasted_week_1_to_n.1",
        "forecasted_week_1_to_n.2",
        "forecasted_week_1_to_n.3",
        "variance_pct",
    ]
    assert refused.value.details[2]["message"] == (
        "week 3: 1000 given, the plan in effect (version 2) has 1100"
    )
    # 5,250 sold vs 4,700 planned: +11.7%; figures within rounding are taken
    workflow = workflows.start_reforecast(
        c,
        forecast.forecast_id,
        actual_sales=actual,
        forecasted=[1200, 1300, 1100.4, 1099.6],
        remaining_weeks=8,
        variance_pct=0.117,
        caller=TEST_CALLER,
    )
    started = fakes.state_machine.executions[workflow.workflow_id].input
    assert started["forecasted_week_1_to_n"] == [1200.0, 1300.0, 1100.0, 1100.0]
    assert started["variance_pct"] == 0.117


def test_a_variance_in_percent_is_refused(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    with pytest.raises(workflows.PlanMismatchError) as refused:
        workflows.start_reforecast(
            c,
            forecast.forecast_id,
            actual_sales=[1200, 1300],
            forecasted=[1000.0, 1000.0],
            remaining_weeks=10,
            variance_pct=25.0,
            caller=TEST_CALLER,
        )
    assert refused.value.details == [
        {
            "field": "variance_pct",
            "message": "25 given; the actuals are 0.25 (+25.0%) against the plan in effect: "
            "variance_pct is a fraction (0.255 = +25.5%)",
        }
    ]
    assert fakes.state_machine.executions == {}


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (WorkflowStatus.RUNNING, "forecast_not_ready"),
        (WorkflowStatus.AWAITING_APPROVAL, "forecast_not_ready"),
        (WorkflowStatus.CANCELLED, "season_cancelled"),
        (WorkflowStatus.FAILED, "season_cancelled"),
    ],
)
def test_a_manual_reforecast_needs_the_approved_order(
    fc: tuple[Container, Fakes], status: WorkflowStatus, code: str
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c, status=status)
    with pytest.raises(ConflictError) as refused:
        manual_reforecast(c, forecast.forecast_id)
    assert refused.value.code == code
    assert fakes.state_machine.executions == {}


def test_a_completed_season_with_a_rejected_order_is_not_in_season(
    fc: tuple[Container, Fakes],
) -> None:
    """By status, not by the calendar: the record says the order was never approved."""
    c, _ = fc
    forecast = seed_fake_season(c)
    allocation = c.records.get(ALLOCATION, forecast.allocation_id or "", AllocationRecord)
    c.records.replace(
        ALLOCATION,
        allocation.allocation_id,
        allocation.model_copy(update={"status": AllocationStatus.REJECTED, "revision": 2}),
    )
    with pytest.raises(ConflictError) as refused:
        manual_reforecast(c, forecast.forecast_id)
    assert refused.value.code == "forecast_not_ready"


def manual_reforecast(c: Container, forecast_id: str) -> Workflow:
    return workflows.start_reforecast(
        c,
        forecast_id,
        actual_sales=[1200, 1300],
        forecasted=[1000.0, 1000.0],
        remaining_weeks=10,
        variance_pct=0.25,
        caller=TEST_CALLER,
    )


@pytest.mark.parametrize(
    "status",
    [WorkflowStatus.PENDING, WorkflowStatus.RUNNING, WorkflowStatus.AWAITING_APPROVAL],
)
def test_a_second_manual_reforecast_waits_for_the_first_to_finish(
    fc: tuple[Container, Fakes], status: WorkflowStatus
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    first = manual_reforecast(c, forecast.forecast_id)
    if status is not WorkflowStatus.PENDING:
        c.workflows.transition(first.workflow_id, WorkflowStatus.RUNNING)
    if status is WorkflowStatus.AWAITING_APPROVAL:
        c.workflows.transition(first.workflow_id, status)
    rows_before = dict(fakes.workflows.rows)
    with pytest.raises(workflows.ReplanInProgressError) as refused:
        manual_reforecast(c, forecast.forecast_id)
    assert refused.value.code == "replan_in_progress"
    assert refused.value.message == (
        f"forecast {forecast.forecast_id} is being re-planned ({first.workflow_id}); wait until "
        "that flow is decided or finished, then re-forecast again"
    )
    assert fakes.workflows.rows == rows_before
    assert list(fakes.state_machine.executions) == [first.workflow_id]
    c.workflows.transition(first.workflow_id, WorkflowStatus.CANCELLED)
    second = manual_reforecast(c, forecast.forecast_id)  # finished: the next one may start
    assert list(fakes.state_machine.executions) == [first.workflow_id, second.workflow_id]


@pytest.mark.parametrize("column", ["reforecast_workflow_id", "markdown_workflow_id"])
def test_a_manual_reforecast_waits_for_a_flow_a_variance_row_started(
    fc: tuple[Container, Fakes], column: str
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    flow = start_running_workflow(c, WorkflowType.REFORECAST, {}, workflow_id="auto-flow")
    c.in_season.save_variance(
        VarianceRecord(
            forecast_id=forecast.forecast_id,
            week=3,
            status=VarianceStatus.EVALUATED,
            variance_threshold=0.2,
            action_taken=VarianceAction.REFORECAST,
            upload_id="u1",
            evaluated_at=NOW,
            **{column: flow.workflow_id},
        )
    )
    with pytest.raises(workflows.ReplanInProgressError, match=r"re-planned \(auto-flow\)"):
        manual_reforecast(c, forecast.forecast_id)
    assert list(fakes.state_machine.executions) == []
    c.workflows.transition(flow.workflow_id, WorkflowStatus.COMPLETED)
    manual_reforecast(c, forecast.forecast_id)


def test_a_claim_whose_start_failed_blocks_nothing(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    rows_before = dict(fakes.workflows.rows)
    fakes.state_machine.reachable = False
    with pytest.raises(UnavailableError):
        manual_reforecast(c, forecast.forecast_id)
    assert fakes.workflows.rows == rows_before  # the failed start left no row behind ...
    fakes.state_machine.reachable = True
    manual_reforecast(c, forecast.forecast_id)  # ... and its claim stops nobody


def test_of_two_claims_on_one_forecast_revision_only_one_starts(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests read the forecast before either claims it (the check sees nothing
    running for either): the revision-conditional claim lets exactly one through."""
    c, fakes = fc
    forecast = seed_fake_season(c)
    stale = c.records.get(FORECAST, forecast.forecast_id, ForecastRecord)
    manual_reforecast(c, forecast.forecast_id)
    read = c.records.get
    monkeypatch.setattr(
        c.records,
        "get",
        lambda kind, record_id, model: stale if kind == FORECAST else read(kind, record_id, model),
    )
    monkeypatch.setattr(workflows, "unfinished_replans", lambda c, forecast: [])
    with pytest.raises(workflows.ReplanInProgressError):
        manual_reforecast(c, forecast.forecast_id)
    assert len(fakes.state_machine.executions) == 1


# -- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [WorkflowStatus.RUNNING, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED],
)
def test_results_are_a_conflict_until_the_workflow_completed(
    fc: tuple[Container, Fakes], status: WorkflowStatus
) -> None:
    c, _ = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    if status is not WorkflowStatus.RUNNING:
        c.workflows.transition(workflow.workflow_id, status)
    with pytest.raises(ConflictError) as early:
        workflows.completed_workflow(c, workflow.workflow_id)
    assert early.value.message == (
        f"Workflow {workflow.workflow_id} is {status}; results exist once it has completed"
    )
    assert early.value.details == [{"field": "status", "message": status.value}]


def test_a_completed_workflow_has_results(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    done = c.workflows.transition(workflow.workflow_id, WorkflowStatus.COMPLETED)
    assert workflows.completed_workflow(c, workflow.workflow_id) == done
    with pytest.raises(NotFoundError):
        workflows.completed_workflow(c, "nope")


def test_events_of_a_workflow(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    with pytest.raises(NotFoundError, match="workflow nope not found"):
        workflows.list_events(c, "nope", 0, 10)
    assert workflows.list_events(c, workflow.workflow_id, 0, 10).events == []
    workflows.reject(c, workflow.workflow_id, None)
    page = workflows.list_events(c, workflow.workflow_id, 0, 10)
    assert page.events == fakes.event_log.events[workflow.workflow_id]
    assert (page.has_more, page.last_sequence) == (False, 1)
    assert workflows.list_events(c, workflow.workflow_id, 1, 10).events == []


# -- approvals: request --------------------------------------------------------------------------


def waiting_for_approval(
    c: Container, fakes: Fakes, *, timeout: int = HOUR, manufacturing_qty: int = 15_000
) -> tuple[str, str]:
    """A forecast workflow waiting for its manufacturing approval (season demand 12,000):
    (workflow id, token)."""
    season = seed_fake_season(c, manufacturing_qty=manufacturing_qty)
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    token = f"token-{workflow.workflow_id}"
    fakes.state_machine.waiting(token)
    workflows.request_approval(
        c,
        workflow.workflow_id,
        ApprovalKind.MANUFACTURING,
        season.allocation_id or "",
        token,
        timeout,
    )
    return workflow.workflow_id, token


def stored_markdown(c: Container, forecast: ForecastRecord) -> MarkdownRecord:
    markdown = MarkdownRecord(
        markdown_id="md-1",
        forecast_id=forecast.forecast_id,
        workflow_id=forecast.workflow_id,
        created_at=NOW,
        checkpoint_week=6,
        sold_to_date=5500.0,
        manufacturing_qty=10_000,
        sell_through=0.55,
        gap=0.05,
        elasticity=2.0,
        recommended_markdown_pct=0.1,
        markdown_pct=0.1,
        expected_lift=0.2,
        reasoning="the gap of 5.0 points x elasticity 2 = 10.0%",
    )
    c.records.put(MARKDOWN, markdown.markdown_id, markdown)
    return markdown


def waiting_for_markdown(c: Container, fakes: Fakes) -> tuple[str, str]:
    """A markdown workflow waiting for its markdown approval: (workflow id, token)."""
    season = seed_fake_season(c, checkpoint=6)
    markdown = stored_markdown(c, season)
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, {})
    token = f"token-{workflow.workflow_id}"
    fakes.state_machine.waiting(token)
    workflows.request_approval(
        c, workflow.workflow_id, ApprovalKind.MARKDOWN, markdown.markdown_id, token, HOUR
    )
    return workflow.workflow_id, token


def only_approval(fakes: Fakes) -> Any:
    (approval,) = fakes.approvals.rows.values()
    return approval


def test_request_approval_stores_the_token_and_asks_the_human(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = seed_fake_season(c, manufacturing_qty=15_000, holdback=6_750)
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    c.connections.add("conn-1", workflow.workflow_id)
    fakes.state_machine.waiting("token-1")
    answer = workflows.request_approval(
        c,
        workflow.workflow_id,
        ApprovalKind.MANUFACTURING,
        season.allocation_id or "",
        "token-1",
        HOUR,
    )
    data = {
        "allocation_id": season.allocation_id,
        "season_demand": 12_000.0,
        "safety_stock_pct": 0.25,
        "manufacturing_qty": 15_000,
        "initial_allocation": 8_250,
        "holdback": 6_750,
    }
    approval = only_approval(fakes)
    assert answer == {"approval_id": approval.approval_id}
    assert (approval.workflow_id, approval.kind, approval.task_token, approval.status) == (
        workflow.workflow_id,
        ApprovalKind.MANUFACTURING,
        "token-1",
        ApprovalStatus.PENDING,
    )
    assert approval.data == data
    assert (approval.created_at, approval.expires_at) == (NOW, NOW + dt.timedelta(hours=1))
    assert approval.decision is None

    stored = c.workflows.get(workflow.workflow_id)
    assert stored.status is WorkflowStatus.AWAITING_APPROVAL
    assert (stored.current_agent, stored.progress_pct) == ("approval", 80)
    assert stored.last_approval_id == approval.approval_id
    assert stored.pending_approval == PendingApproval(
        approval_id=approval.approval_id,
        kind="manufacturing",
        data=data,
        options=["accept", "modify", "reject"],
        expires_at=NOW + dt.timedelta(hours=1),
    )

    (asked,) = fakes.publisher.published(workflow.workflow_id)
    assert isinstance(asked, HumanInputRequired)
    assert (asked.agent, asked.action, asked.approval_id) == (
        "approval",
        "manufacturing_approval",
        approval.approval_id,
    )
    assert asked.message == "Approve the manufacturing order of 15,000 units"
    assert asked.message == workflows.approval_message(ApprovalKind.MANUFACTURING, data)
    assert (asked.data, asked.options, asked.expires_at) == (
        data,
        ["accept", "modify", "reject"],
        NOW + dt.timedelta(hours=1),
    )
    assert fakes.publisher.sent["conn-1"] == [asked]
    assert "token-1" not in json.dumps(asked.model_dump(mode="json"))
    assert "token-1" not in json.dumps(stored.model_dump(mode="json"))


def test_a_markdown_approval_asks_at_70_percent(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_markdown(c, fakes)
    stored = c.workflows.get(workflow_id)
    assert (stored.status, stored.current_agent, stored.progress_pct) == (
        WorkflowStatus.AWAITING_APPROVAL,
        "approval",
        70,
    )
    approval = only_approval(fakes)
    assert (approval.kind, approval.task_token) == (ApprovalKind.MARKDOWN, token)
    assert approval.data == {
        "markdown_id": "md-1",
        "checkpoint_week": 6,
        "sell_through": 0.55,
        "sell_through_to_date": None,
        "units_ordered_approved": 10000,
        "remaining_forecast": 0.0,
        "markdown_threshold_gap": 0.05,
        "recommended_markdown_pct": 0.1,
        "markdown_pct": 0.1,
        "max_markdown_pct": 0.4,
        "expected_lift": 0.2,
        "reasoning": "the gap of 5.0 points x elasticity 2 = 10.0%",
    }
    (asked,) = fakes.publisher.published(workflow_id)
    assert isinstance(asked, HumanInputRequired)
    assert asked.action == "markdown_approval"
    assert asked.message == (
        "Approve a 10% markdown at week 6 (projected season-end sell-through 55%)"
    )


def test_an_extra_order_is_asked_as_such(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(c)
    allocation_id = season.allocation_id or ""
    allocation = c.records.get(ALLOCATION, allocation_id, AllocationRecord)
    c.records.replace(
        ALLOCATION,
        allocation_id,
        allocation.model_copy(
            update={
                "replan": {"week": 4, "ordered_approved_qty": 15_000},
                "extra_order_qty": 2_500,
                "revision": 2,
            }
        ),
    )
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, {})
    workflows.request_approval(
        c, workflow.workflow_id, ApprovalKind.MANUFACTURING, allocation_id, "t", HOUR
    )
    data = only_approval(fakes).data
    # the earlier approved orders count: the total is what will have been ordered
    assert (data["extra_order_qty"], data["manufacturing_qty"]) == (2_500, 17_500)
    (asked,) = fakes.publisher.published(workflow.workflow_id)
    assert isinstance(asked, HumanInputRequired)
    assert asked.message == (
        "Approve an extra order of 2,500 units (15,000 ordered and approved so far, 17,500 in all)"
    )


def test_an_approval_for_a_workflow_no_longer_running_is_closed(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = seed_fake_season(c)
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    cancelled = c.workflows.transition(workflow.workflow_id, WorkflowStatus.CANCELLED)
    with pytest.raises(ConflictError):
        workflows.request_approval(
            c, workflow.workflow_id, ApprovalKind.MANUFACTURING, season.allocation_id or "", "t", 60
        )
    assert only_approval(fakes).status is ApprovalStatus.CANCELLED
    assert c.workflows.get(workflow.workflow_id) == cancelled
    assert event_types(fakes, workflow.workflow_id) == []


# -- approvals: decide ---------------------------------------------------------------------------


def decision_json(action: str, **fields: Any) -> dict[str, Any]:
    return {
        "action": action,
        "safety_stock_pct": None,
        "manufacturing_qty": None,
        "markdown_pct": None,
        "comment": None,
        "decided_at": NOW_JSON,
        "decided_by": TEST_CALLER.name,  # who decided goes along to the execution and is stored
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "sent"),
    [
        ({"action": ApprovalAction.ACCEPT}, decision_json("accept")),
        (
            {"action": ApprovalAction.MODIFY, "safety_stock_pct": 0.3, "comment": "launch"},
            decision_json("modify", safety_stock_pct=0.3, comment="launch"),
        ),
        (
            {"action": ApprovalAction.MODIFY, "manufacturing_qty": 14_000},
            decision_json("modify", manufacturing_qty=14_000),
        ),
        (
            {"action": ApprovalAction.REJECT, "comment": "too much stock"},
            decision_json("reject", comment="too much stock"),
        ),
    ],
    ids=["accept", "modify-safety-stock", "modify-quantity", "reject"],
)
def test_a_decision_is_recorded_once_and_handed_to_the_execution(
    fc: tuple[Container, Fakes], fields: dict[str, Any], sent: dict[str, Any]
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    resumed = workflows.decide(
        c, workflow_id, ApprovalKind.MANUFACTURING, **fields, caller=TEST_CALLER
    )
    assert resumed.status is WorkflowStatus.RUNNING and resumed.pending_approval is None
    assert c.workflows.get(workflow_id) == resumed
    assert fakes.state_machine.task_output == {token: sent}
    assert fakes.state_machine.tokens[token] == "succeeded"
    approval = only_approval(fakes)
    assert approval.status is ApprovalStatus.DECIDED
    assert approval.decision == Decision.model_validate(sent)
    with pytest.raises(ConflictError, match="already decided"):
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )
    assert only_approval(fakes).decision == Decision.model_validate(sent)  # the first one holds


def test_a_markdown_decision_is_handed_to_the_execution(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_markdown(c, fakes)
    workflows.decide(
        c,
        workflow_id,
        ApprovalKind.MARKDOWN,
        action=ApprovalAction.MODIFY,
        markdown_pct=0.15,
        caller=TEST_CALLER,
    )
    assert fakes.state_machine.task_output[token] == decision_json("modify", markdown_pct=0.15)
    assert c.workflows.get(workflow_id).status is WorkflowStatus.RUNNING


def test_a_decision_of_the_wrong_kind_is_a_conflict(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    with pytest.raises(ConflictError) as conflict:
        workflows.decide(
            c, workflow_id, ApprovalKind.MARKDOWN, action=ApprovalAction.ACCEPT, caller=TEST_CALLER
        )
    assert conflict.value.message == (
        f"workflow {workflow_id} is waiting for a manufacturing approval, not markdown"
    )
    assert only_approval(fakes).status is ApprovalStatus.PENDING
    assert fakes.state_machine.task_output == {}


def test_a_decision_without_an_approval_is_a_conflict(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    with pytest.raises(ConflictError, match="has no pending approval"):
        workflows.decide(
            c,
            workflow.workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )
    with pytest.raises(NotFoundError):
        workflows.decide(
            c, "nope", ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT, caller=TEST_CALLER
        )


def test_a_decision_after_a_cancel_is_a_conflict(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    workflows.cancel(c, workflow_id, caller=TEST_CALLER)
    with pytest.raises(ConflictError, match="is already cancelled"):
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )


def test_a_decision_just_before_the_expiry_is_taken(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.clock.advance(HOUR - 1)
    workflows.decide(
        c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT, caller=TEST_CALLER
    )
    assert fakes.state_machine.task_output[token]["action"] == "accept"


@pytest.mark.parametrize("late", [HOUR, HOUR + 1])
def test_an_expired_approval_is_gone_and_marked_expired(
    fc: tuple[Container, Fakes], late: int
) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    waiting = c.workflows.get(workflow_id)
    fakes.clock.advance(late)
    with pytest.raises(GoneError) as gone:
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )
    assert gone.value.code == "approval_expired"
    assert gone.value.message == f"the manufacturing approval of workflow {workflow_id} expired"
    approval = only_approval(fakes)
    assert (approval.status, approval.decision) == (ApprovalStatus.EXPIRED, None)
    assert c.workflows.get(workflow_id) == waiting  # the execution's timeout ends it
    assert fakes.state_machine.task_output == {}
    with pytest.raises(GoneError):  # and stays gone
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )


def test_a_token_expired_at_step_functions_is_gone(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.state_machine.expire(token)
    with pytest.raises(GoneError) as gone:
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )
    assert gone.value.code == "approval_expired"
    assert fakes.state_machine.task_output == {}


def test_a_decision_refused_as_timed_out_is_not_recorded_as_the_decision(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.state_machine.expire(token)  # Step Functions timed out before expires_at passed here
    with pytest.raises(GoneError):
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )
    timed_out = {"Error": "ApprovalTimedOut", "Cause": "No approval decision arrived"}
    workflows.fail(c, workflow_id, timed_out)  # what the execution's timeout path runs next
    assert c.workflows.get(workflow_id).status is WorkflowStatus.FAILED
    approval = only_approval(fakes)
    assert (approval.status, approval.decision) == (ApprovalStatus.EXPIRED, None)


def test_an_undeliverable_decision_is_undone_so_it_can_be_retried(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    waiting = c.workflows.get(workflow_id)
    fakes.state_machine.reachable = False
    with pytest.raises(UnavailableError):
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )
    workflow = c.workflows.get(workflow_id)
    assert workflow.status is WorkflowStatus.AWAITING_APPROVAL
    assert workflow.pending_approval == waiting.pending_approval
    approval = only_approval(fakes)
    assert (approval.status, approval.decision) == (ApprovalStatus.PENDING, None)
    assert fakes.state_machine.tokens[token] == "waiting"

    fakes.state_machine.reachable = True
    workflows.decide(
        c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.MODIFY,
        manufacturing_qty=13_000, caller=TEST_CALLER
    )  # fmt: skip
    assert fakes.state_machine.task_output[token] == decision_json(
        "modify", manufacturing_qty=13_000
    )
    assert only_approval(fakes).status is ApprovalStatus.DECIDED


def test_an_invalid_decision_changes_nothing(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    waiting = c.workflows.get(workflow_id)
    with pytest.raises(workflows.InvalidDecisionError):
        workflows.decide(
            c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.MODIFY,
            safety_stock_pct=0.6, caller=TEST_CALLER
        )  # fmt: skip
    assert c.workflows.get(workflow_id) == waiting
    assert only_approval(fakes).status is ApprovalStatus.PENDING
    assert fakes.state_machine.task_output == {}


# -- the decision's validation -------------------------------------------------------------------

DEMAND = {"season_demand": 64187.67}
M, D = ApprovalKind.MANUFACTURING, ApprovalKind.MARKDOWN


@pytest.mark.parametrize(
    ("kind", "action", "fields", "field", "message"),
    [
        (M, "modify", {"markdown_pct": 0.1}, "markdown_pct", "markdown_pct belongs to markdown"),
        (M, "accept", {"markdown_pct": 0.1}, "markdown_pct", "markdown_pct belongs to markdown"),
        (D, "modify", {"safety_stock_pct": 0.3}, "safety_stock_pct", "belong to manufacturing"),
        (D, "modify", {"manufacturing_qty": 9}, "manufacturing_qty", "belong to manufacturing"),
        (M, "modify", {}, "safety_stock_pct", "modify needs exactly one of"),
        (
            M,
            "modify",
            {"safety_stock_pct": 0.3, "manufacturing_qty": 70000},
            "safety_stock_pct",
            "modify needs exactly one of",
        ),
        (D, "modify", {}, "markdown_pct", "modify needs markdown_pct"),
        (M, "accept", {"safety_stock_pct": 0.3}, "action", "accept takes no override; use modify"),
        (M, "reject", {"manufacturing_qty": 9}, "action", "reject takes no override; use modify"),
        (D, "accept", {"markdown_pct": 0.1}, "action", "accept takes no override; use modify"),
        (D, "reject", {"markdown_pct": 0.1}, "action", "reject takes no override; use modify"),
        (M, "modify", {"safety_stock_pct": 0.09}, "safety_stock_pct", "within 0.10..0.50"),
        (M, "modify", {"safety_stock_pct": 0.51}, "safety_stock_pct", "within 0.10..0.50"),
        (D, "modify", {"markdown_pct": -0.05}, "markdown_pct", "within 0..0.40"),
        (D, "modify", {"markdown_pct": 0.45}, "markdown_pct", "within 0..0.40"),
        (M, "modify", {"manufacturing_qty": 0}, "manufacturing_qty", "must be positive"),
        (M, "modify", {"manufacturing_qty": -5}, "manufacturing_qty", "must be positive"),
        (
            M,
            "modify",
            {"manufacturing_qty": 1_000_000_001},
            "manufacturing_qty",
            "must be at most 1,000,000,000",
        ),
        (
            M,
            "modify",
            {"manufacturing_qty": 64187},
            "manufacturing_qty",
            "below the season demand",
        ),
    ],
)
def test_decisions_that_do_not_fit_the_approval_are_refused(
    kind: ApprovalKind, action: str, fields: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(workflows.InvalidDecisionError) as refused:
        workflows.build_decision(kind, ApprovalAction(action), NOW, approval_data=DEMAND, **fields)
    assert isinstance(refused.value, InvalidRequestError)
    assert refused.value.code == "validation_error"
    assert message in refused.value.message
    assert refused.value.field == field
    assert refused.value.details == [{"field": field, "message": refused.value.message}]


@pytest.mark.parametrize(
    ("kind", "action", "fields"),
    [
        (M, "accept", {}),
        (M, "reject", {"comment": "no"}),
        (D, "accept", {}),
        (D, "reject", {}),
        (M, "modify", {"safety_stock_pct": 0.10}),
        (M, "modify", {"safety_stock_pct": 0.50}),
        (D, "modify", {"markdown_pct": 0.0}),
        (D, "modify", {"markdown_pct": 0.40}),
        (M, "modify", {"manufacturing_qty": 1_000_000_000}),
    ],
)
def test_decisions_within_the_limits_are_built(
    kind: ApprovalKind, action: str, fields: dict[str, Any]
) -> None:
    decision = workflows.build_decision(
        kind, ApprovalAction(action), NOW, approval_data=DEMAND, **fields
    )
    assert decision == Decision(action=ApprovalAction(action), decided_at=NOW, **fields)


def test_an_order_below_the_season_demand_shown_is_refused() -> None:
    """Defect fix: a manufacturing_qty below the approval's season demand (a negative safety
    stock) used to be accepted. The demand is rounded up: 64,187.67 needs at least 64,188."""
    modify, kind = ApprovalAction.MODIFY, ApprovalKind.MANUFACTURING
    with pytest.raises(workflows.InvalidDecisionError) as refused:
        workflows.build_decision(kind, modify, NOW, approval_data=DEMAND, manufacturing_qty=64187)
    assert refused.value.field == "manufacturing_qty"
    assert refused.value.message == (
        "manufacturing_qty 64,187 is below the season demand of 64,188 units; an order must "
        "cover the demand (set a safety stock of 10-50% instead to order less buffer)"
    )
    decision = workflows.build_decision(
        kind, modify, NOW, approval_data=DEMAND, manufacturing_qty=64188
    )
    assert (decision.manufacturing_qty, decision.decided_at) == (64188, NOW)


def test_a_markdown_deeper_than_the_stock_allows_is_refused() -> None:
    modify, kind = ApprovalAction.MODIFY, ApprovalKind.MARKDOWN
    capped = {"max_markdown_pct": 0.15}
    with pytest.raises(workflows.InvalidDecisionError) as refused:
        workflows.build_decision(kind, modify, NOW, approval_data=capped, markdown_pct=0.2)
    assert refused.value.field == "markdown_pct"
    assert "would plan a stock-out" in refused.value.message
    # 16% rounds to 15%, within the cap
    decision = workflows.build_decision(kind, modify, NOW, approval_data=capped, markdown_pct=0.16)
    assert decision.markdown_pct == 0.16


def test_an_order_of_a_whole_season_demand_may_equal_it() -> None:
    decision = workflows.build_decision(
        ApprovalKind.MANUFACTURING,
        ApprovalAction.MODIFY,
        NOW,
        approval_data={"season_demand": 12_000.0},
        manufacturing_qty=12_000,
    )
    assert decision.manufacturing_qty == 12_000


def test_an_order_below_the_season_demand_is_refused_through_decide(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)  # season demand 12,000
    with pytest.raises(workflows.InvalidDecisionError, match="below the season demand of 12,000"):
        workflows.decide(
            c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.MODIFY,
            manufacturing_qty=11_999, caller=TEST_CALLER
        )  # fmt: skip
    assert only_approval(fakes).status is ApprovalStatus.PENDING
    assert c.workflows.get(workflow_id).status is WorkflowStatus.AWAITING_APPROVAL
    workflows.decide(
        c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.MODIFY,
        manufacturing_qty=12_000, caller=TEST_CALLER
    )  # fmt: skip
    assert fakes.state_machine.task_output[token]["manufacturing_qty"] == 12_000


def test_without_a_season_demand_only_the_limits_apply() -> None:
    decision = workflows.build_decision(
        ApprovalKind.MANUFACTURING, ApprovalAction.MODIFY, NOW, manufacturing_qty=1
    )
    assert decision.manufacturing_qty == 1


# -- cancel --------------------------------------------------------------------------------------


def test_cancel_closes_the_approval_fails_its_task_and_stops_the_execution(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.state_machine.start(workflow_id, {})
    cancelled = workflows.cancel(c, workflow_id, caller=TEST_CALLER)
    assert cancelled.status is WorkflowStatus.CANCELLED
    assert (cancelled.error_message, cancelled.pending_approval) == ("cancelled by user", None)
    assert cancelled.completed_at == NOW
    assert c.workflows.get(workflow_id) == cancelled
    assert only_approval(fakes).status is ApprovalStatus.CANCELLED
    assert fakes.state_machine.task_failures[token] == ("WorkflowCancelled", "cancelled by user")
    execution = fakes.state_machine.executions[workflow_id]
    assert (execution.status, execution.stop_cause) == ("ABORTED", "cancelled by user")
    assert event_types(fakes, workflow_id) == ["human_input_required", "workflow_complete"]
    last = fakes.publisher.published(workflow_id)[-1]
    assert isinstance(last, WorkflowComplete)
    assert (last.status, last.message, last.result) == ("cancelled", "cancelled by user", {})


def test_cancel_of_a_running_workflow_stops_its_execution(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = workflows.start_workflow(c, WorkflowType.FORECAST, "c", {}, caller=TEST_CALLER)
    workflows.mark_running(c, workflow.workflow_id)
    workflows.cancel(c, workflow.workflow_id, caller=TEST_CALLER)
    assert c.workflows.get(workflow.workflow_id).status is WorkflowStatus.CANCELLED
    assert fakes.state_machine.executions[workflow.workflow_id].status == "ABORTED"
    assert fakes.state_machine.task_failures == {}
    assert event_types(fakes, workflow.workflow_id) == ["workflow_complete"]


def test_cancel_of_a_pending_workflow(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = workflows.start_workflow(c, WorkflowType.FORECAST, "c", {}, caller=TEST_CALLER)
    assert (
        workflows.cancel(c, workflow.workflow_id, caller=TEST_CALLER).status
        is WorkflowStatus.CANCELLED
    )
    assert fakes.state_machine.executions[workflow.workflow_id].status == "ABORTED"


def test_cancel_after_the_approval_expired_leaves_the_approval_expired(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    c.approvals.close(only_approval(fakes).approval_id, ApprovalStatus.EXPIRED)
    assert workflows.cancel(c, workflow_id, caller=TEST_CALLER).status is WorkflowStatus.CANCELLED
    assert only_approval(fakes).status is ApprovalStatus.EXPIRED
    assert fakes.state_machine.task_failures == {}  # no task of its own to fail
    assert fakes.state_machine.tokens[token] == "waiting"


@pytest.mark.parametrize(
    "status", [WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED]
)
def test_cancel_of_a_finished_workflow_is_a_conflict(
    fc: tuple[Container, Fakes], status: WorkflowStatus
) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    finished = c.workflows.transition(workflow.workflow_id, status)
    with pytest.raises(ConflictError) as conflict:
        workflows.cancel(c, workflow.workflow_id, caller=TEST_CALLER)
    assert conflict.value.message == (
        f"workflow {workflow.workflow_id} has already finished ({status})"
    )
    assert c.workflows.get(workflow.workflow_id) == finished
    assert event_types(fakes, workflow.workflow_id) == []


def test_cancel_holds_when_step_functions_cannot_be_reached(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    fakes.state_machine.start(workflow_id, {})
    fakes.state_machine.reachable = False
    cancelled = workflows.cancel(c, workflow_id, caller=TEST_CALLER)
    assert cancelled.status is WorkflowStatus.CANCELLED
    assert c.workflows.get(workflow_id) == cancelled
    assert only_approval(fakes).status is ApprovalStatus.CANCELLED
    assert event_types(fakes, workflow_id)[-1] == "workflow_complete"
    # neither reached Step Functions: the execution ends at its approval timeout
    assert fakes.state_machine.tokens[token] == "waiting"
    assert fakes.state_machine.executions[workflow_id].status == "RUNNING"
    timed_out = {"Error": "ApprovalTimedOut", "Cause": "No approval decision arrived"}
    assert workflows.fail(c, workflow_id, timed_out) == {
        "workflow_id": workflow_id,
        "status": "cancelled",
    }
    assert c.workflows.get(workflow_id) == cancelled


# -- bookkeeping steps ---------------------------------------------------------------------------


def test_mark_running_starts_the_clock_at_5_percent(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = workflows.start_workflow(c, WorkflowType.FORECAST, "c", {}, caller=TEST_CALLER)
    fakes.clock.advance(2)
    assert workflows.mark_running(c, workflow.workflow_id) == {"workflow_id": workflow.workflow_id}
    running = c.workflows.get(workflow.workflow_id)
    assert (running.status, running.progress_pct, running.current_agent) == (
        WorkflowStatus.RUNNING,
        5,
        None,
    )
    assert running.started_at == NOW + dt.timedelta(seconds=2)
    with pytest.raises(ConflictError):  # only from pending
        workflows.mark_running(c, workflow.workflow_id)


def test_mark_running_of_a_cancelled_workflow_is_a_conflict(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    workflow = workflows.start_workflow(c, WorkflowType.FORECAST, "c", {}, caller=TEST_CALLER)
    workflows.cancel(c, workflow.workflow_id, caller=TEST_CALLER)
    with pytest.raises(ConflictError):
        workflows.mark_running(c, workflow.workflow_id)
    assert c.workflows.get(workflow.workflow_id).status is WorkflowStatus.CANCELLED


def test_complete_summarises_the_stored_records(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(
        c, manufacturing_qty=15_000, holdback=6_750, status=WorkflowStatus.PENDING
    )
    workflow_id = season.workflow_id
    c.connections.add("conn-1", workflow_id)
    workflows.mark_running(c, workflow_id)
    c.workflows.set_fields(
        workflow_id, forecast_id=season.forecast_id, allocation_id=season.allocation_id
    )
    fakes.clock.advance(12.5)
    done = workflows.complete(c, workflow_id)
    output = {
        "total_season_demand": 12000.0,
        "forecast_version": 1,
        "manufacturing_qty": 15000,
        "initial_allocation": 8250,
        "holdback": 6750,
        "safety_stock_pct": 0.25,
        # replenishment none with a holdback: said, not left silent
        "warnings": [
            "replenishment none: 6,750 units at the DC have no shipment planned; only a "
            "re-plan's holdback move to fast stores sends them out"
        ],
        "duration_seconds": 12.5,
    }
    assert done == {"workflow_id": workflow_id, "output": output}
    stored = c.workflows.get(workflow_id)
    assert (stored.status, stored.progress_pct, stored.current_agent) == (
        WorkflowStatus.COMPLETED,
        100,
        None,
    )
    assert stored.output_data == output
    assert stored.completed_at == NOW + dt.timedelta(seconds=12.5)
    last = fakes.publisher.published(workflow_id)[-1]
    assert isinstance(last, WorkflowComplete)
    assert (last.status, last.message, last.duration_seconds, last.result) == (
        "completed",
        "Workflow completed",
        12.5,
        output,
    )
    assert fakes.publisher.sent["conn-1"] == [last]


def test_complete_of_a_markdown_and_an_extra_order(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, checkpoint=6)
    allocation_id = season.allocation_id or ""
    allocation = c.records.get(ALLOCATION, allocation_id, AllocationRecord)
    c.records.replace(
        ALLOCATION,
        allocation_id,
        allocation.model_copy(
            update={"replan": {"week": 6}, "extra_order_qty": 900, "revision": 2}
        ),
    )
    markdown = stored_markdown(c, season)
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, {})
    forecast = c.records.get(FORECAST, season.forecast_id, ForecastRecord)
    lifted = forecast.versions[0].model_copy(
        update={"version": 3, "workflow_id": workflow.workflow_id, "total_demand": 12500.0}
    )
    later = lifted.model_copy(update={"version": 4, "workflow_id": "another", "total_demand": 1.0})
    c.records.replace(
        FORECAST,
        season.forecast_id,
        forecast.model_copy(
            update={"version": 4, "versions": [*forecast.versions, lifted, later], "revision": 2}
        ),
    )
    c.workflows.set_fields(
        workflow.workflow_id,
        forecast_id=season.forecast_id,
        allocation_id=allocation_id,
        markdown_id=markdown.markdown_id,
    )
    output = workflows.complete(c, workflow.workflow_id)["output"]
    assert output == {  # the version this workflow made, not the forecast's latest
        "total_season_demand": 12500.0,
        "forecast_version": 3,
        "manufacturing_qty": 15000,
        "initial_allocation": 15000,
        "holdback": 0,
        "safety_stock_pct": 0.25,
        "extra_order_qty": 900,
        "markdown_pct": 0.1,
        "expected_lift": 0.2,
        "duration_seconds": 0.0,
    }


def test_complete_without_records_reports_the_duration_only(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    fakes.clock.advance(3)
    assert workflows.complete(c, workflow.workflow_id)["output"] == {"duration_seconds": 3.0}


def test_complete_of_a_workflow_not_running_is_a_conflict(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    with pytest.raises(ConflictError):
        workflows.complete(c, workflow_id)
    assert c.workflows.get(workflow_id).status is WorkflowStatus.AWAITING_APPROVAL
    assert event_types(fakes, workflow_id) == ["human_input_required"]


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("too much stock", "rejected by the approver: too much stock"),
        (None, "rejected by the approver"),
        ("", "rejected by the approver"),
    ],
)
def test_reject_cancels_with_the_comment(
    fc: tuple[Container, Fakes], comment: str | None, reason: str
) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    workflows.decide(
        c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.REJECT, caller=TEST_CALLER
    )
    assert workflows.reject(c, workflow_id, comment) == {"workflow_id": workflow_id}
    stored = c.workflows.get(workflow_id)
    assert stored.status is WorkflowStatus.CANCELLED
    assert (stored.error_message, stored.pending_approval, stored.current_agent) == (
        reason,
        None,
        None,
    )
    assert event_types(fakes, workflow_id) == ["human_input_required", "workflow_complete"]
    last = fakes.publisher.published(workflow_id)[-1]
    assert isinstance(last, WorkflowComplete)
    assert (last.status, last.message) == ("cancelled", reason)


def test_fail_records_a_readable_error_once(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    c.workflows.update_progress(workflow.workflow_id, current_agent="demand", progress_pct=10)
    cause = json.dumps({"errorType": "DomainError", "errorMessage": "no sales history"})
    result = workflows.fail(c, workflow.workflow_id, {"Error": "DomainError", "Cause": cause})
    message = "demand agent failed: no sales history (DomainError)"
    assert result == {
        "workflow_id": workflow.workflow_id,
        "status": "failed",
        "error_message": message,
    }
    stored = c.workflows.get(workflow.workflow_id)
    assert (stored.status, stored.error_message) == (WorkflowStatus.FAILED, message)
    (error,) = fakes.publisher.published(workflow.workflow_id)
    assert isinstance(error, ErrorEvent)
    assert (error.agent, error.error_message) == ("demand", message)
    again = workflows.fail(c, workflow.workflow_id, {"Error": "X"})
    assert again == {"workflow_id": workflow.workflow_id, "status": "failed"}
    assert c.workflows.get(workflow.workflow_id).error_message == message
    assert event_types(fakes, workflow.workflow_id) == ["error"]


def test_fail_while_awaiting_approval_clears_the_pending_approval(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    workflows.fail(c, workflow_id, {"Error": "Lambda.Unknown", "Cause": "crashed"})
    stored = c.workflows.get(workflow_id)
    assert (stored.status, stored.pending_approval) == (WorkflowStatus.FAILED, None)
    assert stored.error_message == "approval agent failed: crashed (Lambda.Unknown)"


def test_fail_leaves_a_finished_workflow_alone(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    cancelled = workflows.cancel(c, workflow.workflow_id, caller=TEST_CALLER)
    result = workflows.fail(c, workflow.workflow_id, {"Error": "States.TaskFailed"})
    assert result == {"workflow_id": workflow.workflow_id, "status": "cancelled"}
    assert c.workflows.get(workflow.workflow_id) == cancelled
    assert event_types(fakes, workflow.workflow_id) == ["workflow_complete"]


def test_an_approval_timeout_fails_the_workflow_and_expires_the_approval(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    error = {"Error": "ApprovalTimedOut", "Cause": "No approval decision arrived within 3600 s"}
    result = workflows.fail(c, workflow_id, error)
    assert result["error_message"] == "No approval decision arrived within 3600 s"
    stored = c.workflows.get(workflow_id)
    assert (stored.status, stored.pending_approval) == (WorkflowStatus.FAILED, None)
    assert stored.error_message == "No approval decision arrived within 3600 s"
    assert only_approval(fakes).status is ApprovalStatus.EXPIRED
    (_, error_event) = fakes.publisher.published(workflow_id)
    assert isinstance(error_event, ErrorEvent)
    assert (error_event.agent, error_event.error_message) == (
        "approval",
        "No approval decision arrived within 3600 s",
    )


def test_an_approval_timeout_leaves_a_decided_approval_decided(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    workflows.decide(
        c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT, caller=TEST_CALLER
    )
    workflows.fail(c, workflow_id, {"Error": "ApprovalTimedOut", "Cause": "late"})
    assert only_approval(fakes).status is ApprovalStatus.DECIDED


def test_only_an_approval_timeout_expires_the_approval(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    workflows.fail(c, workflow_id, {"Error": "States.Timeout"})
    assert only_approval(fakes).status is ApprovalStatus.PENDING


LONG = "x" * 2000


@pytest.mark.parametrize(
    ("error", "agent", "message"),
    [
        (None, None, "workflow failed: Error (Error)"),
        ({}, "demand", "demand agent failed: Error (Error)"),
        ({"Error": ""}, None, "workflow failed: Error (Error)"),
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
        (
            {
                "Error": "States.TaskFailed",
                "Cause": json.dumps(
                    {
                        "errorType": "InsufficientHistoryError",
                        "errorMessage": "category x has 3 weeks of history",
                        "stackTrace": ["..."],
                    }
                ),
            },
            "demand",
            "demand agent failed: category x has 3 weeks of history (InsufficientHistoryError)",
        ),
        (
            {"Error": "Sandbox.Timedout", "Cause": '{"errorMessage": "Task timed out"}'},
            "inventory",
            "inventory agent failed: Task timed out (Sandbox.Timedout)",
        ),
        (
            {"Error": "E", "Cause": '{"errorType": "Boom"}'},
            None,
            'workflow failed: {"errorType": "Boom"} (Boom)',
        ),
        (
            {"Error": "ApprovalTimedOut", "Cause": "No approval decision arrived within 60 s"},
            "approval",
            "No approval decision arrived within 60 s",
        ),
        (
            {"Error": "E", "Cause": LONG},
            None,
            ("workflow failed: " + LONG)[:1000],
        ),
    ],
)
def test_readable_errors(error: dict[str, Any] | None, agent: str | None, message: str) -> None:
    assert workflows.readable_error(error, agent) == message
    assert len(workflows.readable_error(error, agent)) <= 1000


def test_a_timed_out_approval_without_a_cause_still_reads() -> None:
    assert workflows.readable_error({"Error": "ApprovalTimedOut"}, "approval") == (
        "no approval decision arrived in time"
    )


# -- a decision and a cancel at the same instant --------------------------------------------------


def test_a_decision_that_loses_to_a_cancel_never_counts(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cancel's status change lands between the decision's record and its resume."""
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    record_decision = c.approvals.decide

    def decide_then_cancel(approval_id: str, decision: Any) -> Any:
        decided = record_decision(approval_id, decision)
        workflows.cancel(c, workflow_id, caller=TEST_CALLER)
        return decided

    monkeypatch.setattr(c.approvals, "decide", decide_then_cancel)
    with pytest.raises(ConflictError):
        workflows.decide(
            c,
            workflow_id,
            ApprovalKind.MANUFACTURING,
            action=ApprovalAction.ACCEPT,
            caller=TEST_CALLER,
        )
    assert only_approval(fakes).status is ApprovalStatus.CANCELLED
    assert only_approval(fakes).decision is None
    assert c.workflows.get(workflow_id).status is WorkflowStatus.CANCELLED
    assert fakes.state_machine.task_failures[token] == ("WorkflowCancelled", "cancelled by user")
    assert fakes.state_machine.task_output == {}  # the decision never reached the execution
