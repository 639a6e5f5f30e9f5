"""GET /api/workflows/{id}/events: the workflow's progress events, the polling alternative to
the WebSocket stream (same event objects; see fashion_forecast.models.events)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ErrorResponse
from fashion_forecast.app import workflows
from fashion_forecast.constants import ID_PATTERN
from fashion_forecast.models.events import (
    AgentCompleted,
    AgentProgress,
    AgentStarted,
    HumanInputRequired,
    WorkflowEvent,
)
from fashion_forecast.models.identity import Role
from fashion_forecast.models.inputs import WholeText
from fashion_forecast.ports import MAX_EVENT_PAGE, Container

router = APIRouter(prefix="/api/workflows", tags=["workflows"])

WorkflowId = Annotated[str, Path(pattern=ID_PATTERN, description="Workflow id")]


def _example(model: type[BaseModel]) -> dict[str, Any]:
    extra: Any = model.model_config.get("json_schema_extra")
    return dict(extra["examples"][0])


_EXAMPLE_EVENTS: list[Any] = [
    {**_example(AgentStarted), "sequence": 1},
    {**_example(AgentProgress), "sequence": 2},
    {**_example(AgentCompleted), "sequence": 3},
    {**_example(HumanInputRequired), "sequence": 4},
]


class WorkflowEvents(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": _EXAMPLE_EVENTS[0]["workflow_id"],
                    "events": _EXAMPLE_EVENTS,
                    "last_sequence": 4,
                    "has_more": False,
                }
            ]
        }
    )

    workflow_id: str
    events: list[WorkflowEvent] = Field(description="Oldest first; sequence > since.")
    last_sequence: int = Field(
        description="Sequence of the last event returned (since when none): poll again with "
        "?since=<last_sequence>."
    )
    has_more: bool = Field(description="More events follow right away (the page was full).")


@router.get(
    "/{workflow_id}/events",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=WorkflowEvents,
    responses={
        404: {"model": ErrorResponse, "description": "Unknown workflow"},
        503: {"model": ErrorResponse, "description": "DynamoDB unavailable"},
    },
    summary="Progress events after a sequence number (polling alternative to the WebSocket)",
    description="The events of the workflow's progress stream with sequence > `since`, oldest "
    "first, at most `limit`. The same objects the WebSocket sends: `type`, `workflow_id`, "
    "`sequence`, `timestamp` and the type's own fields. Sequences are 1, 2, 3, ... without gaps.",
)
def list_events(
    workflow_id: WorkflowId,
    c: Container = Depends(get_container),
    since: Annotated[
        WholeText,
        Query(ge=0, description="Return events after this sequence (0: from the start)."),
    ] = 0,
    limit: Annotated[WholeText, Query(ge=1, le=MAX_EVENT_PAGE, description="Page size.")] = 100,
) -> WorkflowEvents:
    page = workflows.list_events(c, workflow_id, since, limit)
    return WorkflowEvents(
        workflow_id=workflow_id,
        events=page.events,
        last_sequence=page.last_sequence or since,
        has_more=page.has_more,
    )
