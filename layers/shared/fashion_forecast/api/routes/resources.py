"""Read the planning results: forecasts (with versions), allocations, markdowns, variance."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from fashion_forecast.adapters.errors import NotFoundError
from fashion_forecast.adapters.workflow_store import InvalidCursorError
from fashion_forecast.api.data_schemas import (
    AllocationView,
    ForecastDetail,
    ForecastList,
    ForecastSummary,
    MarkdownView,
    VarianceList,
    VarianceView,
)
from fashion_forecast.api.deps import get_services
from fashion_forecast.api.errors import ApiError, ErrorResponse
from fashion_forecast.api.schemas import CATEGORY_ID_PATTERN, ID_PATTERN
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ForecastRecord,
    MarkdownRecord,
)
from fashion_forecast.services import Services

router = APIRouter(tags=["results"])

ForecastId = Annotated[str, Path(pattern=ID_PATTERN, description="Forecast id")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown forecast, or nothing of that kind yet"},
    503: {"model": ErrorResponse, "description": "DynamoDB unavailable"},
}


def _forecast(services: Services, forecast_id: str) -> ForecastRecord:
    return services.records.get(FORECAST, forecast_id, ForecastRecord)


@router.get(
    "/api/forecasts",
    response_model=ForecastList,
    responses={503: _ERRORS[503]},
    summary="List forecasts, newest first",
)
def list_forecasts(
    services: Services = Depends(get_services),
    category_id: Annotated[str | None, Query(pattern=CATEGORY_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ForecastList:
    try:
        items, next_cursor = services.records.list_recent(
            FORECAST, ForecastRecord, limit=limit, cursor=cursor, category_id=category_id
        )
    except InvalidCursorError as exc:
        raise ApiError(
            422, "invalid_cursor", "cursor is not valid", [{"field": "cursor", "message": str(exc)}]
        ) from exc
    return ForecastList(items=[ForecastSummary.of(f) for f in items], next_cursor=next_cursor)


@router.get(
    "/api/forecasts/{forecast_id}",
    response_model=ForecastDetail,
    responses=_ERRORS,
    summary="A forecast: weekly curve with intervals, clusters, weights, backtest, versions",
)
def get_forecast(forecast_id: ForecastId, services: Services = Depends(get_services)) -> Any:
    forecast = _forecast(services, forecast_id)
    actuals = {
        week: float(a.total_units)
        for week, a in services.in_season.list_actuals(forecast_id).items()
    }
    return ForecastDetail.of(forecast, actuals)


@router.get(
    "/api/allocations/{forecast_id}",
    response_model=AllocationView,
    responses=_ERRORS,
    summary="The forecast's current manufacturing order and store allocation",
)
def get_allocation(forecast_id: ForecastId, services: Services = Depends(get_services)) -> Any:
    forecast = _forecast(services, forecast_id)
    if forecast.allocation_id is None:
        raise NotFoundError(f"forecast {forecast_id} has no allocation yet")
    allocation = services.records.get(ALLOCATION, forecast.allocation_id, AllocationRecord)
    return AllocationView.model_validate(allocation.model_dump())


@router.get(
    "/api/markdowns/{forecast_id}",
    response_model=MarkdownView,
    responses=_ERRORS,
    summary="The forecast's markdown recommendation (at its checkpoint week)",
)
def get_markdown(forecast_id: ForecastId, services: Services = Depends(get_services)) -> Any:
    forecast = _forecast(services, forecast_id)
    if forecast.markdown_id is None:
        raise NotFoundError(f"forecast {forecast_id} has no markdown yet")
    markdown = services.records.get(MARKDOWN, forecast.markdown_id, MarkdownRecord)
    return MarkdownView.model_validate(markdown.model_dump())


@router.get(
    "/api/variance/{forecast_id}",
    response_model=VarianceList,
    responses=_ERRORS,
    summary="Every week's variance row of a forecast",
)
def list_variance(forecast_id: ForecastId, services: Services = Depends(get_services)) -> Any:
    _forecast(services, forecast_id)
    rows = services.in_season.list_variance(forecast_id)
    return VarianceList(
        forecast_id=forecast_id,
        items=[VarianceView.model_validate(rows[w].model_dump()) for w in sorted(rows)],
    )


@router.get(
    "/api/variance/{forecast_id}/week/{week}",
    response_model=VarianceView,
    responses={
        **_ERRORS,
        422: {"model": ErrorResponse, "description": "Week outside the forecast's season"},
    },
    summary="Variance of one week: cumulative forecast vs actual, threshold, action taken",
)
def get_variance(
    forecast_id: ForecastId,
    week: Annotated[int, Path(ge=1, le=52, description="Season week")],
    services: Services = Depends(get_services),
) -> Any:
    forecast = _forecast(services, forecast_id)
    horizon = forecast.parameters.forecast_horizon_weeks
    if week > horizon:
        raise ApiError(
            422,
            "week_out_of_range",
            f"week {week} is outside the season of forecast {forecast_id} (1..{horizon})",
            [{"field": "week", "message": f"must be within 1..{horizon}"}],
        )
    try:
        row = services.in_season.get_variance(forecast_id, week)
    except NotFoundError as exc:
        raise NotFoundError(
            f"no variance for week {week} of forecast {forecast_id} yet: no sales uploaded "
            "for that week, or its upload is still being processed"
        ) from exc
    return VarianceView.model_validate(row.model_dump())
