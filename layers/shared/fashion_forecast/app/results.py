"""The planning results as stored: forecasts (with versions and actuals), the current order and
allocation, the markdown, and the variance rows of a season."""

from __future__ import annotations

from fashion_forecast.app.in_season import WeekOutOfSeasonError
from fashion_forecast.app.plan import (
    OrderBook,
    curve_versions,
    markdown_with_status,
    order_book,
)
from fashion_forecast.models.forecasts import (
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ForecastRecord,
    MarkdownRecord,
)
from fashion_forecast.models.sales import InventoryPosition, VarianceRecord
from fashion_forecast.ports import Container, NotFoundError, Page


def list_forecasts(
    c: Container, *, category_id: str | None, limit: int, cursor: str | None
) -> Page[ForecastRecord]:
    return c.records.list_recent(
        FORECAST, ForecastRecord, limit=limit, cursor=cursor, category_id=category_id
    )


def get_forecast(c: Container, forecast_id: str) -> tuple[ForecastRecord, dict[int, float], int]:
    """The forecast, the units sold per season week so far (uploads, then re-forecasts) and
    the version in effect (app.plan)."""
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    uploaded = {w: float(a.total_units) for w, a in c.in_season.list_actuals(forecast_id).items()}
    in_effect = max(v.version for v in curve_versions(forecast))
    return forecast, {**forecast.actuals, **uploaded}, in_effect


def get_allocation(
    c: Container, forecast_id: str
) -> tuple[AllocationRecord, list[AllocationRecord], OrderBook]:
    """The current allocation (the latest approved; before any approval the latest proposed),
    the forecast's other allocations and its order book (app.plan)."""
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    book = order_book(c, forecast)
    current = book.current
    if current is None:
        raise NotFoundError(f"forecast {forecast_id} has no allocation yet")
    others = [a for a in book.allocations if a.allocation_id != current.allocation_id]
    return current, others, book


def get_position(c: Container, forecast_id: str) -> InventoryPosition:
    """The season's stored inventory position (app.plan.refresh_position keeps it)."""
    c.records.get(FORECAST, forecast_id, ForecastRecord)  # NotFoundError for an unknown one
    try:
        return c.in_season.get_position(forecast_id)
    except NotFoundError as exc:
        raise NotFoundError(
            f"forecast {forecast_id} has no inventory position yet: it is stored once the "
            "pre-season order is approved"
        ) from exc


def get_markdown(c: Container, forecast_id: str) -> MarkdownRecord:
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    if forecast.markdown_id is None:
        raise NotFoundError(f"forecast {forecast_id} has no markdown yet")
    return markdown_with_status(c, c.records.get(MARKDOWN, forecast.markdown_id, MarkdownRecord))


def list_variance(c: Container, forecast_id: str) -> list[VarianceRecord]:
    c.records.get(FORECAST, forecast_id, ForecastRecord)  # NotFoundError for an unknown one
    rows = c.in_season.list_variance(forecast_id)
    return [rows[w] for w in sorted(rows)]


def get_variance(c: Container, forecast_id: str, week: int) -> VarianceRecord:
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    horizon = forecast.parameters.forecast_horizon_weeks
    if not 1 <= week <= horizon:
        raise WeekOutOfSeasonError(
            f"week {week} is outside the season of forecast {forecast_id} (1..{horizon})",
            details=[{"field": "week", "message": f"must be within 1..{horizon}"}],
        )
    try:
        return c.in_season.get_variance(forecast_id, week)
    except NotFoundError as exc:
        raise NotFoundError(
            f"no variance for week {week} of forecast {forecast_id} yet: no sales uploaded "
            "for that week, or its upload is still being processed"
        ) from exc
