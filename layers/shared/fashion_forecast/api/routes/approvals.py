"""Approval decisions: manufacturing order and markdown, and an assortment plan's orders
together."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ErrorResponse, status_and_code
from fashion_forecast.api.schemas import AssortmentView, CategoryIds, WorkflowView
from fashion_forecast.app import assortment, workflows
from fashion_forecast.app.children import children_view
from fashion_forecast.constants import (
    ID_PATTERN,
    MAX_ASSORTMENT_CATEGORIES,
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


_PLAN = "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c"


class AssortmentDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workflow_id": _PLAN, "action": "accept"},
                {
                    "workflow_id": _PLAN,
                    "action": "reject",
                    "category_ids": ["womens_outerwear"],
                    "comment": "winter range cut",
                },
            ]
        },
    )

    workflow_id: str = Field(pattern=ID_PATTERN, description="The assortment plan (the parent).")
    action: ApprovalAction = Field(
        description="accept or reject (a modify is one category's, on its own workflow)"
    )
    category_ids: CategoryIds | None = Field(
        None,
        min_length=1,
        max_length=MAX_ASSORTMENT_CATEGORIES,
        description="Only these of the plan's categories (no repeats), each awaiting approval; "
        "left out: every category awaiting approval.",
    )
    comment: str | None = Field(None, max_length=1000)


class DecidedCategory(BaseModel):
    category_id: str
    workflow_id: str
    status: str = Field(description="The category's workflow status after the decision.")


class RefusedCategory(BaseModel):
    category_id: str
    workflow_id: str
    status_code: int = Field(description="What the category's own decision would have answered.")
    error_code: str
    message: str


class AssortmentDecisionView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": _PLAN,
                    "action": "accept",
                    "decided": [
                        {
                            "category_id": "mens_basics",
                            "workflow_id": f"{_PLAN}-c000",
                            "status": "running",
                        }
                    ],
                    "refused": [
                        {
                            "category_id": "womens_dresses",
                            "workflow_id": f"{_PLAN}-c001",
                            "status_code": 410,
                            "error_code": "approval_expired",
                            "message": "the approval's task token is no longer valid",
                        }
                    ],
                    "assortment": {
                        "children": [],
                        "counts": {"awaiting_approval": 1, "running": 1},
                        "progress_pct": 80,
                        "awaiting_approval": ["womens_dresses"],
                        "manufacturing_qty": 131_714,
                        "skipped": [],
                    },
                }
            ]
        }
    )

    workflow_id: str
    action: str
    decided: list[DecidedCategory]
    refused: list[RefusedCategory] = Field(
        description="Categories left undecided by a refusal on the way (e.g. the approval "
        "expired meanwhile, Step Functions unreachable): each can be decided again."
    )
    assortment: AssortmentView = Field(description="The plan's categories after the decisions.")


@router.post(
    "/manufacturing/assortment",
    response_model=AssortmentDecisionView,
    responses={
        404: {"model": ErrorResponse, "description": "Unknown plan"},
        409: {
            "model": ErrorResponse,
            "description": "Not an assortment plan, a named category not awaiting approval, or "
            "none awaiting",
        },
        503: _ERRORS[503],
    },
    summary="Accept or reject an assortment plan's orders awaiting approval, together",
)
def decide_assortment(
    body: AssortmentDecision,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.APPROVER)),
) -> AssortmentDecisionView:
    decisions = assortment.decide_awaiting(
        c,
        body.workflow_id,
        body.action,
        caller=caller,
        category_ids=body.category_ids,
        comment=body.comment,
    )
    decided, refused = [], []
    for d in decisions:
        if d.workflow is not None:
            decided.append(
                DecidedCategory(
                    category_id=d.category_id,
                    workflow_id=d.workflow_id,
                    status=d.workflow.status.value,
                )
            )
        elif d.error is not None:
            status, code = status_and_code(d.error)
            refused.append(
                RefusedCategory(
                    category_id=d.category_id,
                    workflow_id=d.workflow_id,
                    status_code=status,
                    error_code=code,
                    message=d.error.message,
                )
            )
    plan = children_view(c, c.workflows.get(body.workflow_id))
    return AssortmentDecisionView(
        workflow_id=body.workflow_id,
        action=body.action.value,
        decided=decided,
        refused=refused,
        assortment=AssortmentView.model_validate(plan),
    )
