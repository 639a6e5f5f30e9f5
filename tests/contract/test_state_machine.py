"""StateMachine: executions named after their workflow, stopped without fuss, task tokens that
are no longer waited on, and the readiness check.

The aws side runs on moto's Step Functions with execution off (tests/conftest.py's
`state_machine`): executions are created and stay RUNNING until stopped. The task-token tests
use moto's executing backend instead (conftest.task_tokens), the one that checks tokens as AWS
does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.ports import ConflictError, GoneError, NotFoundError, UnavailableError
from tests.contract.conftest import Machine

PAYLOAD = {
    "workflow_id": "wf-1",
    "workflow_type": "forecast",
    "category_id": "womens_dresses",
    "parameters": {"season_start_date": dt.date(2025, 3, 3), "forecast_horizon_weeks": 12},
}
AS_JSON = {  # what the execution receives (a date becomes its ISO text)
    **PAYLOAD,
    "parameters": {"season_start_date": "2025-03-03", "forecast_horizon_weeks": 12},
}


def test_an_execution_is_named_after_its_workflow(state_machines: Machine) -> None:
    machine = state_machines.machine
    prefix, machine_name = state_machines.arn.split(":stateMachine:")
    expected = f"{prefix}:execution:{machine_name}:wf-1"
    assert machine.execution_arn("wf-1") == expected
    assert machine.start("wf-1", PAYLOAD) == expected


def test_an_execution_starts_running_with_the_payload_as_json(state_machines: Machine) -> None:
    state_machines.machine.start("wf-1", PAYLOAD)
    state_machines.machine.start("wf-2", {})
    assert state_machines.execution("wf-1") == ("RUNNING", AS_JSON)
    assert state_machines.execution("wf-2") == ("RUNNING", {})


def test_starting_a_name_again_with_other_input_is_a_conflict(state_machines: Machine) -> None:
    machine = state_machines.machine
    machine.start("wf-1", PAYLOAD)
    with pytest.raises(ConflictError):
        machine.start("wf-1", {**PAYLOAD, "category_id": "mens_basics"})
    assert state_machines.execution("wf-1") == ("RUNNING", AS_JSON)


def test_starting_a_running_execution_again_with_the_same_input_returns_it(
    state_machines: Machine,
) -> None:
    """StartExecution is idempotent while the execution with that name and input runs (AWS
    documents it; moto does it too); the adapter says "idempotent per name"."""
    machine = state_machines.machine
    arn = machine.start("wf-1", PAYLOAD)
    assert machine.start("wf-1", PAYLOAD) == arn
    assert state_machines.execution("wf-1") == ("RUNNING", AS_JSON)


def test_a_finished_execution_is_not_started_again(state_machines: Machine) -> None:
    machine = state_machines.machine
    arn = machine.start("wf-1", PAYLOAD)
    machine.stop(arn, cause="cancelled by user")
    with pytest.raises(ConflictError):
        machine.start("wf-1", PAYLOAD)
    assert state_machines.execution("wf-1") == ("ABORTED", AS_JSON)


def test_stop_aborts_a_running_execution(state_machines: Machine) -> None:
    machine = state_machines.machine
    arn = machine.start("wf-1", PAYLOAD)
    machine.start("wf-2", {})
    machine.stop(arn, cause="cancelled by user")
    assert state_machines.execution("wf-1")[0] == "ABORTED"
    assert state_machines.execution("wf-2")[0] == "RUNNING"


def test_stopping_a_stopped_or_unknown_execution_is_not_an_error(state_machines: Machine) -> None:
    machine = state_machines.machine
    arn = machine.start("wf-1", PAYLOAD)
    machine.stop(arn, cause="cancelled by user")
    machine.stop(arn, cause="again")
    assert state_machines.execution("wf-1")[0] == "ABORTED"
    machine.stop(machine.execution_arn("never-started"), cause="cancelled by user")


def test_check_passes_while_the_state_machine_exists(state_machines: Machine) -> None:
    assert state_machines.machine.check() is None


def test_once_the_state_machine_is_gone_check_fails_and_nothing_starts(
    state_machines: Machine,
) -> None:
    state_machines.remove()
    with pytest.raises(NotFoundError):
        state_machines.machine.check()
    with pytest.raises(UnavailableError):
        state_machines.machine.start("wf-1", PAYLOAD)


def test_success_for_a_token_no_task_waits_on_is_gone(task_tokens: Any) -> None:
    with pytest.raises(GoneError) as gone:
        task_tokens.send_task_success("no-such-token", {"action": "accept"})
    assert gone.value.code == "approval_expired"


def test_failure_for_a_token_no_task_waits_on_is_not_an_error(task_tokens: Any) -> None:
    assert (
        task_tokens.send_task_failure("no-such-token", error="WorkflowCancelled", cause="x") is None
    )
