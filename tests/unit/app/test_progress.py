"""app.progress on the fakes: agent_step around a step (agent_started, agent_completed with its
duration and result) and report_progress (the row, then agent_progress). Publishing never
fails a step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fashion_forecast.app import progress
from fashion_forecast.models.events import AgentCompleted, AgentProgress, AgentStarted
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import ConflictError, Container
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import event_types, start_running_workflow


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def stopwatch(monkeypatch: pytest.MonkeyPatch, fakes: Fakes, *readings: float) -> None:
    """The container clock's monotonic time as agent_step reads it: these readings, in order."""
    values = iter(readings)
    monkeypatch.setattr(fakes.clock, "monotonic", lambda: next(values))


def running(c: Container) -> str:
    return start_running_workflow(c, WorkflowType.FORECAST, {}).workflow_id


# -- agent_step ----------------------------------------------------------------------------------


def test_a_step_publishes_started_then_completed_with_duration_and_result(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    workflow_id = running(c)
    stopwatch(monkeypatch, fakes, 100.0, 101.8437)

    @progress.agent_step("demand", "forecasting season demand")
    def step(container: Container, wid: str) -> dict[str, Any]:
        return {"forecast_id": "f-1", "total_demand": 12000.0}

    assert step(c, workflow_id) == {"forecast_id": "f-1", "total_demand": 12000.0}
    started, completed = fakes.publisher.published(workflow_id)
    assert isinstance(started, AgentStarted)
    assert (started.sequence, started.agent, started.message) == (
        1,
        "demand",
        "Demand agent: forecasting season demand",
    )
    assert isinstance(completed, AgentCompleted)
    assert (completed.sequence, completed.agent) == (2, "demand")
    assert completed.duration_seconds == 1.844
    assert completed.message == "Demand agent finished in 1.84 s"
    assert completed.result == {"forecast_id": "f-1", "total_demand": 12000.0}


def test_the_step_gets_its_arguments_and_keeps_its_name(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    workflow_id = running(c)
    stopwatch(monkeypatch, fakes, 5.0, 7.5)
    seen: list[tuple[Container, str, int, str]] = []

    @progress.agent_step("inventory", "sizing the order")
    def size_order(container: Container, wid: str, qty: int, *, note: str) -> dict[str, Any]:
        """Sizes the order."""
        seen.append((container, wid, qty, note))
        return {"qty": qty}

    assert size_order(c, workflow_id, 9600, note="n") == {"qty": 9600}
    assert seen == [(c, workflow_id, 9600, "n")]
    assert (size_order.__name__, size_order.__doc__) == ("size_order", "Sizes the order.")
    completed = fakes.publisher.published(workflow_id)[-1]
    assert isinstance(completed, AgentCompleted)
    assert (completed.duration_seconds, completed.message) == (
        2.5,
        "Inventory agent finished in 2.50 s",
    )


def test_the_events_reach_the_workflows_connections(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    workflow_id = running(c)
    c.connections.add("conn-1", workflow_id)
    c.connections.add("elsewhere", "another-workflow")
    stopwatch(monkeypatch, fakes, 0.0, 0.25)

    @progress.agent_step("pricing", "checking sell-through")
    def step(container: Container, wid: str) -> dict[str, Any]:
        return {}

    step(c, workflow_id)
    sent = fakes.publisher.sent["conn-1"]
    assert [type(m) for m in sent] == [AgentStarted, AgentCompleted]
    assert sent == fakes.publisher.published(workflow_id)
    assert "elsewhere" not in fakes.publisher.sent


def test_a_raising_step_publishes_nothing_more(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    workflow_id = running(c)
    stopwatch(monkeypatch, fakes, 0.0)  # a second reading would raise StopIteration
    boom = ValueError("no sales history")

    @progress.agent_step("demand", "forecasting")
    def step(container: Container, wid: str) -> dict[str, Any]:
        raise boom

    with pytest.raises(ValueError) as raised:
        step(c, workflow_id)
    assert raised.value is boom
    assert event_types(fakes, workflow_id) == ["agent_started"]
    assert c.workflows.get(workflow_id).status is WorkflowStatus.RUNNING


# -- report_progress -----------------------------------------------------------------------------


def test_report_progress_records_the_row_then_publishes(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id = running(c)
    before = c.workflows.get(workflow_id).version
    progress.report_progress(c, workflow_id, "demand", 25, "Season forecast ready")
    stored = c.workflows.get(workflow_id)
    assert (stored.current_agent, stored.progress_pct, stored.version) == (
        "demand",
        25,
        before + 1,
    )
    (event,) = fakes.publisher.published(workflow_id)
    assert isinstance(event, AgentProgress)
    assert (event.sequence, event.agent, event.progress_pct, event.message) == (
        1,
        "demand",
        25,
        "Season forecast ready",
    )
    assert event.timestamp == fakes.clock.now()


def test_progress_of_a_workflow_no_longer_running_fails_the_step_and_says_nothing(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id = running(c)
    c.workflows.transition(workflow_id, WorkflowStatus.CANCELLED)
    with pytest.raises(ConflictError):
        progress.report_progress(c, workflow_id, "demand", 25, "late")
    assert event_types(fakes, workflow_id) == []


def test_progress_inside_a_step_comes_between_started_and_completed(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    workflow_id = running(c)
    stopwatch(monkeypatch, fakes, 0.0, 1.0)

    @progress.agent_step("demand", "forecasting")
    def step(container: Container, wid: str) -> dict[str, Any]:
        progress.report_progress(container, wid, "demand", 20, "clustering stores")
        return {"ok": True}

    step(c, workflow_id)
    assert event_types(fakes, workflow_id) == ["agent_started", "agent_progress", "agent_completed"]
    assert [e.sequence for e in fakes.publisher.published(workflow_id)] == [1, 2, 3]


# -- a broken stream ------------------------------------------------------------------------------


def broken_log(fakes: Fakes) -> None:
    fakes.event_log.reachable = False


def raising_publisher_log(fakes: Fakes) -> None:
    def fail(event: Any) -> Any:
        raise RuntimeError("throttled")

    fakes.event_log.append = fail  # type: ignore[method-assign]


@pytest.mark.parametrize("break_it", [broken_log, raising_publisher_log])
def test_a_broken_event_log_never_fails_the_step(
    fc: tuple[Container, Fakes],
    monkeypatch: pytest.MonkeyPatch,
    break_it: Callable[[Fakes], None],
) -> None:
    c, fakes = fc
    workflow_id = running(c)
    break_it(fakes)
    stopwatch(monkeypatch, fakes, 0.0, 1.0)

    @progress.agent_step("inventory", "sizing")
    def step(container: Container, wid: str) -> dict[str, Any]:
        progress.report_progress(container, wid, "inventory", 55, "sizing")
        return {"ok": True}

    assert step(c, workflow_id) == {"ok": True}
    stored = c.workflows.get(workflow_id)
    assert (stored.current_agent, stored.progress_pct) == ("inventory", 55)
    assert fakes.event_log.events == {}
    assert fakes.publisher.sent == {}
