"""A workflow's step history: every state its executions entered and left, read from the
execution history (GetExecutionHistory), each step joined with the progress events the
workflow's event log recorded while it ran. A retried workflow has one execution per attempt
(app.workflows.execution_name): the steps of every attempt are listed in order, each with its
attempt number; an attempt whose execution is gone (the local runtime restarted) lists none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fashion_forecast.app.workflows import execution_name
from fashion_forecast.models.workflows import WorkflowStatus
from fashion_forecast.ports import Container, NotFoundError

_FAILURES = ("Failed", "TimedOut")  # event type suffixes that carry an error


@dataclass
class Step:
    name: str
    state_type: str
    entered_at: dt.datetime
    exited_at: dt.datetime | None = None
    attempts: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    failed: bool = False  # the last attempt failed
    events: list[dict[str, Any]] = field(default_factory=list)
    attempt: int = 0
    final: bool = True  # a step of the latest attempt (an earlier one's unfinished step failed)

    def outcome(self, execution_status: WorkflowStatus) -> str:
        if self.failed:
            return "failed"
        if self.exited_at is not None:
            return "succeeded"
        if not self.final:
            return "failed"
        if execution_status is WorkflowStatus.CANCELLED:
            return "cancelled"
        if execution_status is WorkflowStatus.FAILED:
            return "failed"
        return "running"

    def view(self, execution_status: WorkflowStatus) -> dict[str, Any]:
        duration = (
            round((self.exited_at - self.entered_at).total_seconds(), 3) if self.exited_at else None
        )
        last_error = self.errors[-1] if self.errors else None
        return {
            "name": self.name,
            "type": self.state_type,
            "entered_at": self.entered_at,
            "exited_at": self.exited_at,
            "duration_seconds": duration,
            "outcome": self.outcome(execution_status),
            "attempt": self.attempt,
            "attempts": self.attempts,
            "error": last_error,
            "events": self.events,
        }


def _error(event: dict[str, Any]) -> dict[str, Any] | None:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict) and "error" in value:
            return {"error": value.get("error"), "cause": value.get("cause")}
    return None


def parse_history(history: list[dict[str, Any]]) -> list[Step]:
    """The steps of an execution history, in the order they were entered."""
    steps: list[Step] = []
    open_steps: list[Step] = []
    for event in history:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            step = Step(
                name=event["stateEnteredEventDetails"]["name"],
                state_type=kind.removesuffix("StateEntered"),
                entered_at=event["timestamp"],
            )
            steps.append(step)
            open_steps.append(step)
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            for step in reversed(open_steps):
                if step.name == name:
                    step.exited_at = event["timestamp"]
                    open_steps.remove(step)
                    break
        elif open_steps and kind.endswith("Scheduled"):
            open_steps[-1].attempts += 1
            open_steps[-1].failed = False
        elif open_steps and kind.endswith(_FAILURES) and not kind.startswith("Execution"):
            error = _error(event)
            if error is not None:
                open_steps[-1].errors.append(error)
                open_steps[-1].failed = True
    for step in steps:  # a failure retried by a later attempt that succeeded is not the outcome
        if step.failed and step.exited_at is not None and step.attempts > len(step.errors):
            step.failed = False
    return steps


def workflow_steps(c: Container, workflow_id: str) -> list[dict[str, Any]]:
    """Every step of the workflow's execution with start, end, duration, outcome, attempts, the
    last error, and the progress events logged while it ran (NotFoundError for an unknown
    workflow)."""
    workflow = c.workflows.get(workflow_id)
    steps: list[Step] = []
    for attempt in range(workflow.retry_count + 1):
        arn = c.state_machine.execution_arn(execution_name(workflow_id, attempt))
        if attempt == workflow.retry_count and workflow.execution_arn:
            arn = workflow.execution_arn
        try:
            history = c.state_machine.history(arn)
        except NotFoundError:
            if attempt == workflow.retry_count:
                raise
            continue
        for step in parse_history(history):
            step.attempt, step.final = attempt, attempt == workflow.retry_count
            steps.append(step)
    events = []
    since = 0
    while True:
        page = c.event_log.after(workflow_id, since, 1000)
        events.extend(page.events)
        if not page.has_more or page.last_sequence is None:
            break
        since = page.last_sequence
    # each event goes to the last step entered at or before it (the one running then)
    for event in events:
        owner = None
        for step in steps:
            if event.timestamp is not None and step.entered_at <= event.timestamp:
                owner = step
        if owner is not None:
            owner.events.append(
                {"sequence": event.sequence, "type": event.type, "message": _message(event)}
            )
    return [step.view(workflow.status) for step in steps]


def _message(event: Any) -> str | None:
    return getattr(event, "message", None) or getattr(event, "error_message", None)
