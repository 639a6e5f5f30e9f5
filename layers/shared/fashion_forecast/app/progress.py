"""How the agents' steps report progress, in one place.

- `agent_step(agent, message)` decorates a step (container, workflow_id, ...): agent_started
  when it begins, agent_completed with its duration and result (the step's return value: ids
  and headline numbers) when it returns. A step that raises publishes nothing more: the state
  machine's Catch routes to the fail step, which publishes `error`.
- `report_progress` records the workflow's progress (the row GET /api/workflows/{id} reads)
  and publishes agent_progress.

Publishing never raises (ports.EventPublisher), so the stream cannot fail a step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from fashion_forecast.models.events import AgentCompleted, AgentProgress, AgentStarted
from fashion_forecast.ports import Container

P = ParamSpec("P")
Step = Callable[Concatenate[Container, str, P], dict[str, Any]]


def agent_step(agent: str, message: str) -> Callable[[Step[P]], Step[P]]:
    """Publish agent_started / agent_completed around a step of `agent`."""

    def decorate(step: Step[P]) -> Step[P]:
        @functools.wraps(step)
        def run(
            c: Container, workflow_id: str, *args: P.args, **kwargs: P.kwargs
        ) -> dict[str, Any]:
            title = f"{agent.title()} agent"
            c.publisher.publish(
                AgentStarted(workflow_id=workflow_id, agent=agent, message=f"{title}: {message}")
            )
            started = c.clock.monotonic()
            result = step(c, workflow_id, *args, **kwargs)
            duration = round(c.clock.monotonic() - started, 3)
            c.publisher.publish(
                AgentCompleted(
                    workflow_id=workflow_id,
                    agent=agent,
                    message=f"{title} finished in {duration:.2f} s",
                    duration_seconds=duration,
                    result=result,
                )
            )
            return result

        return run

    return decorate


def report_progress(
    c: Container, workflow_id: str, agent: str, progress_pct: int, message: str
) -> None:
    """Record the workflow's progress, then tell the stream."""
    c.workflows.update_progress(workflow_id, current_agent=agent, progress_pct=progress_pct)
    c.publisher.publish(
        AgentProgress(
            workflow_id=workflow_id, agent=agent, message=message, progress_pct=progress_pct
        )
    )
