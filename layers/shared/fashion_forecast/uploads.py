"""Weekly sales uploads: the checks the API and the variance Lambda share (light: no pandas).

A weekly file is validated twice on the API path: by the API, so a bad file is refused with
422 before anything is stored, and by the variance Lambda, which is the one path that stores
actuals (it also sees files PUT through a presigned URL, which the API never reads).
"""

from __future__ import annotations

import datetime as dt
import uuid

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.adapters.errors import ConflictError
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.sales_files import (
    FileRejectedError,
    WeeklySalesFile,
    parse_weekly_sales,
)
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.workflows import WorkflowStatus
from fashion_forecast.services import Services


class WeekOutOfSeasonError(DomainError):
    code = "week_out_of_range"


def new_upload_id(now: dt.datetime | None = None) -> str:
    """Sortable by time (a later upload of the same week wins), unique by its random tail."""
    now = now or utcnow()
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


def ready_forecast(services: Services, forecast_id: str) -> ForecastRecord:
    """The forecast weekly sales are uploaded against. NotFoundError when it does not exist;
    ConflictError (forecast_not_ready) until its manufacturing order has been approved."""
    forecast = services.records.get(FORECAST, forecast_id, ForecastRecord)
    workflow = services.workflows.get(forecast.workflow_id)
    if workflow.status is not WorkflowStatus.COMPLETED:
        raise ConflictError(
            f"forecast {forecast_id} is not in season yet: its workflow {workflow.workflow_id} is "
            f"{workflow.status.value}; weekly sales are taken once the order is approved",
            code="forecast_not_ready",
        )
    return forecast


def check_week(forecast: ForecastRecord, week: int) -> None:
    horizon = forecast.parameters.forecast_horizon_weeks
    if not 1 <= week <= horizon:
        raise WeekOutOfSeasonError(
            f"week {week} is outside the season of forecast {forecast.forecast_id} (1..{horizon})",
            details=[{"field": "week_number", "message": f"must be within 1..{horizon}"}],
        )


def parse_weekly_file(
    services: Services, forecast: ForecastRecord, data: bytes, week: int | None
) -> WeeklySalesFile:
    """Validate a weekly file for `forecast` (FileRejectedError when refused). The file must
    have rows for `week`, the week the upload is for; it may also carry earlier weeks."""
    if week is not None:
        check_week(forecast, week)
    parsed = parse_weekly_sales(
        data,
        horizon_weeks=forecast.parameters.forecast_horizon_weeks,
        known_stores=services.sales.store_ids(),
        category=forecast.category_id,
        through_week=week,
        max_bytes=services.settings.max_upload_bytes,
    )
    if week is not None and week not in parsed.weeks:
        raise FileRejectedError(
            f"The weekly sales file has no rows for week {week}, the week this upload is for "
            f"(it has week(s) {', '.join(map(str, parsed.weeks))}). Nothing was stored.",
            details=[{"row": None, "column": "week_number", "message": f"no week {week} rows"}],
        )
    return parsed
