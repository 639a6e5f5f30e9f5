"""Stored results of the agents: forecasts (with versions), allocations, markdowns.

Records are JSON documents in the table (adapters.records). Each names the workflow that made it.
Allocations, markdowns and curve versions carry a `status` the approval outcome sets
(app.plan.settle): what counts as ordered, applied or in effect (docs/domain.md, "Approvals").
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from fashion_forecast.models.parameters import SeasonParameters

FORECAST = "forecast"
ALLOCATION = "allocation"
MARKDOWN = "markdown"


class AllocationStatus(StrEnum):
    """A manufacturing order's place in its approval: only an approved one counts as ordered."""

    PROPOSED = "proposed"  # waiting for (or on its way to) the approver
    APPROVED = "approved"  # accepted, or a re-plan with no extra order that needed no approval
    REJECTED = "rejected"  # rejected, or its workflow was cancelled or failed before approval


class MarkdownStatus(StrEnum):
    PROPOSED = "proposed"
    APPLIED = "applied"  # accepted: the lift is a version of the curve
    REJECTED = "rejected"  # rejected, or its workflow was cancelled or failed before approval
    NOT_NEEDED = "not_needed"  # 0%: nothing to approve or apply


class VersionStatus(StrEnum):
    """Whether a version of the curve is a plan later weeks are measured against."""

    PROPOSED = "proposed"  # its workflow's order awaits approval: a demand view, not yet a plan
    APPROVED = "approved"  # in effect: its order approved, or it needed no approval
    REJECTED = "rejected"  # its order was rejected (or its workflow ended): a demand view only


class ForecastWeek(BaseModel):
    week: int = Field(ge=1, le=52)
    week_start: dt.date
    forecast: float = Field(ge=0)
    lower: float = Field(ge=0)
    upper: float = Field(ge=0)


class ClusterShare(BaseModel):
    cluster_id: int
    name: str
    store_count: int = Field(ge=0)
    share: float = Field(ge=0, le=1)


class StoreFactor(BaseModel):
    store_id: str
    cluster_id: int
    cluster_name: str
    store_factor: float = Field(ge=0)


class ForecastVersion(BaseModel):
    """One version of the season curve: 1 is the pre-season forecast, later ones re-forecasts."""

    version: int = Field(ge=1)
    created_at: dt.datetime
    workflow_id: str
    reason: str
    total_demand: float = Field(ge=0)
    weekly: list[ForecastWeek]
    details: dict[str, Any] = Field(default_factory=dict)
    status: VersionStatus = Field(
        VersionStatus.APPROVED,
        description="approved: a plan in effect (the latest approved one is what later weeks "
        "are measured against); proposed: its re-forecast's extra order awaits approval; "
        "rejected: its order was rejected, kept as a demand view only. Versions stored before "
        "statuses existed read as approved.",
    )


class ForecastRecord(BaseModel):
    forecast_id: str
    workflow_id: str
    category_id: str
    parameters: SeasonParameters
    created_at: dt.datetime
    weekly: list[ForecastWeek] = Field(
        default_factory=list,
        description="The newest curve not rejected: the plan in effect, or a re-forecast whose "
        "order awaits approval (`plan_version` says which version is in effect).",
    )
    total_demand: float = Field(0, ge=0)
    method_weights: dict[str, float] = Field(default_factory=dict)
    backtest: dict[str, float] = Field(default_factory=dict)
    dropped_methods: dict[str, str] = Field(default_factory=dict)
    history_weeks: int = Field(0, ge=0)
    clusters: list[ClusterShare] = Field(default_factory=list)
    silhouette: float | None = None
    stores: list[StoreFactor] = Field(default_factory=list)
    manual_replan_workflow_id: str | None = Field(
        None, description="The latest manual re-forecast claiming this forecast."
    )
    sales_level_excluded: dict[str, str] = Field(
        default_factory=dict,
        description="Categories left out of the stores' sales level (used for clustering) "
        "because their stored history could not be read, with the reason.",
    )
    actuals: dict[int, float] = Field(
        default_factory=dict, description="Category units sold per season week, as known."
    )
    allocation_id: str | None = Field(None, description="The newest allocation, any status.")
    allocation_ids: list[str] = Field(
        default_factory=list, description="Every allocation of the forecast, oldest first."
    )
    markdown_id: str | None = None
    version: int = Field(1, ge=1, description="Version of `weekly` (re-forecasts, lift).")
    versions: list[ForecastVersion] = Field(default_factory=list)
    revision: int = Field(1, ge=1, description="Bumped on every stored change.")


