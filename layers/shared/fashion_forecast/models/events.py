"""Progress events of a workflow and the WebSocket protocol that carries them.

Events. Every event has `type`, `workflow_id`, `sequence` and `timestamp`, plus fields of its
own:

| type                   | own fields                                                          |
|------------------------|---------------------------------------------------------------------|
| `agent_started`        | agent, message                                                      |
| `agent_progress`       | agent, message, progress_pct                                        |
| `agent_completed`      | agent, message, duration_seconds, result (the step's summary)       |
| `human_input_required` | agent, action, message, approval_id, data, options, expires_at      |
| `workflow_complete`    | status (completed or cancelled), message, duration_seconds, result  |
| `error`                | agent, error_message                                                |

`sequence` is the event's position in its workflow's event log: 1, 2, 3, ... with no gaps and no
duplicates, assigned when the event is appended (0 only on an event not yet appended).
`timestamp` is when it was appended (UTC). The stream ends with `workflow_complete` or `error`.
A client orders and de-duplicates by `sequence`: a replayed event and a live one with the same
sequence are the same event.

Protocol (API Gateway WebSocket API, route selection `$request.body.action`):

- connect to `<websocket_url>?workflow_id=<id>` (the URL POST /api/workflows/* returns); an
  unknown or missing workflow id is refused (HTTP 404 / 400).
- every event of that workflow appended after the connection is sent as one text message;
- `{"action": "replay", "since": N}` sends the events after N, then a `replay_complete` message;
  send it right after connecting (since 0, or the last sequence seen) to catch up on what was
  published before the connection was registered;
- `{"action": "ping"}` answers `{"type": "pong", ...}`;
- anything else answers a `protocol_error` message. None of these carry a `sequence`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

_WORKFLOW_ID = "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c"
_TIMESTAMP = "2026-03-02T09:15:04.512331Z"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EventType(StrEnum):
    AGENT_STARTED = "agent_started"
    AGENT_PROGRESS = "agent_progress"
    AGENT_COMPLETED = "agent_completed"
    HUMAN_INPUT_REQUIRED = "human_input_required"
    WORKFLOW_COMPLETE = "workflow_complete"
    ERROR = "error"


def _examples(**fields: Any) -> ConfigDict:
    example = {"workflow_id": _WORKFLOW_ID, "timestamp": _TIMESTAMP, **fields}
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class Event(BaseModel):
    """What every event carries."""

    model_config = ConfigDict(extra="forbid")

    type: EventType
    workflow_id: str = Field(examples=[_WORKFLOW_ID])
    sequence: int = Field(
        0,
        ge=0,
        description="Position in the workflow's event log: 1, 2, 3, ... without gaps "
        "(0 only before the event is appended).",
        examples=[3],
    )
    timestamp: dt.datetime = Field(
        default_factory=_now,
        description="When the event was appended (UTC).",
        examples=[_TIMESTAMP],
    )


class AgentStarted(Event):
    model_config = _examples(
        type="agent_started",
        sequence=1,
        agent="demand",
        message="Demand agent: forecasting season demand and clustering stores",
    )

    type: Literal[EventType.AGENT_STARTED] = EventType.AGENT_STARTED
    agent: str = Field(description="demand, inventory or pricing")
    message: str


class AgentProgress(Event):
    model_config = _examples(
        type="agent_progress",
        sequence=2,
        agent="demand",
        message="Season forecast ready; clustering stores",
        progress_pct=25,
    )

    type: Literal[EventType.AGENT_PROGRESS] = EventType.AGENT_PROGRESS
    agent: str
    message: str
    progress_pct: int = Field(ge=0, le=100, description="The workflow's overall progress.")


class AgentCompleted(Event):
    model_config = _examples(
        type="agent_completed",
        sequence=5,
        agent="demand",
        message="Demand agent finished in 1.84 s",
        duration_seconds=1.84,
        result={"forecast_id": "5d0f6c1e-0f0e-4a53-9a57-2c1c8f1d7c11", "total_demand": 64187.67},
    )

    type: Literal[EventType.AGENT_COMPLETED] = EventType.AGENT_COMPLETED
    agent: str
    message: str
    duration_seconds: float = Field(ge=0)
    result: dict[str, Any] = Field(
        default_factory=dict, description="The step's summary: ids and headline numbers."
    )


class HumanInputRequired(Event):
    model_config = _examples(
        type="human_input_required",
        sequence=10,
        agent="approval",
        action="manufacturing_approval",
        message="Approve the manufacturing order of 80,235 units",
        approval_id="9c1e5b2a-3f4d-4e7a-8b6c-0d1e2f3a4b5c",
        data={"manufacturing_qty": 80235, "safety_stock_pct": 0.25, "season_demand": 64187.67},
        options=["accept", "modify", "reject"],
        expires_at="2026-03-04T09:15:04.512331Z",
    )

    type: Literal[EventType.HUMAN_INPUT_REQUIRED] = EventType.HUMAN_INPUT_REQUIRED
    agent: str = "approval"
    action: str = Field(
        description="What is asked: manufacturing_approval (answer with POST "
        "/api/approvals/manufacturing), markdown_approval (POST /api/approvals/markdown) or "
        "clarification (POST /api/workflows/{id}/clarification; data.questions lists "
        "{id, field, question})."
    )
    message: str
    approval_id: str
    data: dict[str, Any] = Field(default_factory=dict, description="What the human decides on.")
    options: list[str] = Field(default_factory=list)
    expires_at: dt.datetime | None = None


class WorkflowComplete(Event):
    model_config = _examples(
        type="workflow_complete",
        sequence=11,
        status="completed",
        message="Workflow completed",
        duration_seconds=14.2,
        result={"manufacturing_qty": 80235, "total_season_demand": 64187.67},
    )

    type: Literal[EventType.WORKFLOW_COMPLETE] = EventType.WORKFLOW_COMPLETE
    status: Literal["completed", "cancelled"] = Field(
        description="completed, or cancelled (by the user or a rejected approval)."
    )
    message: str
    duration_seconds: float | None = Field(None, ge=0)
    result: dict[str, Any] = Field(
        default_factory=dict, description="What GET /api/workflows/{id}/results shows as output."
    )


class ErrorEvent(Event):
    model_config = _examples(
        type="error",
        sequence=4,
        agent="demand",
        error_message="demand agent failed: no sales history for category x (DomainError)",
    )

    type: Literal[EventType.ERROR] = EventType.ERROR
    agent: str | None = Field(None, description="The agent that was running, if any.")
    error_message: str


AnyEvent = (
    AgentStarted
    | AgentProgress
    | AgentCompleted
    | HumanInputRequired
    | WorkflowComplete
    | ErrorEvent
)
WorkflowEvent = Annotated[AnyEvent, Field(discriminator="type")]
EVENTS: TypeAdapter[AnyEvent] = TypeAdapter(WorkflowEvent)


def parse_event(data: str | bytes) -> AnyEvent:
    """An event from its JSON (as stored in the log or sent to a client)."""
    return EVENTS.validate_json(data)


# -- the WebSocket protocol's other messages ---------------------------------------------------


class ClientAction(StrEnum):
    PING = "ping"
    REPLAY = "replay"


class ReplayRequest(BaseModel):
    """Client -> server: send me the events after `since`."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"action": "replay", "since": 0}]}
    )

    action: Literal[ClientAction.REPLAY]
    since: int = Field(0, ge=0, strict=True)


class Pong(BaseModel):
    """Server -> client: the answer to {"action": "ping"}."""

    type: Literal["pong"] = "pong"
    timestamp: dt.datetime = Field(default_factory=_now)


class ReplayComplete(BaseModel):
    """Server -> client: sent after the events a replay asked for."""

    type: Literal["replay_complete"] = "replay_complete"
    workflow_id: str
    since: int
    count: int = Field(description="How many events were sent.")
    last_sequence: int = Field(description="Sequence of the last event sent (or since).")
    has_more: bool = Field(description="True when more events follow: replay again from last.")


class ProtocolError(BaseModel):
    """Server -> client: a message the server could not act on. The connection stays open."""

    type: Literal["protocol_error"] = "protocol_error"
    error_code: Literal[
        "invalid_message", "unknown_action", "message_too_large", "nesting_too_deep", "no_workflow"
    ] = "invalid_message"
    message: str


class WebSocketConnection(BaseModel):
    """A client subscribed to one workflow's events."""

    connection_id: str
    workflow_id: str
    connected_at: dt.datetime
    expires_at: dt.datetime
    source_ip: str | None = None
    user_agent: str | None = None
