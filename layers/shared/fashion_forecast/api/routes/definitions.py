"""The catalogue of flows, read from the state machine definition deployed now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ErrorResponse
from fashion_forecast.api.management_schemas import (
    FlowDetail,
    FlowList,
    FlowState,
    FlowSummary,
    FlowSwitch,
    FlowTransition,
)
from fashion_forecast.app import catalogue
from fashion_forecast.models.identity import Role
from fashion_forecast.ports import Container

router = APIRouter(prefix="/api/definitions", tags=["catalogue"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Step Functions unavailable"},
}


def _summary(flow: catalogue.Flow) -> FlowSummary:
    return FlowSummary(
        name=flow.name,
        version=flow.version,
        steps=len(flow.states),
        approvals=flow.approvals,
    )


@router.get(
    "",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=FlowList,
    responses=_ERRORS,
    summary="The flows the deployed state machine runs, each with its version",
    description="Read from the definition Step Functions holds (DescribeStateMachine), not a "
    "copy: a flow per workflow type the definition routes; `version` is a hash of the flow's "
    "states, so it changes exactly when that flow's definition does.",
)
def list_definitions(c: Container = Depends(get_container)) -> FlowList:
    return FlowList(flows=[_summary(f) for f in catalogue.definitions(c)])


@router.get(
    "/{name}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=FlowDetail,
    responses={**_ERRORS, 404: {"model": ErrorResponse, "description": "Unknown flow"}},
    summary="A flow's steps, transitions, approvals and the parameters that switch steps",
)
def get_definition(
    name: Annotated[str, Path(pattern=r"^[a-z][a-z_-]{0,40}$")],
    c: Container = Depends(get_container),
) -> FlowDetail:
    flow = catalogue.definition(c, name)
    return FlowDetail(
        **_summary(flow).model_dump(),
        start_at=flow.start_at,
        states=[FlowState(**catalogue.step_view(n, s)) for n, s in flow.states.items()],
        transitions=[
            FlowTransition(source=t.source, target=t.target, on=t.on) for t in flow.transitions
        ],
        switches=[FlowSwitch(**s) for s in flow.switches()],
        resume_points=flow.resume_points,
    )