class OrderRisk(BaseModel):
    """The risk of ordering ``quantity`` units against the season demand's distribution."""

    quantity: int = Field(ge=0, description="Units ordered.")
    demand_median: float = Field(ge=0, description="Season demand point forecast (median).")
    demand_lower: float = Field(ge=0, description="Lower end of the season demand interval.")
    demand_upper: float = Field(ge=0, description="Upper end of the season demand interval.")
    interval_level: float = Field(gt=0, lt=1, description="Coverage of that interval (0.8).")
    stockout_probability: float = Field(
        ge=0, le=1, description="P(season demand > quantity), 4 decimals."
    )
    expected_overstock: float = Field(
        ge=0, description="Expected units left over at season end, E[(quantity - demand)+]."
    )
    expected_shortfall: float = Field(
        ge=0, description="Expected units of demand not served, E[(demand - quantity)+]."
    )


class AllocationRecord(BaseModel):
    allocation_id: str
    forecast_id: str
    workflow_id: str
    created_at: dt.datetime
    season_demand: float = Field(ge=0)
    safety_stock_pct: float
    manufacturing_qty: int = Field(ge=0)
    holdback: int = Field(ge=0)
    initial_allocation: int = Field(ge=0)
    store_allocations: list[dict[str, Any]] = Field(default_factory=list)
    clusters: list[dict[str, Any]] = Field(default_factory=list)
    replenishment: dict[str, Any] | None = None
    replan: dict[str, Any] | None = Field(
        None,
        description="A re-plan's inputs and reasoning; its extra order is the one figure "
        "`extra_order_qty`, never repeated inside.",
    )
    extra_order_qty: int = Field(
        0,
        ge=0,
        description="A re-plan's extra order: units added to what was ordered and approved.",
    )
    override: dict[str, Any] = Field(default_factory=dict)
    risk: OrderRisk | None = Field(
        None,
        description="What the order risks against the demand's calibrated 80% interval: "
        "stock-out probability, expected overstock and shortfall (docs/domain.md, 'Order "
        "risk'). Pre-season: the order against the season demand; a re-plan: units on hand, on "
        "order and the extra order against the remaining weeks' demand. None on records "
        "stored before it.",
    )
    status: AllocationStatus | None = Field(
        None,
        description="proposed until the approval outcome: approved (accepted, or a re-plan with "
        "no extra order) or rejected (rejected, cancelled or failed before approval). Only "
        "approved orders count as ordered. Stored without one (before statuses existed): read "
        "as its workflow's outcome (the resource endpoint always shows one).",
    )
    status_reason: str = ""
    revision: int = Field(1, ge=1, description="Bumped on every stored change.")

    @property
    def order_units(self) -> int:
        """Units this record orders: the pre-season order, or a re-plan's extra order."""
        return self.manufacturing_qty if self.replan is None else self.extra_order_qty


class MarkdownRecord(BaseModel):
    markdown_id: str
    forecast_id: str
    workflow_id: str
    created_at: dt.datetime
    checkpoint_week: int = Field(ge=1, le=52)
    sold_to_date: float = Field(ge=0)
    manufacturing_qty: int = Field(ge=0, description="Units ordered and approved.")
    remaining_forecast: float = Field(
        0, ge=0, description="The plan in effect's units for the weeks after the checkpoint."
    )
    sell_through: float = Field(
        description="Projected season-end sell-through: (sold + remaining) / ordered and approved."
    )
    sell_through_to_date: float | None = Field(None, description="sold / ordered and approved.")
    plan_to_date: float | None = Field(
        None, description="The plan in effect's units through the checkpoint week."
    )
    above_plan: bool = Field(False, description="Sold above plan to date: never a markdown.")
    stock_cap_pct: float | None = Field(
        None, description="The deepest markdown whose lifted demand fits the units available."
    )
    gap: float
    elasticity: float = Field(description="The elasticity used (after shrinkage).")
    elasticity_estimate: float | None = Field(None, description="Fitted, before shrinkage.")
    elasticity_r_squared: float | None = None
    recommended_markdown_pct: float = Field(ge=0, le=1)
    markdown_pct: float = Field(ge=0, le=1, description="Recommended, or the approver's override.")
    expected_lift: float = Field(ge=0)
    reasoning: str
    applied: bool = False
    status: MarkdownStatus | None = Field(
        None,
        description="proposed until the outcome: applied (accepted, the lift is a curve "
        "version), rejected (rejected, cancelled or failed) or not_needed (0%: no approval). "
        "Stored without one: read from `applied` and its workflow's outcome.",
    )
    status_reason: str = ""
    revision: int = Field(1, ge=1, description="Bumped on every stored change.")
