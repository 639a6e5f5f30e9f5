"""Sales data: history and store uploads, weekly sales uploads (multipart or presigned URL),
categories and stores.

Limits: a multipart upload may carry a file of at most MAX_UPLOAD_BYTES (10 MiB); a bigger
request is refused with 413 payload_too_large before it is read (the middleware counts the
bytes), the same answer as any oversized body. A bigger weekly file goes through
/api/data/upload-url; the variance Lambda refuses an object over the limit as file_too_large.
Every file is validated whole (domain.sales_files) before anything is stored: a refused file is
a 422 whose details list up to 50 {row, column, message}.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import JSONResponse

from fashion_forecast.api.auth import requires
from fashion_forecast.api.data_schemas import (
    NO_CLUSTERS_NOTE,
    CategoryHistory,
    CategoryList,
    CategoryView,
    ClusteringSource,
    ClusterList,
    ClusterView,
    DateRange,
    HistoricalUploadResult,
    HistoryWeek,
    StoreAttributesUploadResult,
    StoreList,
    StoreView,
    UploadUrl,
    UploadUrlRequest,
    WeeklyUploadPending,
    WeeklyUploadView,
    status_url,
    variance_url,
)
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ApiError, ErrorResponse
from fashion_forecast.app import in_season, sales_data
from fashion_forecast.constants import CATEGORY_ID_PATTERN, ID_PATTERN
from fashion_forecast.models.forecasts import ForecastRecord
from fashion_forecast.models.identity import Caller, Role
from fashion_forecast.models.inputs import WholeText
from fashion_forecast.ports import Container

router = APIRouter(tags=["sales data"])

UPLOAD_PATHS = (  # multipart file uploads: the upload limit instead of the 1 MiB body limit
    "/api/data/upload-historical-sales",
    "/api/data/upload-store-attributes",
    "/api/data/upload-weekly-sales",
)
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and form fields

_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "File over the upload limit (10 MiB)"},
    422: {
        "model": ErrorResponse,
        "description": "Malformed request, or the file was refused (invalid_file, empty_file, "
        "invalid_encoding, file_too_large) with up to 50 {row, column, message} details",
    },
    503: {"model": ErrorResponse, "description": "S3 or DynamoDB unavailable"},
}
_FORECAST_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    404: {"model": ErrorResponse, "description": "Unknown forecast"},
    409: {
        "model": ErrorResponse,
        "description": "forecast_not_ready: the forecast's order is not approved yet",
    },
}

ForecastId = Annotated[str, Path(pattern=ID_PATTERN, description="Forecast id")]
UploadId = Annotated[str, Path(pattern=ID_PATTERN, description="Upload id")]
CSV_FILE = File(
    description="The CSV file (UTF-8).",
    examples=["store_id,week_number,units_sold,category\nS001,6,87,womens_dresses\n"],
)
HISTORY_FILE = File(
    description="The CSV file (UTF-8).",
    examples=[
        "date,store_id,category,quantity_sold,revenue\n2025-02-24,S001,womens_dresses,67,4355.00\n"
    ],
)
STORES_FILE = File(
    description="The CSV file (UTF-8).",
    examples=[
        "store_id,store_name,region,store_size_sqft,median_income,location_tier,fashion_tier,"
        "store_format\nS001,Pittsburgh #1,Northeast,24700,75000,B,Mainstream,Mall\n"
    ],
)


def _read(file: UploadFile, limit: int) -> bytes:
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(
            413,
            "payload_too_large",
            f"The file exceeds the upload limit of {limit:,} bytes",
            [{"field": "file", "message": f"at most {limit:,} bytes"}],
        )
    return bytes(data)


# -- history and stores ------------------------------------------------------------------------


@router.post(
    "/api/data/upload-historical-sales",
    status_code=201,
    response_model=HistoricalUploadResult,
    responses=_ERRORS,
    summary="Upload historical sales (CSV): validated, kept raw, aggregated weekly",
    description="Columns date (YYYY-MM-DD, daily or weekly), store_id, category, quantity_sold, "
    "revenue (optional). Rows are summed per category, store and week (weeks start on Monday). "
    "Every week present in the file replaces that week of its category's stored history; other "
    "weeks are kept. Upload whole weeks: a week the file covers only partly replaces the "
    "stored week with the part.",
)
def upload_historical_sales(
    file: UploadFile = HISTORY_FILE,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> HistoricalUploadResult:
    done = sales_data.upload_history(c, _read(file, c.settings.max_upload_bytes), caller=caller)
    return HistoricalUploadResult(
        upload_id=done.upload_id,
        rows_imported=len(done.file.rows),
        date_range=DateRange(start=done.file.first_date, end=done.file.last_date),
        categories_detected=done.file.categories,
        stores_detected=len(done.file.stores),
        weeks_imported=done.weeks_imported,
    )


@router.post(
    "/api/data/upload-store-attributes",
    status_code=201,
    response_model=StoreAttributesUploadResult,
    responses=_ERRORS,
    summary="Upload the store attributes (CSV): validated, replaces the store list",
    description="Columns store_id, store_name, region, store_size_sqft, median_income, "
    "location_tier (A/B/C), fashion_tier (Premium/Mainstream/Value), store_format "
    "(Mall/Standalone/ShoppingCenter/Outlet). The file is the whole store list: it replaces "
    "the stored one. Weekly sales files may only name these stores.",
)
def upload_store_attributes(
    file: UploadFile = STORES_FILE,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> StoreAttributesUploadResult:
    done = sales_data.upload_store_attributes(
        c, _read(file, c.settings.max_upload_bytes), caller=caller
    )
    return StoreAttributesUploadResult(
        upload_id=done.upload_id,
        rows_imported=len(done.file.rows),
        regions=done.regions,
        fashion_tiers=done.fashion_tiers,
    )


# -- weekly sales ------------------------------------------------------------------------------


@router.post(
    "/api/data/upload-weekly-sales",
    status_code=201,
    response_model=WeeklyUploadView,
    responses={
        **_FORECAST_ERRORS,
        202: {
            "model": WeeklyUploadPending,
            "description": "Stored; the variance is not ready yet: poll status_url",
        },
    },
    summary="Upload a week's sales (CSV) for a forecast; answers with its variance",
    description="Columns store_id, week_number, units_sold, category (optional: rows of other "
    "categories are skipped). The file goes to S3 under a key naming the forecast and the week; "
    "its creation invokes the variance Lambda (the same path as a presigned-URL upload), which "
    "stores the actuals, computes the cumulative variance and starts a re-forecast over the "
    "threshold or the markdown flow at the checkpoint week. `week_number` (default: the "
    "latest week in the file) is the week the upload is for; the file may also carry earlier "
    "weeks. Answers 201 with the result when the Lambda finishes within "
    "WEEKLY_UPLOAD_WAIT_SECONDS (5 s), else 202 with where to poll.",
)
def upload_weekly_sales(
    file: UploadFile = CSV_FILE,
    forecast_id: str = Form(pattern=ID_PATTERN, examples=["5d0f6c1e-0f0e-4a53-9a57-2c1c8f1d7c11"]),
    week_number: WholeText | None = Form(None, ge=1, le=52, examples=[6]),
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> Any:
    data = _read(file, c.settings.max_upload_bytes)
    outcome = in_season.accept_weekly_file(c, forecast_id, week_number, data, caller=caller)
    upload = outcome.upload
    if not upload.status.is_final:
        pending = WeeklyUploadPending(
            upload_id=upload.upload_id,
            forecast_id=forecast_id,
            week_number=upload.week,
            status=upload.status,
            message="The file is stored; its variance is being computed. Poll status_url.",
            status_url=status_url(forecast_id, upload.upload_id),
            variance_url=variance_url(forecast_id, upload.week),
        )
        return JSONResponse(status_code=202, content=pending.model_dump(mode="json"))
    return WeeklyUploadView.of(upload, outcome.variance)


@router.post(
    "/api/data/upload-url",
    status_code=201,
    response_model=UploadUrl,
    responses=_FORECAST_ERRORS,
    summary="A presigned S3 PUT URL for a (large) weekly sales file",
    description="PUT the CSV to `url` before `expires_at`. The object lands under the same "
    "key scheme as a multipart upload, so its creation invokes the variance Lambda; follow it "
    "at status_url. S3 cannot cap a presigned PUT's size: a file over max_bytes is refused "
    "by the Lambda (file_too_large) without being read.",
)
def upload_url(
    body: UploadUrlRequest,
    c: Container = Depends(get_container),
    caller: Caller = Depends(requires(Role.PLANNER)),
) -> UploadUrl:
    presigned = in_season.create_upload_url(c, body.forecast_id, body.week_number, caller=caller)
    upload = presigned.upload
    return UploadUrl(
        upload_id=upload.upload_id,
        forecast_id=upload.forecast_id,
        week_number=upload.week,
        url=presigned.url,
        key=upload.key,
        expires_at=presigned.expires_at,
        max_bytes=c.settings.max_upload_bytes,
        status_url=status_url(upload.forecast_id, upload.upload_id),
        variance_url=variance_url(upload.forecast_id, upload.week),
    )


@router.get(
    "/api/data/uploads/{forecast_id}/{upload_id}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=WeeklyUploadView,
    responses={404: {"model": ErrorResponse, "description": "Unknown upload"}},
    summary="Status of a weekly sales upload (awaiting_file, processing, accepted, rejected)",
)
def get_upload(
    forecast_id: ForecastId, upload_id: UploadId, c: Container = Depends(get_container)
) -> WeeklyUploadView:
    outcome = in_season.upload_status(c, forecast_id, upload_id)
    return WeeklyUploadView.of(outcome.upload, outcome.variance)


# -- categories and stores ---------------------------------------------------------------------


@router.get(
    "/api/categories",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=CategoryList,
    responses={503: _ERRORS[503]},
    summary="Categories with sales history: rows, stores and date range",
)
def list_categories(c: Container = Depends(get_container)) -> CategoryList:
    return CategoryList(
        items=[
            CategoryView(
                category_id=summary.category,
                name=summary.category.replace("_", " ").replace("-", " ").title(),
                rows=summary.rows,
                stores=summary.stores,
                weeks=summary.weeks,
                date_range=DateRange(
                    start=summary.first_week, end=summary.last_week + dt.timedelta(days=6)
                ),
            )
            for summary in sales_data.list_categories(c)
        ]
    )


@router.get(
    "/api/categories/{category_id}/history",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=CategoryHistory,
    responses={
        404: {"model": ErrorResponse, "description": "No history for the category"},
        503: _ERRORS[503],
    },
    summary="A category's weekly units over all stores: the last `weeks` weeks of history",
    description="What the forecast chart draws before the season: the stored history summed "
    "over stores per week (weeks start on Monday; a week without rows counts 0).",
)
def category_history(
    category_id: Annotated[str, Path(pattern=CATEGORY_ID_PATTERN, description="Category id")],
    weeks: Annotated[WholeText, Query(ge=1, le=520, description="How many weeks.")] = 52,
    c: Container = Depends(get_container),
) -> CategoryHistory:
    return CategoryHistory(
        category_id=category_id,
        weeks=[
            HistoryWeek(week_start=start, units=round(units, 2))
            for start, units in sales_data.weekly_units(c, category_id, weeks)
        ],
    )


def _source(forecast: ForecastRecord | None, category_id: str | None) -> tuple[Any, str]:
    if forecast is None:
        scope = f" of category {category_id}" if category_id else ""
        return None, NO_CLUSTERS_NOTE.replace("No forecast yet", f"No forecast{scope} yet")
    source = ClusteringSource(
        forecast_id=forecast.forecast_id,
        category_id=forecast.category_id,
        created_at=forecast.created_at,
        silhouette=forecast.silhouette,
    )
    note = (
        f"Clusters of the latest forecast ({forecast.category_id}, "
        f"{forecast.created_at.date().isoformat()}); pass ?category_id= for another category's."
    )
    return source, note


CategoryFilter = Annotated[
    str | None,
    Query(pattern=CATEGORY_ID_PATTERN, description="Use the latest forecast of this category."),
]


@router.get(
    "/api/stores",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=StoreList,
    responses={503: _ERRORS[503]},
    summary="Stores with their attributes and cluster (from the latest forecast)",
    description="Clusters are computed by the Demand agent for each forecast; this shows the "
    "clustering of the latest forecast (of `category_id` when given). With no forecast yet "
    "the cluster fields are null and `note` says so.",
)
def list_stores(
    category_id: CategoryFilter = None, c: Container = Depends(get_container)
) -> StoreList:
    stores, forecast = sales_data.list_stores(c, category_id)
    factors = {s.store_id: s for s in forecast.stores} if forecast else {}
    items = []
    for row in stores:
        factor = factors.get(str(row["store_id"]))
        items.append(
            StoreView(
                store_id=row["store_id"],
                store_name=row["store_name"],
                region=row["region"],
                store_size_sqft=int(float(row["store_size_sqft"])),
                median_income=float(row["median_income"]),
                location_tier=row["location_tier"],
                fashion_tier=row["fashion_tier"],
                store_format=row["store_format"],
                cluster_id=factor.cluster_id if factor else None,
                cluster_name=factor.cluster_name if factor else None,
                store_factor=round(factor.store_factor, 6) if factor else None,
            )
        )
    source, note = _source(forecast, category_id)
    return StoreList(items=items, clustering=source, note=note)


@router.get(
    "/api/stores/clusters",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=ClusterList,
    responses={503: _ERRORS[503]},
    summary="Store clusters of the latest forecast: size, sales share, silhouette",
)
def list_clusters(
    category_id: CategoryFilter = None, c: Container = Depends(get_container)
) -> ClusterList:
    forecast = sales_data.latest_forecast(c, category_id)
    clusters = forecast.clusters if forecast else []
    silhouette = forecast.silhouette if forecast else None
    items = [
        ClusterView(
            cluster_id=c.cluster_id,
            name=c.name,
            store_count=c.store_count,
            share=c.share,
            silhouette=silhouette,
        )
        for c in clusters
    ]
    source, note = _source(forecast, category_id)
    return ClusterList(items=items, clustering=source, note=note)
