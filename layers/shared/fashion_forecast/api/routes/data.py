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
import time
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import JSONResponse

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.adapters.errors import NotFoundError, UnavailableError
from fashion_forecast.adapters.sales_data import WeeklyUploadKey
from fashion_forecast.api.data_schemas import (
    NO_CLUSTERS_NOTE,
    CategoryList,
    CategoryView,
    ClusteringSource,
    ClusterList,
    ClusterView,
    DateRange,
    HistoricalUploadResult,
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
from fashion_forecast.api.deps import get_services
from fashion_forecast.api.errors import ApiError, ErrorResponse
from fashion_forecast.api.schemas import CATEGORY_ID_PATTERN, ID_PATTERN
from fashion_forecast.domain.history import aggregate_weekly
from fashion_forecast.domain.sales_files import (
    parse_historical_sales,
    parse_store_attributes,
)
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.sales import UploadError, UploadStatus, WeeklyUpload
from fashion_forecast.services import Services
from fashion_forecast.uploads import (
    check_week,
    new_upload_id,
    parse_weekly_file,
    ready_forecast,
)

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
    file: UploadFile = HISTORY_FILE, services: Services = Depends(get_services)
) -> HistoricalUploadResult:
    data = _read(file, services.settings.max_upload_bytes)
    parsed = parse_historical_sales(data, max_bytes=services.settings.max_upload_bytes)
    by_category = aggregate_weekly(parsed.rows)
    merged = {c: services.sales.merged_history(c, rows) for c, rows in by_category.items()}
    upload_id = new_upload_id()
    services.sales.save_raw_upload("history", upload_id, data)
    for category, rows in merged.items():
        services.sales.save_category_history(category, rows)
    weeks = {r.week_start for rows in by_category.values() for r in rows}
    return HistoricalUploadResult(
        upload_id=upload_id,
        rows_imported=len(parsed.rows),
        date_range=DateRange(start=parsed.first_date, end=parsed.last_date),
        categories_detected=parsed.categories,
        stores_detected=len(parsed.stores),
        weeks_imported=len(weeks),
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
    file: UploadFile = STORES_FILE, services: Services = Depends(get_services)
) -> StoreAttributesUploadResult:
    data = _read(file, services.settings.max_upload_bytes)
    parsed = parse_store_attributes(data, max_bytes=services.settings.max_upload_bytes)
    upload_id = new_upload_id()
    services.sales.save_raw_upload("stores", upload_id, data)
    services.sales.save_store_attributes(parsed.to_csv())
    return StoreAttributesUploadResult(
        upload_id=upload_id,
        rows_imported=len(parsed.rows),
        regions=sorted({r["region"] for r in parsed.rows}),
        fashion_tiers=dict(sorted(Counter(r["fashion_tier"] for r in parsed.rows).items())),
    )


# -- weekly sales ------------------------------------------------------------------------------


