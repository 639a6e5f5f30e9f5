"""StateMachine (Step Functions, execution off on moto) and SalesStore (the data bucket)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.domain.history import WeeklySales
from fashion_forecast.models.sales import WeeklyUploadKey
from fashion_forecast.ports import ConflictError, GoneError, NotFoundError
from tests.contract.conftest import StateMachineUnderTest

# -- state machine -----------------------------------------------------------------------------


def test_executions_are_named_and_started_once(state_machines: StateMachineUnderTest) -> None:
    machine = state_machines.machine
    arn = machine.start("wf-1", {"workflow_id": "wf-1", "workflow_type": "forecast"})
    assert arn == machine.execution_arn("wf-1")
    assert arn.endswith(":execution:" + arn.split(":execution:")[1])
    with pytest.raises(ConflictError):
        machine.start("wf-1", {})
    machine.stop(arn, cause="cancelled by user")
    machine.stop(arn, cause="again")  # already stopped: not an error
    machine.stop(machine.execution_arn("never-started"), cause="x")
    machine.check()


def test_an_unknown_task_token_is_gone(state_machines: StateMachineUnderTest, kind: str) -> None:
    if kind == "aws":
        pytest.skip(
            "moto accepts any token where AWS answers InvalidToken; the timed-out token's 410 "
            "runs on moto in tests/integration/test_workflow_timeout.py"
        )
    machine = state_machines.machine
    with pytest.raises(GoneError) as gone:
        machine.send_task_success("no-such-token", {"action": "accept"})
    assert gone.value.code == "approval_expired"
    machine.send_task_failure("no-such-token", error="WorkflowCancelled", cause="x")


def test_check_fails_once_the_state_machine_is_gone(state_machines: StateMachineUnderTest) -> None:
    state_machines.remove()
    with pytest.raises(NotFoundError):
        state_machines.machine.check()


# -- sales store -------------------------------------------------------------------------------


def rows(category: str, weeks: int, stores: tuple[str, ...] = ("S001", "S002")) -> list[Any]:
    first = dt.date(2025, 1, 6)
    return [
        WeeklySales(first + dt.timedelta(weeks=w), s, category, 10.0 + w, 100.5 if w else None)
        for w in range(weeks)
        for s in stores
    ]


def test_history_round_trips_per_category(sales: Any) -> None:
    assert sales.categories() == []
    with pytest.raises(NotFoundError):
        sales.category_history("womens_dresses")
    with pytest.raises(NotFoundError):
        sales.category_summary("womens_dresses")
    dresses, basics = rows("womens_dresses", 3), rows("mens_basics", 2, ("S009",))
    sales.save_category_history("womens_dresses", dresses)
    sales.save_category_history("mens_basics", basics)
    assert sales.categories() == ["mens_basics", "womens_dresses"]
    assert sales.category_history("womens_dresses") == dresses
    assert sales.all_history() == basics + dresses
    summary = sales.category_summary("womens_dresses")
    assert (summary.rows, summary.stores, summary.weeks) == (6, 2, 3)
    assert (summary.first_week, summary.last_week) == (dt.date(2025, 1, 6), dt.date(2025, 1, 20))


def test_the_store_list_and_uploaded_files(sales: Any) -> None:
    assert sales.store_attributes() == []
    sales.save_store_attributes("store_id,store_name,region\nS001,One,West\nS002,Two,East\n")
    assert sales.store_attributes() == [
        {"store_id": "S001", "store_name": "One", "region": "West"},
        {"store_id": "S002", "store_name": "Two", "region": "East"},
    ]
    assert sales.save_raw_upload("history", "u-1", b"raw") == "uploads/history/u-1.csv"
    key = WeeklyUploadKey("f-1", 3, "20250310T090000000000-aaaaaaaa")
    etag = sales.put_weekly_upload(key, b"store_id,week_number,units_sold\nS001,3,4\n")
    assert etag
    assert sales.read_upload(key.key) == b"store_id,week_number,units_sold\nS001,3,4\n"
    assert key.key in sales.weekly_upload_url(key, 900)
    with pytest.raises(NotFoundError):
        sales.read_upload("uploads/weekly/f-1/week-03/missing.csv")
