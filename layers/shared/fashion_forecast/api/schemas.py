"""Request and response models of the workflow API (documented in OpenAPI with examples)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from fashion_forecast.constants import (
    CATEGORY_ID_PATTERN,
    ID_PATTERN,
    MAX_ASSORTMENT_CATEGORIES,
    MAX_ORDER_UNITS,
)
from fashion_forecast.extraction.models import MAX_TEXT_CHARS
from fashion_forecast.models.approvals import ApprovalRecord
from fashion_forecast.models.inputs import RealNumber, Units, WholeNumber, WholeUnits
from fashion_forecast.models.parameters import SeasonRequest
from fashion_forecast.models.workflows import (
    PendingApproval,
    Workflow,
    WorkflowStatus,
    WorkflowType,
)

_EXAMPLE_ID = "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c"

CategoryId = Annotated[str, StringConstraints(pattern=CATEGORY_ID_PATTERN)]


def _no_repeats(names: list[str]) -> list[str]:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"category_ids repeats {', '.join(repeated)}")
    return names


CategoryIds = Annotated[list[CategoryId], AfterValidator(_no_repeats)]
"""Category ids, none repeated."""


class ForecastWorkflowRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category_id": "womens_outerwear",
                    "parameters": {
                        "forecast_horizon_weeks": 12,
                        "season_start_date": "2026-03-02",
                        "replenishment_strategy": "none",
                        "dc_holdback_percentage": 0.0,
                        "markdown_checkpoint_week": 6,
                    },
                },
                {
                    "category_id": "womens_outerwear",
                    "text": "12-week season starting March 2nd, no replenishment",
                },
                {
                    "category_ids": ["womens_outerwear", "womens_dresses", "mens_basics"],
                    "parameters": {"forecast_horizon_weeks": 12, "replenishment_strategy": "none"},
                },
                {"all_categories": True, "parameters": {"forecast_horizon_weeks": 12}},
            ]
        },
    )

    category_id: str | None = Field(
        None,
        pattern=CATEGORY_ID_PATTERN,
        description="The category to plan (or `category_ids`, or `all_categories`).",
    )
    category_ids: CategoryIds | None = Field(
        None,
        min_length=2,
        max_length=MAX_ASSORTMENT_CATEGORIES,
        description="An assortment plan: these categories (2 to "
        f"{MAX_ASSORTMENT_CATEGORIES}, no repeats), each its own pre-season forecast with its "
        "own approval, under one parent workflow. Every category is checked up front; any "
        "refusal is a 422 naming it (`category_ids[i]`), with nothing started.",
    )
    all_categories: Literal[True] | None = Field(
        None,
        description="An assortment plan of every category with sales history (at most "
        f"{MAX_ASSORTMENT_CATEGORIES}); the ones the season rules refuse are skipped and "
        "listed on the parent.",
    )
    parameters: SeasonRequest | None = Field(
        None, description="The season's parameters (omitted with no `text`: every default)."
    )
    text: str | None = Field(
        None,
        min_length=1,
        description="Instead of `parameters`: the season in plain words (at most "
        f"{MAX_TEXT_CHARS} characters; longer text is refused with 413). The flow extracts the "
        "parameters first and pauses (awaiting_clarification) when the text leaves the start "
        "date or the horizon open.",
        json_schema_extra={"maxLength": MAX_TEXT_CHARS},
    )

    @field_validator("all_categories", mode="before")
    @classmethod
    def _true_itself(cls, value: object) -> object:
        if value is not None and value is not True:
            raise ValueError("all_categories is true or left out")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ForecastWorkflowRequest:
        given = [
            name
            for name in ("category_id", "category_ids", "all_categories")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of category_id, category_ids or all_categories"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.text is not None and self.category_id is None:
            raise ValueError("text plans one category: give category_id with it")
        if self.parameters is not None and self.text is not None:
            raise ValueError("give parameters or text, not both")
        if self.text is not None and not self.text.strip():
            raise ValueError("text must not be blank")
        return self


class ClarificationAnswers(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"answers": {"q1": "2026-03-02", "q2": "12"}}]},
    )

    answers: dict[str, str] = Field(
        max_length=20,
        description="An answer (a string) to every question of the pause, by question id: a "
        "date as YYYY-MM-DD, weeks as a whole number, free text for a question without a field.",
    )


class ReforecastWorkflowRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "forecast_id": _EXAMPLE_ID,
                    "actual_sales_week_1_to_n": [700, 820, 850, 830],
                    "forecasted_week_1_to_n": [600, 640, 650, 660],
                    "remaining_weeks": 8,
                    "variance_pct": 0.255,
                },
                {
                    "forecast_id": _EXAMPLE_ID,
                    "actual_sales_week_1_to_n": [700, 820, 850, 830],
                    "remaining_weeks": 8,
                },
            ]
        },
    )

    forecast_id: str = Field(pattern=ID_PATTERN)
    actual_sales_week_1_to_n: list[WholeUnits] = Field(
        min_length=1, max_length=52, description="Units sold in season weeks 1..n."
    )
    forecasted_week_1_to_n: list[Units] | None = Field(
        None,
        min_length=1,
        max_length=52,
        description="Optional: the plan you measured against. Checked against the stored plan "
        "in effect (weeks 1..k of a re-forecast after week k are what was sold); a week more "
        "than 0.5 units off is 422 plan_mismatch.",
    )
    remaining_weeks: WholeNumber = Field(ge=0, le=51)
    variance_pct: RealNumber | None = Field(
        None,
        ge=-1.0,
        le=100.0,
        description="Optional, a fraction (0.255 = +25.5%). The product computes the signed "
        "cumulative variance against the plan in effect itself; a given value more than 0.0005 "
        "off it (e.g. 25.5 for +25.5%) is 422 plan_mismatch.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ReforecastWorkflowRequest:
        forecasted = self.forecasted_week_1_to_n
        if forecasted is not None and len(self.actual_sales_week_1_to_n) != len(forecasted):
            raise ValueError(
                "actual_sales_week_1_to_n and forecasted_week_1_to_n must have the same length"
            )
        for name in ("actual_sales_week_1_to_n", "forecasted_week_1_to_n"):
            if sum(getattr(self, name) or []) > MAX_ORDER_UNITS:
                raise ValueError(f"{name} sums to more than {MAX_ORDER_UNITS:,} units")
        if len(self.actual_sales_week_1_to_n) + self.remaining_weeks > 52:
            raise ValueError("observed weeks + remaining_weeks must not exceed 52")
        return self


class WorkflowCreated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": _EXAMPLE_ID,
                    "status": "pending",
                    "websocket_url": f"wss://abc123.execute-api.us-east-1.amazonaws.com/prod?workflow_id={_EXAMPLE_ID}",
                }
            ]
        }
    )

    workflow_id: str
    status: WorkflowStatus
    websocket_url: str | None = Field(
        description="Progress stream of this workflow; null where no WebSocket API is deployed."
    )


class WorkflowView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": _EXAMPLE_ID,
                    "workflow_type": "forecast",
                    "category_id": "womens_outerwear",
                    "status": "running",
                    "current_agent": "demand",
                    "progress_pct": 40,
                    "started_at": "2026-11-22T08:00:00.000000+00:00",
                    "updated_at": "2026-11-22T08:00:03.000000+00:00",
                    "completed_at": None,
                    "error_message": None,
                    "pending_approval": None,
                }
            ]
        }
    )

    workflow_id: str
    workflow_type: WorkflowType
    category_id: str
    status: WorkflowStatus
    current_agent: str | None
    progress_pct: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    error_message: str | None
    retry_count: int = Field(0, description="Times the failed workflow was retried.")
    pending_approval: PendingApprovalView | None = None
    decision: DecisionView | None = Field(
        None,
        description="The latest approval decision and who made it (on a workflow's own "
        "status and on the answer to a decision; left out of lists)",
    )
    parent_id: str | None = Field(
        None, description="The assortment plan this category's forecast is part of."
    )
    assortment: AssortmentView | None = Field(
        None,
        description="An assortment plan's categories as they are now (on the plan's own "
        "status; left out of lists).",
    )

    @classmethod
    def of(
        cls,
        workflow: Workflow,
        decided: ApprovalRecord | None = None,
        assortment: dict[str, Any] | None = None,
    ) -> WorkflowView:
        approval = workflow.pending_approval
        return cls(
            workflow_id=workflow.workflow_id,
            workflow_type=workflow.workflow_type,
            category_id=workflow.category_id,
            status=workflow.status,
            current_agent=workflow.current_agent,
            progress_pct=workflow.progress_pct,
            created_at=workflow.created_at,
            started_at=workflow.started_at,
            updated_at=workflow.updated_at,
            completed_at=workflow.completed_at,
            error_message=workflow.error_message,
            retry_count=workflow.retry_count,
            pending_approval=PendingApprovalView.of(approval) if approval else None,
            decision=DecisionView.of(decided) if decided else None,
            parent_id=workflow.parent_id,
            assortment=AssortmentView.model_validate(assortment) if assortment else None,
        )


class ChildView(BaseModel):
    category_id: str
    workflow_id: str
    status: str = Field(
        description="The child workflow's status; `pending` before the plan starts it, "
        "`not_started` when the plan ended (cancelled) or could not start it."
    )
    progress_pct: int
    season_demand: float | None = Field(
        None, description="Proposed while awaiting approval, the approved plan's once completed."
    )
    manufacturing_qty: int | None = Field(
        None, description="The order: proposed while awaiting approval, approved once completed."
    )
    error_message: str | None = None


class SkippedCategory(BaseModel):
    category_id: str
    message: str = Field(description="Why the season rules refused it.")


class AssortmentView(BaseModel):
    children: list[ChildView]
    counts: dict[str, int] = Field(description="Children by status.")
    progress_pct: int = Field(description="The children's mean progress.")
    awaiting_approval: list[str] = Field(description="Categories whose order awaits approval.")
    manufacturing_qty: int = Field(
        description="The children's orders together (proposed and approved)."
    )
    skipped: list[SkippedCategory] = Field(
        default_factory=list, description="With all_categories: the categories left out, why."
    )


class DecisionView(BaseModel):
    """A recorded approval decision: what was decided, when, and by whom."""

    approval_id: str
    kind: str
    action: str
    decided_by: str | None = Field(description="The deciding caller's name")
    decided_at: dt.datetime
    comment: str | None = None

    @classmethod
    def of(cls, approval: ApprovalRecord) -> DecisionView:
        decision = approval.decision
        if decision is None:
            raise ValueError(f"approval {approval.approval_id} is not decided")
        return cls(
            approval_id=approval.approval_id,
            kind=approval.kind.value,
            action=decision.action.value,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
            comment=decision.comment,
        )


class PendingApprovalView(BaseModel):
    """What an approver sees; the task token never leaves the backend."""

    approval_id: str
    kind: str
    data: dict[str, Any]
    options: list[str]
    expires_at: dt.datetime | None

    @classmethod
    def of(cls, approval: PendingApproval) -> PendingApprovalView:
        return cls.model_validate(approval.model_dump())


class WorkflowList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [WorkflowView.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
                    "next_cursor": "eyJjIjogIjIwMjYtMTEtMjJUMDg6MDA6MDAiLCAiaWQiOiAiYSJ9",
                }
            ]
        }
    )

    items: list[WorkflowView]
    next_cursor: str | None = Field(
        None, description="Opaque; pass as ?cursor= to get the next page. Null on the last page."
    )


class WorkflowResults(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": _EXAMPLE_ID,
                    "status": "completed",
                    "forecast_id": "f-1",
                    "allocation_id": "a-1",
                    "markdown_id": None,
                    "output_data": {"total_season_demand": 8000, "manufacturing_qty": 9600},
                }
            ]
        }
    )

    workflow_id: str
    status: WorkflowStatus
    forecast_id: str | None
    allocation_id: str | None
    markdown_id: str | None
    output_data: dict[str, Any]


class HealthStatus(BaseModel):
    status: str = Field(examples=["ok"])
    checks: dict[str, str] = Field(default_factory=dict, examples=[{"dynamodb": "ok"}])
    version: str | None = Field(None, description="The package version.", examples=["0.1.0"])
    commit: str | None = Field(
        None,
        description="The commit the deployed code was built from (BUILD_COMMIT); null when "
        "the build did not say.",
        examples=["276be08"],
    )
    timestamp: dt.datetime | None = Field(
        None,
        description="When this answer was made (UTC).",
        examples=["2026-12-04T09:00:00.123456Z"],
    )


WorkflowView.model_rebuild()
