"""Request and response models of the sales-data and resource endpoints (OpenAPI examples)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.constants import ID_PATTERN
from fashion_forecast.models.forecasts import (
    AllocationRecord,
    AllocationStatus,
    ClusterShare,
    ForecastRecord,
    ForecastVersion,
    ForecastWeek,
    MarkdownRecord,
    StoreFactor,
)
from fashion_forecast.models.inputs import WholeNumber
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.sales import (
    InventoryPosition,
    UploadError,
    UploadStatus,
    VarianceRecord,
    WeeklyUpload,
)

_FORECAST_ID = "5d0f6c1e-0f0e-4a53-9a57-2c1c8f1d7c11"
_WORKFLOW_ID = "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c"
_UPLOAD_ID = "20250407T091500123456-1a2b3c4d"
_STAMP = "2025-04-07T09:15:00.123456+00:00"
_PARAMETERS = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",
    "replenishment_strategy": "none",
    "dc_holdback_percentage": 0.0,
    "markdown_checkpoint_week": 6,
    "markdown_threshold": 0.6,
    "variance_threshold": 0.2,
}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class DateRange(BaseModel):
    model_config = _examples({"start": "2022-03-07", "end": "2025-03-02"})

    start: dt.date
    end: dt.date


# -- uploads -----------------------------------------------------------------------------------


class HistoricalUploadResult(BaseModel):
    model_config = _examples(
        {
            "upload_id": _UPLOAD_ID,
            "rows_imported": 23400,
            "date_range": {"start": "2022-03-07", "end": "2025-02-24"},
            "categories_detected": ["mens_basics", "womens_dresses", "womens_outerwear"],
            "stores_detected": 50,
            "weeks_imported": 156,
        }
    )

    upload_id: str
    rows_imported: int
    date_range: DateRange
    categories_detected: list[str]
    stores_detected: int
    weeks_imported: int = Field(description="Weeks of history written per category (merged).")


class StoreAttributesUploadResult(BaseModel):
    model_config = _examples(
        {
            "upload_id": _UPLOAD_ID,
            "rows_imported": 50,
            "regions": ["Midwest", "Northeast", "Southeast", "West"],
            "fashion_tiers": {"Mainstream": 22, "Premium": 14, "Value": 14},
        }
    )

    upload_id: str
    rows_imported: int
    regions: list[str]
    fashion_tiers: dict[str, int]


class UploadUrlRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"forecast_id": _FORECAST_ID, "week_number": 6}]},
    )

    forecast_id: str = Field(pattern=ID_PATTERN)
    week_number: WholeNumber = Field(
        ge=1, le=52, description="The week the file reports (through)."
    )


class UploadUrl(BaseModel):
    model_config = _examples(
        {
            "upload_id": _UPLOAD_ID,
            "forecast_id": _FORECAST_ID,
            "week_number": 6,
            "method": "PUT",
            "url": "https://fashion-forecast-51af3dc0-da77-11e4-872e-1234567db123.s3.amazonaws.com/"
            f"uploads/weekly/{_FORECAST_ID}/week-06/{_UPLOAD_ID}.csv?X-Amz-Algorithm=...",
            "key": f"uploads/weekly/{_FORECAST_ID}/week-06/{_UPLOAD_ID}.csv",
            "expires_at": "2025-04-07T09:30:00+00:00",
            "max_bytes": 10485760,
            "status_url": f"/api/data/uploads/{_FORECAST_ID}/{_UPLOAD_ID}",
            "variance_url": f"/api/variance/{_FORECAST_ID}/week/6",
        }
    )

    upload_id: str
    forecast_id: str
    week_number: int
    method: Literal["PUT"] = "PUT"
    url: str = Field(description="PUT the CSV file here (no extra headers needed).")
    key: str
    expires_at: dt.datetime
    max_bytes: int = Field(description="Bigger files are refused (file_too_large).")
    status_url: str
    variance_url: str


_VARIANCE_EXAMPLE = {
    "forecast_id": _FORECAST_ID,
    "week": 6,
    "status": "evaluated",
    "forecasted_cumulative": 26451.15,
    "actual_cumulative": 32583.0,
    "variance_pct": 0.232,
    "display": "+23.2%",
    "direction": "over",
    "variance_threshold": 0.2,
    "threshold_exceeded": True,
    "emergency": False,
    "action_taken": "reforecast_and_markdown_started",
    "note": "cumulative variance +23.2% through week 6 exceeds the 20% threshold; ...",
    "missing_weeks": [],
    "forecast_version": 1,
    "plan_anchor_week": 0,
    "reforecast_workflow_id": f"reforecast-{_FORECAST_ID}-w06",
    "markdown_workflow_id": f"markdown-{_FORECAST_ID}-w06",
    "upload_id": _UPLOAD_ID,
    "evaluated_at": _STAMP,
    "revision": 1,
}


class VarianceView(VarianceRecord):
    """The variance row of one week (see domain.in_season for the rules)."""

    model_config = _examples(_VARIANCE_EXAMPLE)


class VarianceList(BaseModel):
    model_config = _examples({"forecast_id": _FORECAST_ID, "items": [_VARIANCE_EXAMPLE]})

    forecast_id: str
    items: list[VarianceView]


class WeeklyUploadView(BaseModel):
    model_config = _examples(
        {
            "upload_id": _UPLOAD_ID,
            "forecast_id": _FORECAST_ID,
            "week_number": 6,
            "status": "accepted",
            "source": "api",
            "created_at": _STAMP,
            "processed_at": _STAMP,
            "rows_imported": 50,
            "skipped_rows": 0,
            "weeks": [6],
            "units_by_week": {"6": 7405},
            "evaluated_weeks": [6],
            "pending_weeks": [],
            "workflows_started": [f"reforecast-{_FORECAST_ID}-w06"],
            "error": None,
            "variance": _VARIANCE_EXAMPLE,
            "status_url": f"/api/data/uploads/{_FORECAST_ID}/{_UPLOAD_ID}",
            "variance_url": f"/api/variance/{_FORECAST_ID}/week/6",
        }
    )

    upload_id: str
    forecast_id: str
    week_number: int
    status: UploadStatus
    source: str
    created_at: dt.datetime
    processed_at: dt.datetime | None
    rows_imported: int
    skipped_rows: int = Field(description="Rows of other categories (ignored).")
    weeks: list[int]
    units_by_week: dict[int, int]
    evaluated_weeks: list[int]
    pending_weeks: list[int] = Field(description="Weeks waiting for earlier weeks.")
    workflows_started: list[str]
    error: UploadError | None
    variance: VarianceView | None = Field(
        None, description="The variance row of week_number, once it exists."
    )
    status_url: str
    variance_url: str

    @classmethod
    def of(cls, upload: WeeklyUpload, variance: VarianceRecord | None) -> WeeklyUploadView:
        return cls(
            upload_id=upload.upload_id,
            forecast_id=upload.forecast_id,
            week_number=upload.week,
            status=upload.status,
            source=upload.source,
            created_at=upload.created_at,
            processed_at=upload.processed_at,
            rows_imported=upload.rows_imported,
            skipped_rows=upload.skipped_rows,
            weeks=upload.weeks,
            units_by_week=upload.units_by_week,
            evaluated_weeks=upload.evaluated_weeks,
            pending_weeks=upload.pending_weeks,
            workflows_started=upload.workflows_started,
            error=upload.error,
            variance=VarianceView.model_validate(variance.model_dump()) if variance else None,
            status_url=status_url(upload.forecast_id, upload.upload_id),
            variance_url=variance_url(upload.forecast_id, upload.week),
        )


class WeeklyUploadPending(BaseModel):
    model_config = _examples(
        {
            "upload_id": _UPLOAD_ID,
            "forecast_id": _FORECAST_ID,
            "week_number": 6,
            "status": "processing",
            "message": "The file is stored; its variance is being computed. Poll status_url.",
            "status_url": f"/api/data/uploads/{_FORECAST_ID}/{_UPLOAD_ID}",
            "variance_url": f"/api/variance/{_FORECAST_ID}/week/6",
        }
    )

    upload_id: str
    forecast_id: str
    week_number: int
    status: UploadStatus
    message: str
    status_url: str
    variance_url: str


def status_url(forecast_id: str, upload_id: str) -> str:
    return f"/api/data/uploads/{forecast_id}/{upload_id}"


def variance_url(forecast_id: str, week: int) -> str:
    return f"/api/variance/{forecast_id}/week/{week}"


# -- categories and stores -----------------------------------------------------------------------


_CATEGORY_EXAMPLE: dict[str, Any] = {
    "category_id": "womens_dresses",
    "name": "Womens Dresses",
    "rows": 7800,
    "stores": 50,
    "weeks": 156,
    "date_range": {"start": "2022-03-07", "end": "2025-03-02"},
}


class CategoryView(BaseModel):
    model_config = _examples(_CATEGORY_EXAMPLE)

    category_id: str
    name: str
    rows: int = Field(description="Weekly store rows in the stored history.")
    stores: int
    weeks: int
    date_range: DateRange = Field(description="First week's Monday to last week's Sunday.")


class CategoryList(BaseModel):
    model_config = _examples({"items": [_CATEGORY_EXAMPLE]})

    items: list[CategoryView]


class HistoryWeek(BaseModel):
    week_start: dt.date = Field(description="Monday of the week.")
    units: float = Field(description="Units sold in the week, all stores (0: none recorded).")


class CategoryHistory(BaseModel):
    model_config = _examples(
        {
            "category_id": "womens_dresses",
            "weeks": [
                {"week_start": "2025-02-17", "units": 5321.0},
                {"week_start": "2025-02-24", "units": 5204.0},
            ],
        }
    )

    category_id: str
    weeks: list[HistoryWeek] = Field(description="Oldest first, ending with the last week.")


_CLUSTERING_EXAMPLE: dict[str, Any] = {
    "forecast_id": _FORECAST_ID,
    "category_id": "womens_dresses",
    "created_at": _STAMP,
    "silhouette": 0.41,
}


class ClusteringSource(BaseModel):
    model_config = _examples(_CLUSTERING_EXAMPLE)

    forecast_id: str
    category_id: str
    created_at: dt.datetime
    silhouette: float | None


NO_CLUSTERS_NOTE = (
    "No forecast yet: stores are clustered by the Demand agent when a forecast runs "
    "(POST /api/workflows/forecast); cluster fields are null until then."
)


_STORE_EXAMPLE: dict[str, Any] = {
    "store_id": "S001",
    "store_name": "Pittsburgh #1",
    "region": "Northeast",
    "store_size_sqft": 24700,
    "median_income": 75000.0,
    "location_tier": "B",
    "fashion_tier": "Mainstream",
    "store_format": "Mall",
    "cluster_id": 1,
    "cluster_name": "Mainstream",
    "store_factor": 0.0473,
}


class StoreView(BaseModel):
    model_config = _examples(_STORE_EXAMPLE)

    store_id: str
    store_name: str
    region: str
    store_size_sqft: int
    median_income: float
    location_tier: str
    fashion_tier: str
    store_format: str
    cluster_id: int | None
    cluster_name: str | None
    store_factor: float | None = Field(description="Share of its cluster's allocation.")


class StoreList(BaseModel):
    model_config = _examples(
        {
            "items": [_STORE_EXAMPLE],
            "clustering": _CLUSTERING_EXAMPLE,
            "note": "Clusters of the latest forecast (womens_dresses, 2025-04-07).",
        }
    )

    items: list[StoreView]
    clustering: ClusteringSource | None = Field(
        description="The forecast whose clustering is shown; null when there is none."
    )
    note: str


_CLUSTER_EXAMPLE: dict[str, Any] = {
    "cluster_id": 0,
    "name": "Fashion_Forward",
    "store_count": 14,
    "share": 0.48,
    "silhouette": 0.41,
}


class ClusterView(BaseModel):
    model_config = _examples(_CLUSTER_EXAMPLE)

    cluster_id: int
    name: str
    store_count: int
    share: float = Field(description="Share of the category's sales over the last 52 weeks.")
    silhouette: float | None = Field(description="Silhouette score of the whole clustering.")


class ClusterList(BaseModel):
    model_config = _examples(
        {
            "items": [_CLUSTER_EXAMPLE],
            "clustering": _CLUSTERING_EXAMPLE,
            "note": "Clusters of the latest forecast (womens_dresses, 2025-04-07).",
        }
    )

    items: list[ClusterView]
    clustering: ClusteringSource | None
    note: str


# -- forecasts, allocations, markdowns ------------------------------------------------------------

_WEEK = {
    "week": 1,
    "week_start": "2025-03-03",
    "forecast": 3447.96,
    "lower": 3011.2,
    "upper": 3884.7,
}


_SUMMARY_EXAMPLE: dict[str, Any] = {
    "forecast_id": _FORECAST_ID,
    "workflow_id": _WORKFLOW_ID,
    "category_id": "womens_dresses",
    "created_at": _STAMP,
    "season_start_date": "2025-03-03",
    "forecast_horizon_weeks": 12,
    "total_demand": 64187.67,
    "version": 2,
    "allocation_id": "a6c7e1f0-2b3c-4d5e-8f90-1a2b3c4d5e6f",
    "markdown_id": None,
}


class ForecastSummary(BaseModel):
    model_config = _examples(_SUMMARY_EXAMPLE)

    forecast_id: str
    workflow_id: str
    category_id: str
    created_at: dt.datetime
    season_start_date: dt.date
    forecast_horizon_weeks: int
    total_demand: float
    version: int
    allocation_id: str | None
    markdown_id: str | None

    @classmethod
    def of(cls, forecast: ForecastRecord) -> ForecastSummary:
        return cls(
            forecast_id=forecast.forecast_id,
            workflow_id=forecast.workflow_id,
            category_id=forecast.category_id,
            created_at=forecast.created_at,
            season_start_date=forecast.parameters.season_start_date,
            forecast_horizon_weeks=forecast.parameters.forecast_horizon_weeks,
            total_demand=forecast.total_demand,
            version=forecast.version,
            allocation_id=forecast.allocation_id,
            markdown_id=forecast.markdown_id,
        )


class ForecastList(BaseModel):
    model_config = _examples(
        {
            "items": [_SUMMARY_EXAMPLE],
            "next_cursor": None,
        }
    )

    items: list[ForecastSummary]
    next_cursor: str | None = Field(
        None, description="Opaque; pass as ?cursor= for the next page. Null on the last page."
    )


class ForecastDetail(BaseModel):
    model_config = _examples(
        {
            "forecast_id": _FORECAST_ID,
            "workflow_id": _WORKFLOW_ID,
            "category_id": "womens_dresses",
            "parameters": _PARAMETERS,
            "created_at": _STAMP,
            "version": 1,
            "total_demand": 64187.67,
            "weekly": [_WEEK],
            "actuals": {"1": 3524},
            "method_weights": {"arima": 0.23, "prophet": 0.27, "seasonal_naive": 0.25},
            "backtest": {"arima": 0.081, "prophet": 0.069, "seasonal_naive": 0.075},
            "dropped_methods": {},
            "history_weeks": 156,
            "clusters": [
                {"cluster_id": 0, "name": "Fashion_Forward", "store_count": 14, "share": 0.48}
            ],
            "silhouette": 0.41,
            "stores": [
                {
                    "store_id": "S004",
                    "cluster_id": 0,
                    "cluster_name": "Fashion_Forward",
                    "store_factor": 0.081,
                }
            ],
            "allocation_id": "a6c7e1f0-2b3c-4d5e-8f90-1a2b3c4d5e6f",
            "markdown_id": None,
            "versions": [
                {
                    "version": 1,
                    "created_at": _STAMP,
                    "workflow_id": _WORKFLOW_ID,
                    "reason": "pre-season forecast",
                    "total_demand": 64187.67,
                    "weekly": [_WEEK],
                    "details": {},
                    "status": "approved",
                }
            ],
            "plan_version": 1,
        }
    )

    forecast_id: str
    workflow_id: str
    category_id: str
    parameters: SeasonParameters
    created_at: dt.datetime
    version: int = Field(description="Version of `weekly`.")
    total_demand: float
    weekly: list[ForecastWeek] = Field(
        description="The newest curve not rejected (the plan in effect, or a re-forecast "
        "awaiting its order's approval) with its 80% interval."
    )
    actuals: dict[int, float] = Field(description="Units sold per season week, as uploaded.")
    method_weights: dict[str, float]
    backtest: dict[str, float] = Field(description="Backtest error (WAPE) per ensemble member.")
    dropped_methods: dict[str, str]
    history_weeks: int
    clusters: list[ClusterShare] = Field(description="Distribution over store clusters.")
    silhouette: float | None
    stores: list[StoreFactor]
    sales_level_excluded: dict[str, str] = Field(
        description="Categories left out of the stores' sales level: history unreadable."
    )
    allocation_id: str | None
    markdown_id: str | None
    plan_version: int = Field(
        description="The version in effect: the latest approved one, what later weeks are "
        "measured against."
    )
    versions: list[ForecastVersion] = Field(
        description="1: pre-season; later: re-forecasts and the markdown's lift, each with its "
        "status (approved: a plan; proposed: its order awaits approval; rejected: a demand "
        "view only)."
    )

    @classmethod
    def of(
        cls, forecast: ForecastRecord, actuals: dict[int, float], plan_version: int
    ) -> ForecastDetail:
        """`actuals`: units sold per season week as known (app.results.get_forecast)."""
        return cls(
            forecast_id=forecast.forecast_id,
            workflow_id=forecast.workflow_id,
            category_id=forecast.category_id,
            parameters=forecast.parameters,
            created_at=forecast.created_at,
            version=forecast.version,
            total_demand=forecast.total_demand,
            weekly=forecast.weekly,
            actuals=actuals,
            method_weights=forecast.method_weights,
            backtest=forecast.backtest,
            dropped_methods=forecast.dropped_methods,
            history_weeks=forecast.history_weeks,
            clusters=forecast.clusters,
            silhouette=forecast.silhouette,
            stores=forecast.stores,
            sales_level_excluded=forecast.sales_level_excluded,
            allocation_id=forecast.allocation_id,
            markdown_id=forecast.markdown_id,
            plan_version=plan_version,
            versions=forecast.versions,
        )


class AllocationSummary(BaseModel):
    """One allocation of the forecast besides the current one."""

    allocation_id: str
    workflow_id: str
    created_at: dt.datetime
    kind: Literal["pre_season", "extra_order"]
    status: AllocationStatus
    status_reason: str
    manufacturing_qty: int = Field(description="The pre-season order it was made against.")
    extra_order_qty: int
    order_units: int = Field(description="Units it orders: the pre-season or the extra order.")

    @classmethod
    def of(cls, record: AllocationRecord) -> AllocationSummary:
        return cls(
            allocation_id=record.allocation_id,
            workflow_id=record.workflow_id,
            created_at=record.created_at,
            kind="pre_season" if record.replan is None else "extra_order",
            status=record.status,
            status_reason=record.status_reason,
            manufacturing_qty=record.manufacturing_qty,
            extra_order_qty=record.extra_order_qty,
            order_units=record.order_units,
        )


class AllocationView(AllocationRecord):
    """The forecast's current order: the latest approved allocation (before the pre-season
    order is approved, the proposal awaiting it), the units ordered and approved, and the
    allocations awaiting a decision or rejected, which do not count."""

    ordered_approved_qty: int = Field(
        description="The pre-season order plus every approved extra order: what the markdown "
        "and the next re-plan count as ordered. Proposed and rejected orders never count."
    )
    proposed: list[AllocationSummary] = Field(
        description="Allocations awaiting a decision, oldest first (not the current one)."
    )
    rejected: list[AllocationSummary] = Field(
        description="Rejected allocations (rejected, cancelled or failed before approval)."
    )

    model_config = _examples(
        {
            "allocation_id": "a6c7e1f0-2b3c-4d5e-8f90-1a2b3c4d5e6f",
            "forecast_id": _FORECAST_ID,
            "workflow_id": _WORKFLOW_ID,
            "created_at": _STAMP,
            "season_demand": 64187.67,
            "safety_stock_pct": 0.25,
            "manufacturing_qty": 80235,
            "holdback": 0,
            "initial_allocation": 80235,
            "store_allocations": [
                {
                    "store_id": "S004",
                    "cluster_id": 0,
                    "cluster_name": "Fashion_Forward",
                    "weight": 0.039,
                    "quantity": 3129,
                }
            ],
            "clusters": [
                {
                    "cluster_id": 0,
                    "name": "Fashion_Forward",
                    "share": 0.48,
                    "store_count": 14,
                    "quantity": 38513,
                }
            ],
            "replenishment": None,
            "replan": None,
            "extra_order_qty": 0,
            "override": {},
            "status": "approved",
            "status_reason": "accepted, or no approval needed",
            "revision": 2,
            "ordered_approved_qty": 80235,
            "proposed": [
                {
                    "allocation_id": "c3d4e5f6-0a1b-4c2d-8e3f-4a5b6c7d8e9f",
                    "workflow_id": f"reforecast-{_FORECAST_ID}-w06",
                    "created_at": _STAMP,
                    "kind": "extra_order",
                    "status": "proposed",
                    "status_reason": "",
                    "manufacturing_qty": 80235,
                    "extra_order_qty": 4120,
                    "order_units": 4120,
                }
            ],
            "rejected": [],
        }
    )

    @classmethod
    def of(
        cls, current: AllocationRecord, others: list[AllocationRecord], ordered_approved: int
    ) -> AllocationView:
        def listed(status: AllocationStatus) -> list[AllocationSummary]:
            return [AllocationSummary.of(a) for a in others if a.status is status]

        return cls(
            **current.model_dump(),
            ordered_approved_qty=ordered_approved,
            proposed=listed(AllocationStatus.PROPOSED),
            rejected=listed(AllocationStatus.REJECTED),
        )


class MarkdownView(MarkdownRecord):
    """The forecast's markdown at the checkpoint week."""

    model_config = _examples(
        {
            "markdown_id": "7e1d2c3b-4a5f-4e6d-9c8b-7a6f5e4d3c2b",
            "forecast_id": _FORECAST_ID,
            "workflow_id": f"markdown-{_FORECAST_ID}-w06",
            "created_at": _STAMP,
            "checkpoint_week": 6,
            "sold_to_date": 30000.0,
            "manufacturing_qty": 80235,
            "remaining_forecast": 14100.0,
            "sell_through": 0.55,
            "sell_through_to_date": 0.374,
            "plan_to_date": 33600.0,
            "above_plan": False,
            "stock_cap_pct": 0.4,
            "gap": 0.05,
            "elasticity": 2.03,
            "elasticity_estimate": 2.32,
            "elasticity_r_squared": 0.1,
            "recommended_markdown_pct": 0.1,
            "markdown_pct": 0.1,
            "expected_lift": 0.203,
            "reasoning": "Projected season-end sell-through at week 6 is 55.0% (30,000 sold + "
            "14,100 still planned, of 80,235 units ordered and approved) against a 60.0% "
            "target; ...",
            "applied": True,
            "status": "applied",
            "status_reason": "accepted by the approver",
            "revision": 3,
        }
    )


