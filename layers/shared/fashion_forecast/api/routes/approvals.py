"""Approval decisions: manufacturing order and markdown."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ErrorResponse
from fashion_forecast.api.schemas import WorkflowView
from fashion_forecast.app import workflows
from fashion_forecast.constants import (
    ID_PATTERN,
    MAX_MARKDOWN,
    MAX_ORDER_UNITS,
    SAFETY_STOCK_OVERRIDE_MAX,
    SAFETY_STOCK_OVERRIDE_MIN,
)
from fashion_forecast.models.approvals import ApprovalAction, ApprovalKind
from fashion_forecast.models.identity import Caller, Role
from fashion_forecast.models.inputs import RealNumber, WholeNumber
from fashion_forecast.ports import Container

router = APIRouter(prefix="/api/approvals", tags=["approvals"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown workflow"},
    409: {"model": ErrorResponse, "description": "No pending approval, or already decided"},
    410: {"model": ErrorResponse, "description": "The approval expired"},
    503: {"model": ErrorResponse, "description": "Step Functions or DynamoDB unavailable"},
}


class ManufacturingDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workflow_id": "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c", "action": "accept"},
                {
                    "workflow_id": "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c",
                    "action": "modify",
                    "safety_stock_pct": 0.3,
                    "comment": "more buffer for the launch",
                },
            ]
        },
    )

    workflow_id: str = Field(pattern=ID_PATTERN)
    action: ApprovalAction
    safety_stock_pct: RealNumber | None = Field(
        None,
        ge=float(SAFETY_STOCK_OVERRIDE_MIN),
        le=float(SAFETY_STOCK_OVERRIDE_MAX),
        description=f"modify: new safety stock {float(SAFETY_STOCK_OVERRIDE_MIN):.2f}.."
        f"{float(SAFETY_STOCK_OVERRIDE_MAX):.2f}",
    )
    manufacturing_qty: WholeNumber | None = Field(
        None,
        ge=1,
        le=MAX_ORDER_UNITS,
        description="modify: new total order quantity, from the season demand shown up to "
        f"{MAX_ORDER_UNITS:,}",
    )
    comment: str | None = Field(None, max_length=1000)


class MarkdownDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workflow_id": "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c", "action": "accept"},
                {
                    "workflow_id": "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c",
                    "action": "modify",
                    "markdown_pct": 0.15,
                },
            ]
        },
    )

    workflow_id: str = Field(pattern=ID_PATTERN)
    action: ApprovalAction
    markdown_pct: RealNumber | None = Field(
        None,
        ge=0,
        le=float(MAX_MARKDOWN),
        description=f"modify: markdown 0..{float(MAX_MARKDOWN):.2f}, 5% steps",
    )
    comment: str | None = Field(None, max_length=1000)


@router.post(
    "/manufacturing",
    response_model=WorkflowView,
    responses=_ERRORS,
    summary="Accept, modify (safety stock or quantity) or reject the manufacturing order",
)
def decide_manufacturing(
    body: ManufacturingDecision,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.APPROVER)),
) -> WorkflowView:
    resumed = workflows.decide(
        c,
        body.workflow_id,
        ApprovalKind.MANUFACTURING,
        action=body.action,
        safety_stock_pct=body.safety_stock_pct,
        manufacturing_qty=body.manufacturing_qty,
        comment=body.comment,
        caller=caller,
    )
    return WorkflowView.of(resumed, workflows.last_decision(c, resumed))


@router.post(
    "/markdown",
    response_model=WorkflowView,
    responses=_ERRORS,
    summary="Accept, modify (markdown %) or reject the markdown",
)
def decide_markdown(
    body: MarkdownDecision,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.APPROVER)),
) -> WorkflowView:
    resumed = workflows.decide(
        c,
        body.workflow_id,
        ApprovalKind.MARKDOWN,
        action=body.action,
        markdown_pct=body.markdown_pct,
        comment=body.comment,
        caller=caller,
    )
    return WorkflowView.of(resumed, workflows.last_decision(c, resumed))
