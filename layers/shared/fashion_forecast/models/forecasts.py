"""Stored results of the agents: forecasts (with versions), allocations, markdowns.

Records are JSON documents in the table (adapters.records). Each names the workflow that made it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from fashion_forecast.models.parameters import SeasonParameters

FORECAST = "forecast"
ALLOCATION = "allocation"
MARKDOWN = "markdown"


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


class ForecastRecord(BaseModel):
    forecast_id: str
    workflow_id: str
    category_id: str
    parameters: SeasonParameters
    created_at: dt.datetime
    weekly: list[ForecastWeek] = Field(default_factory=list, description="Current version.")
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
    allocation_id: str | None = None
    markdown_id: str | None = None
    version: int = Field(1, ge=1, description="Version of the weekly curve (re-forecasts).")
    versions: list[ForecastVersion] = Field(default_factory=list)
    revision: int = Field(1, ge=1, description="Bumped on every stored change.")


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
    replan: dict[str, Any] | None = None
    extra_order_qty: int = Field(0, ge=0)
    override: dict[str, Any] = Field(default_factory=dict)
    revision: int = Field(1, ge=1, description="Bumped on every stored change.")


class MarkdownRecord(BaseModel):
    markdown_id: str
    forecast_id: str
    workflow_id: str
    created_at: dt.datetime
    checkpoint_week: int = Field(ge=1, le=52)
    sold_to_date: float = Field(ge=0)
    manufacturing_qty: int = Field(ge=0)
    sell_through: float
    gap: float
    elasticity: float
    recommended_markdown_pct: float = Field(ge=0, le=1)
    markdown_pct: float = Field(ge=0, le=1, description="Recommended, or the approver's override.")
    expected_lift: float = Field(ge=0)
    reasoning: str
    applied: bool = False
    revision: int = Field(1, ge=1, description="Bumped on every stored change.")
