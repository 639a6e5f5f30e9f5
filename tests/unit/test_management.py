"""Workflow management pieces that need no AWS: the health build, the caller from API
Gateway's request context, step history parsing, the local runtime's commit."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

from fastapi.testclient import TestClient

from fashion_forecast.api.app import create_app
from fashion_forecast.app.steps import parse_history
from fashion_forecast.models.workflows import WorkflowStatus
from fashion_forecast_local.runtime import git_commit
from tests.fakes import START, fake_container

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_health_carries_version_commit_and_time() -> None:
    c, _ = fake_container(BUILD_COMMIT=COMMIT)
    with TestClient(create_app(c)) as client:
        body = client.get("/api/health").json()
    assert body == {
        "status": "ok",
        "checks": {},
        "version": "0.1.0",
        "commit": COMMIT,
        "timestamp": START.isoformat().replace("+00:00", "Z"),
    }


def test_an_empty_commit_reads_as_none() -> None:
    c, _ = fake_container(BUILD_COMMIT="")
    assert c.settings.build_commit is None


def test_the_local_runtime_reads_the_checkout_commit() -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert git_commit() == head.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", git_commit())


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def test_a_retried_task_that_then_succeeds_is_succeeded_with_its_attempts() -> None:
    failure = {"error": "UnavailableError", "cause": "throttled"}
    history = [
        {"type": "TaskStateEntered", "timestamp": at(0), "stateEnteredEventDetails": {"name": "A"}},
        {"type": "TaskScheduled", "timestamp": at(0)},
        {"type": "TaskFailed", "timestamp": at(1), "taskFailedEventDetails": failure},
        {"type": "TaskScheduled", "timestamp": at(2)},
        {"type": "TaskSucceeded", "timestamp": at(3)},
        {"type": "TaskStateExited", "timestamp": at(3), "stateExitedEventDetails": {"name": "A"}},
        {"type": "TaskStateEntered", "timestamp": at(4), "stateEnteredEventDetails": {"name": "B"}},
        {"type": "TaskScheduled", "timestamp": at(4)},
        {"type": "TaskFailed", "timestamp": at(5), "taskFailedEventDetails": failure},
        {"type": "ExecutionFailed", "timestamp": at(5), "executionFailedEventDetails": failure},
    ]
    a, b = (s.view(WorkflowStatus.FAILED) for s in parse_history(history))
    assert (a["outcome"], a["attempts"], a["duration_seconds"]) == ("succeeded", 2, 3.0)
    assert a["error"] == failure  # the last error seen, though the retry succeeded
    assert (b["outcome"], b["attempts"], b["exited_at"]) == ("failed", 1, None)


def test_an_unfinished_step_reads_as_the_workflow_stands() -> None:
    history = [
        {"type": "TaskStateEntered", "timestamp": at(0), "stateEnteredEventDetails": {"name": "A"}}
    ]
    (step,) = parse_history(history)
    assert step.view(WorkflowStatus.RUNNING)["outcome"] == "running"
    assert step.view(WorkflowStatus.CANCELLED)["outcome"] == "cancelled"
