"""statemachine/workflow.asl.json, read as template.yaml substitutes it: one Retry policy for
every Lambda task, every task caught into MarkFailed, and no state left unreachable."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fashion_forecast_local.template import Template

# The one retry policy of every Lambda task (approvals excepted: a human does not fail
# transiently). Changing it means changing this line and every task in the ASL alike.
RETRY_POLICY = [
    {
        "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
            "UnavailableError",
            "ConflictError",
        ],
        "IntervalSeconds": 2,
        "MaxAttempts": 3,
        "BackoffRate": 2,
    }
]
CATCH_ALL = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MarkFailed"}


@pytest.fixture(scope="module")
def states() -> dict[str, dict[str, Any]]:
    template = Template.load()
    definition = json.loads(template.state_machine_definition("WorkflowStateMachine"))
    return dict(definition["States"])


def tasks(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in states.items() if s["Type"] == "Task"}


def is_approval(state: dict[str, Any]) -> bool:
    return str(state["Resource"]).endswith(".waitForTaskToken")


def test_every_lambda_task_retries_with_the_one_policy(states: dict[str, dict[str, Any]]) -> None:
    lambda_tasks = {
        n: s for n, s in tasks(states).items() if not is_approval(s) and n != "MarkFailed"
    }
    assert len(lambda_tasks) >= 10
    drifted = {n: s.get("Retry") for n, s in lambda_tasks.items() if s.get("Retry") != RETRY_POLICY}
    assert drifted == {}


def test_the_failure_step_retries_anything_on_the_same_schedule(
    states: dict[str, dict[str, Any]],
) -> None:
    # MarkFailed has no Catch to fall back on: it retries every error, on the same schedule.
    (policy,) = states["MarkFailed"]["Retry"]
    assert policy == {**RETRY_POLICY[0], "ErrorEquals": ["States.ALL"]}


def test_approvals_do_not_retry_and_catch_their_timeout(states: dict[str, dict[str, Any]]) -> None:
    approvals = {n: s for n, s in tasks(states).items() if is_approval(s)}
    assert set(approvals) == {"ManufacturingApproval", "MarkdownApproval", "Clarification"}
    for state in approvals.values():
        assert "Retry" not in state
        assert state["TimeoutSeconds"] == 172800  # ApprovalTimeoutSeconds' default
        assert state["Catch"][0]["ErrorEquals"] == ["States.Timeout"]
        assert state["Catch"][0]["Next"] == "ApprovalTimedOut"


def test_every_task_but_the_failure_step_is_caught_into_mark_failed(
    states: dict[str, dict[str, Any]],
) -> None:
    for name, state in tasks(states).items():
        if name == "MarkFailed":
            assert "Catch" not in state  # nowhere left to go: the execution fails
            continue
        assert state["Catch"][-1] == CATCH_ALL, name


def test_every_state_is_reachable_and_every_transition_lands(
    states: dict[str, dict[str, Any]],
) -> None:
    targets: set[str] = set()
    for state in states.values():
        targets.update(t for t in (state.get("Next"), state.get("Default")) if t)
        targets.update(choice["Next"] for choice in state.get("Choices", []))
        targets.update(catch["Next"] for catch in state.get("Catch", []))
    assert targets <= set(states)
    definition = json.loads(Template.load().state_machine_definition("WorkflowStateMachine"))
    assert set(states) - targets == {definition["StartAt"]}
