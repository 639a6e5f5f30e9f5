"""Response bodies of the workflow management endpoints: catalogue, agent registry, step
history and audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.models.audit import AuditEntry


class FlowSummary(BaseModel):
    name: str = Field(examples=["forecast"])
    version: str = Field(description="Hash of the flow's states as deployed.")
    steps: int
    approvals: list[str] = Field(examples=[["ManufacturingApproval"]])


class FlowState(BaseModel):
    name: str
    type: str
    comment: str | None = None
    approval: bool
    function: str | None = Field(None, description="The Lambda a Task invokes.")
    mode: str | None = Field(None, description="What the Task asks the function to do.")
    timeout_seconds: int | None = None
    retry: list[dict[str, Any]]
    end: bool


class FlowTransition(BaseModel):
    model_config = {"populate_by_name": True}

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    on: str = Field(description='"next", "default", "catch <errors>" or the Choice rule.')


class FlowSwitch(BaseModel):
    state: str
    parameter: str = Field(examples=["replenishment_strategy"])
    condition: str
    then: str
    otherwise: str | None


class FlowList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "flows": [
                        {
                            "name": "forecast",
                            "version": "3f9a1c0d2b4e6a81",
                            "steps": 14,
                            "approvals": ["ManufacturingApproval"],
                        }
                    ]
                }
            ]
        }
    )

    flows: list[FlowSummary]


class FlowDetail(FlowSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "forecast",
                    "version": "3f9a1c0d2b4e6a81",
                    "steps": 14,
                    "approvals": ["ManufacturingApproval"],
                    "start_at": "IsRetry",
                    "states": [
                        {
                            "name": "Demand",
                            "type": "Task",
                            "comment": "Forecast the category over the season.",
                            "approval": False,
                            "function": "arn:aws:lambda:...:function:DemandFunction",
                            "mode": "forecast",
                            "timeout_seconds": None,
                            "retry": [{"ErrorEquals": ["UnavailableError"], "MaxAttempts": 3}],
                            "end": False,
                        }
                    ],
                    "transitions": [{"from": "Demand", "to": "Inventory", "on": "next"}],
                    "switches": [
                        {
                            "state": "HasReplenishment",
                            "parameter": "replenishment_strategy",
                            "condition": '$.parameters.replenishment_strategy StringEquals "none"',
                            "then": "ManufacturingApproval",
                            "otherwise": "Replenishment",
                        }
                    ],
                    "resume_points": ["RouteByType", "Demand", "Inventory"],
                }
            ]
        }
    )

    start_at: str
    states: list[FlowState]
    transitions: list[FlowTransition]
    switches: list[FlowSwitch] = Field(
        description="Season parameters that switch steps on or off, with the Choice rule."
    )
    resume_points: list[str] = Field(
        description="The steps of this flow a retry of a failed workflow can resume at "
        "(POST /api/workflows/{id}/retry); a fresh run enters at start_at."
    )


class AgentFunction(BaseModel):
    name: str
    arn: str
    timeout_seconds: int
    memory_mb: int
    package_type: str
    runtime: str | None
    last_modified: str | None


class AgentStep(BaseModel):
    state: str
    mode: str | None
    timeout_seconds: int | None
    retry: list[dict[str, Any]]


class AgentHealthView(BaseModel):
    window_workflows: int = Field(description="Latest workflows the figures are read from.")
    runs: int
    errors: int
    last_run_at: str | None
    last_error: str | None
    last_error_at: str | None
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None


_AGENT_EXAMPLE: dict[str, Any] = {
    "name": "demand",
    "function": {
        "name": "DemandFunction",
        "arn": "arn:aws:lambda:us-east-1:123456789012:function:DemandFunction",
        "timeout_seconds": 300,
        "memory_mb": 2048,
        "package_type": "Image",
        "runtime": None,
        "last_modified": "2026-12-04T09:00:00.000+0000",
    },
    "steps": [{"state": "Demand", "mode": "forecast", "timeout_seconds": None, "retry": []}],
    "health": {
        "window_workflows": 20,
        "runs": 12,
        "errors": 1,
        "last_run_at": "2026-12-04T09:10:00+00:00",
        "last_error": "demand agent failed: no sales history for category x (DomainError)",
        "last_error_at": "2026-12-04T08:00:00+00:00",
        "p50_duration_seconds": 1.84,
        "p95_duration_seconds": 3.2,
    },
}


class AgentView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_AGENT_EXAMPLE]})

    name: str = Field(examples=["demand"])
    function: AgentFunction
    steps: list[AgentStep]
    health: AgentHealthView


class AgentList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"agents": [_AGENT_EXAMPLE]}]})

    agents: list[AgentView]


class StepEvent(BaseModel):
    sequence: int
    type: str
    message: str | None


class StepView(BaseModel):
    name: str
    type: str = Field(examples=["Task"])
    entered_at: dt.datetime
    exited_at: dt.datetime | None
    duration_seconds: float | None
    outcome: str = Field(description="succeeded, failed, cancelled or running.")
    attempt: int = Field(
        0, description="The workflow's run the step belongs to: 0 the first, n the n-th retry."
    )
    attempts: int = Field(description="Task invocations, retries included.")
    error: dict[str, Any] | None
    events: list[StepEvent] = Field(description="Progress events logged while it ran.")


class WorkflowSteps(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": "8f0c6a52-2f3e-4a44-9d0e-4f7f2c0b9a11",
                    "status": "completed",
                    "steps": [
                        {
                            "name": "Demand",
                            "type": "Task",
                            "entered_at": "2026-12-04T09:00:00.100000Z",
                            "exited_at": "2026-12-04T09:00:02.000000Z",
                            "duration_seconds": 1.9,
                            "outcome": "succeeded",
                            "attempt": 0,
                            "attempts": 1,
                            "error": None,
                            "events": [{"sequence": 1, "type": "agent_started", "message": "..."}],
                        }
                    ],
                }
            ]
        }
    )

    workflow_id: str
    status: str
    steps: list[StepView]


class AuditList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "entry_id": "5b1d7f0e-8a0c-4b8e-9d5e-0e6f1a2b3c4d",
                            "entity_type": "workflow",
                            "entity_id": "8f0c6a52-2f3e-4a44-9d0e-4f7f2c0b9a11",
                            "action": "approval_decided",
                            "actor": "ana",
                            "actor_kind": "user",
                            "timestamp": "2026-12-04T09:05:00.000000Z",
                            "request_id": "c0ffee00-1111-2222-3333-444455556666",
                            "change": {"kind": "manufacturing", "action": "modify"},
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    items: list[AuditEntry]
    next_cursor: str | None