class PositionView(InventoryPosition):
    """The season's stored inventory position (GET /api/forecasts/{id}/position)."""

    model_config = _examples(
        {
            "forecast_id": _FORECAST_ID,
            "through_week": 1,
            "replenishment_strategy": "weekly",
            "top_up_cover_weeks": 1,
            "safety_stock_pct": 0.25,
            "orders": [
                {
                    "allocation_id": "a6c7e1f0-2b3c-4d5e-8f90-1a2b3c4d5e6f",
                    "workflow_id": _WORKFLOW_ID,
                    "kind": "pre_season",
                    "units": 5000,
                    "status": "approved",
                }
            ],
            "ordered_approved": 5000,
            "at_dc": 1750,
            "shipped": 3250,
            "sold": 2000,
            "store_on_hand": 1250,
            "stores": [{"store_id": "S001", "shipped": 65, "sold": 40, "on_hand": 25}],
            "shipments": [
                {
                    "week": 1,
                    "kind": "initial",
                    "source": "a6c7e1f0-2b3c-4d5e-8f90-1a2b3c4d5e6f",
                    "units": 2500,
                    "stores": {"S001": 50},
                },
                {
                    "week": 2,
                    "kind": "replenishment",
                    "source": "review-w02",
                    "units": 750,
                    "stores": {"S001": 15},
                },
            ],
            "over_plan_credited": {},
            "planned_shipments": [
                {"week": 3, "covers_weeks": [3], "requested": 1000, "units": 1000, "dc_after": 750},
                {"week": 4, "covers_weeks": [4], "requested": 1000, "units": 750, "dc_after": 0},
            ],
            "planned_dc_end_of_season": 0,
            "warnings": [],
            "updated_at": _STAMP,
            "revision": 1,
        }
    )
