"""What the real workflows publish to their event log: the state machine on moto, the Lambdas
in-process (one live stack for the module, so no function-scoped moto may share it)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from fashion_forecast.app.workflows import start_workflow
from fashion_forecast.models.events import ErrorEvent, WorkflowComplete
from fashion_forecast.models.workflows import WorkflowType
from tests.auth import TEST_CALLER
from tests.integration.flows import SCENARIOS, Live, live_stack

# -- what the real workflows publish (state machine on moto, Lambdas in-process) -------------------


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


def _types(live: Live, workflow_id: str) -> list[str]:
    return [e.type.value for e in live.container.event_log.after(workflow_id, limit=1000).events]


def _wait_for_event(live: Live, workflow_id: str, event_type: str, timeout: float = 15) -> None:
    """A step appends its event just after it changes the workflow's status."""
    deadline = time.monotonic() + timeout
    while event_type not in _types(live, workflow_id):
        assert time.monotonic() < deadline, f"no {event_type} event for {workflow_id}"
        time.sleep(0.05)


def test_a_failing_agent_ends_the_stream_with_error(live: Live) -> None:
    workflow_id = start_workflow(
        live.container,
        WorkflowType.FORECAST,
        "unknown_category",  # past the API's up-front check, to fail in the Demand agent
        {"parameters": SCENARIOS["zara"]},
        caller=TEST_CALLER,
    ).workflow_id
    failed = live.wait(workflow_id, "failed")
    _wait_for_event(live, workflow_id, "error")
    events = live.container.event_log.after(workflow_id).events
    assert [e.type.value for e in events] == ["agent_started", "agent_progress", "error"]
    error = events[-1]
    assert isinstance(error, ErrorEvent)
    assert (error.agent, error.error_message) == ("demand", failed.error_message)


def test_zara_streams_then_reject_and_cancel_end_it_as_cancelled(live: Live) -> None:
    rejected = live.start_forecast("zara")
    live.wait(rejected, "awaiting_approval")
    _wait_for_event(live, rejected, "human_input_required")
    assert _types(live, rejected) == [
        "agent_started", "agent_progress", "agent_progress", "agent_progress", "agent_completed",
        "agent_started", "agent_progress", "agent_progress", "agent_completed",
        "human_input_required",
    ]  # fmt: skip
    live.approve(rejected, action="reject", comment="too much")
    live.wait(rejected, "cancelled")
    _wait_for_event(live, rejected, "workflow_complete")
    last = live.container.event_log.after(rejected, since=10).events
    assert len(last) == 1 and isinstance(last[0], WorkflowComplete)
    assert (last[0].sequence, last[0].status) == (11, "cancelled")
    assert last[0].message == "rejected by the approver: too much"

    cancelled = live.start_forecast("zara")
    live.wait(cancelled, "awaiting_approval")
    _wait_for_event(live, cancelled, "human_input_required")
    assert live.api.post(f"/api/workflows/{cancelled}/cancel").status_code == 200
    live.wait_execution(cancelled)
    end = live.container.event_log.after(cancelled, since=10).events
    assert [(e.type.value, getattr(e, "status", None)) for e in end] == [
        ("workflow_complete", "cancelled")
    ]  # the execution's MarkFailed after the cancel adds no error event