def _wait_final(services: Services, forecast_id: str, upload_id: str) -> WeeklyUpload:
    """The upload once the variance Lambda has finished with it, or as it is after the wait."""
    deadline = time.monotonic() + services.settings.weekly_upload_wait_seconds
    delay = 0.05
    while True:
        upload = services.in_season.get_upload(forecast_id, upload_id)
        if upload.status.is_final or time.monotonic() >= deadline:
            return upload
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _variance_of(services: Services, upload: WeeklyUpload) -> Any:
    try:
        return services.in_season.get_variance(upload.forecast_id, upload.week)
    except NotFoundError:
        return None


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
    week_number: int | None = Form(None, ge=1, le=52, examples=[6]),
    services: Services = Depends(get_services),
) -> Any:
    data = _read(file, services.settings.max_upload_bytes)
    forecast = ready_forecast(services, forecast_id)
    parsed = parse_weekly_file(services, forecast, data, week_number)
    ref = WeeklyUploadKey(forecast_id, week_number or max(parsed.weeks), new_upload_id())
    upload = WeeklyUpload(
        upload_id=ref.upload_id,
        forecast_id=forecast_id,
        week=ref.week,
        bucket=services.sales.bucket,
        key=ref.key,
        source="api",
        status=UploadStatus.PROCESSING,
        created_at=utcnow(),
        size_bytes=len(data),
    )
    services.in_season.create_upload(upload)
    try:
        services.sales.put_weekly_upload(ref, data)
    except UnavailableError as exc:
        failed = upload.model_copy(
            update={
                "status": UploadStatus.REJECTED,
                "error": UploadError(error_code="service_unavailable", message=exc.message),
                "revision": upload.revision + 1,
            }
        )
        services.in_season.save_upload(failed)
        raise
    final = _wait_final(services, forecast_id, ref.upload_id)
    if final.status is UploadStatus.REJECTED and final.error is not None:
        raise ApiError(422, final.error.error_code, final.error.message, final.error.details)
    if not final.status.is_final:
        pending = WeeklyUploadPending(
            upload_id=ref.upload_id,
            forecast_id=forecast_id,
            week_number=ref.week,
            status=final.status,
            message="The file is stored; its variance is being computed. Poll status_url.",
            status_url=status_url(forecast_id, ref.upload_id),
            variance_url=variance_url(forecast_id, ref.week),
        )
        return JSONResponse(status_code=202, content=pending.model_dump(mode="json"))
    return WeeklyUploadView.of(final, _variance_of(services, final))


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
def upload_url(body: UploadUrlRequest, services: Services = Depends(get_services)) -> UploadUrl:
    forecast = ready_forecast(services, body.forecast_id)
    check_week(forecast, body.week_number)
    ref = WeeklyUploadKey(body.forecast_id, body.week_number, new_upload_id())
    now = utcnow()
    services.in_season.create_upload(
        WeeklyUpload(
            upload_id=ref.upload_id,
            forecast_id=body.forecast_id,
            week=body.week_number,
            bucket=services.sales.bucket,
            key=ref.key,
            source="presigned_url",
            status=UploadStatus.AWAITING_FILE,
            created_at=now,
        )
    )
    expires_in = services.settings.upload_url_expiry_seconds
    return UploadUrl(
        upload_id=ref.upload_id,
        forecast_id=body.forecast_id,
        week_number=body.week_number,
        url=services.sales.weekly_upload_url(ref, expires_in),
        key=ref.key,
        expires_at=now + dt.timedelta(seconds=expires_in),
        max_bytes=services.settings.max_upload_bytes,
        status_url=status_url(body.forecast_id, ref.upload_id),
        variance_url=variance_url(body.forecast_id, body.week_number),
    )


@router.get(
    "/api/data/uploads/{forecast_id}/{upload_id}",
    response_model=WeeklyUploadView,
    responses={404: {"model": ErrorResponse, "description": "Unknown upload"}},
    summary="Status of a weekly sales upload (awaiting_file, processing, accepted, rejected)",
)
def get_upload(
    forecast_id: ForecastId, upload_id: UploadId, services: Services = Depends(get_services)
) -> WeeklyUploadView:
    upload = services.in_season.get_upload(forecast_id, upload_id)
    return WeeklyUploadView.of(upload, _variance_of(services, upload) if upload.weeks else None)


# -- categories and stores ---------------------------------------------------------------------


@router.get(
    "/api/categories",
    response_model=CategoryList,
    responses={503: _ERRORS[503]},
    summary="Categories with sales history: rows, stores and date range",
)
def list_categories(services: Services = Depends(get_services)) -> CategoryList:
    items = []
    for category in services.sales.categories():
        summary = services.sales.category_summary(category)
        items.append(
            CategoryView(
                category_id=category,
                name=category.replace("_", " ").replace("-", " ").title(),
                rows=summary.rows,
                stores=summary.stores,
                weeks=(summary.last_week - summary.first_week).days // 7 + 1,
                date_range=DateRange(
                    start=summary.first_week, end=summary.last_week + dt.timedelta(days=6)
                ),
            )
        )
    return CategoryList(items=items)


def _latest_forecast(services: Services, category_id: str | None) -> ForecastRecord | None:
    items, _ = services.records.list_recent(
        FORECAST, ForecastRecord, limit=1, category_id=category_id
    )
    return items[0] if items else None


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
    response_model=StoreList,
    responses={503: _ERRORS[503]},
    summary="Stores with their attributes and cluster (from the latest forecast)",
    description="Clusters are computed by the Demand agent for each forecast; this shows the "
    "clustering of the latest forecast (of `category_id` when given). With no forecast yet "
    "the cluster fields are null and `note` says so.",
)
def list_stores(
    category_id: CategoryFilter = None, services: Services = Depends(get_services)
) -> StoreList:
    forecast = _latest_forecast(services, category_id)
    factors = {s.store_id: s for s in forecast.stores} if forecast else {}
    items = []
    for row in services.sales.store_attributes():
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
    response_model=ClusterList,
    responses={503: _ERRORS[503]},
    summary="Store clusters of the latest forecast: size, sales share, silhouette",
)
def list_clusters(
    category_id: CategoryFilter = None, services: Services = Depends(get_services)
) -> ClusterList:
    forecast = _latest_forecast(services, category_id)
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
