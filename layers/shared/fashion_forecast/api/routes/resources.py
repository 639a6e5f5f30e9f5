"""Read the planning results: forecasts (with versions), allocations, markdowns, variance."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from fashion_forecast.api.auth import requires
from fashion_forecast.api.data_schemas import (
    AllocationView,
    ForecastDetail,
    ForecastList,
    ForecastSummary,
    MarkdownView,
    PositionView,
    VarianceList,
    VarianceView,
)
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ErrorResponse
from fashion_forecast.app import results
from fashion_forecast.constants import CATEGORY_ID_PATTERN, ID_PATTERN
from fashion_forecast.models.identity import Role
from fashion_forecast.models.inputs import WholeText
from fashion_forecast.ports import Container

router = APIRouter(tags=["results"])

ForecastId = Annotated[str, Path(pattern=ID_PATTERN, description="Forecast id")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown forecast, or nothing of that kind yet"},
    503: {"model": ErrorResponse, "description": "DynamoDB unavailable"},
}


@router.get(
    "/api/forecasts",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=ForecastList,
    responses={503: _ERRORS[503]},
    summary="List forecasts, newest first",
)
def list_forecasts(
    c: Container = Depends(get_container),
    category_id: Annotated[str | None, Query(pattern=CATEGORY_ID_PATTERN)] = None,
    limit: Annotated[WholeText, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ForecastList:
    page = results.list_forecasts(c, category_id=category_id, limit=limit, cursor=cursor)
    return ForecastList(
        items=[ForecastSummary.of(f) for f in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/api/forecasts/{forecast_id}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=ForecastDetail,
    responses=_ERRORS,
    summary="A forecast: weekly curve with intervals, clusters, weights, backtest, versions",
)
def get_forecast(forecast_id: ForecastId, c: Container = Depends(get_container)) -> Any:
    forecast, actuals, plan_version = results.get_forecast(c, forecast_id)
    return ForecastDetail.of(forecast, actuals, plan_version)


@router.get(
    "/api/allocations/{forecast_id}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=AllocationView,
    responses=_ERRORS,
    summary="The forecast's current manufacturing order and store allocation",
    description="Current = the latest approved allocation (`status` approved): the order in "
    "effect. Before the pre-season order is approved it is that proposal (`status` proposed). "
    "`ordered_approved_qty` is the pre-season order plus every approved extra order, what the "
    "markdown and the next re-plan count. A re-plan's extra order awaiting its approval is "
    "listed in `proposed`; rejected ones (rejected, or their workflow cancelled or failed "
    "before approval) in `rejected`; neither counts. An allocation's `status` is set by its "
    "workflow's outcome: proposed -> approved (accepted, or a re-plan with no extra order) or "
    "rejected.",
)
def get_allocation(forecast_id: ForecastId, c: Container = Depends(get_container)) -> Any:
    current, others, book = results.get_allocation(c, forecast_id)
    return AllocationView.of(current, others, book.ordered_approved_qty)


@router.get(
    "/api/forecasts/{forecast_id}/position",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=PositionView,
    responses=_ERRORS,
    summary="The season's inventory position: ordered, at the DC, shipped and sold per store",
    description="One stored position per season, kept by the in-season use case: every order "
    "with its status (only approved ones count in `ordered_approved`), the units at the DC "
    "after the shipments made (the initial allocation, the top-up reviews, holdback moves), "
    "what each store was shipped and sold in the complete weeks `1..through_week`, the top-up "
    "reviews still to come (`planned_shipments`, re-planned with every upload, re-forecast and "
    "move) and what is planned to remain at the DC at season end, with `warnings` when units "
    "would be stranded. It balances to the unit: `ordered_approved = at_dc + shipped` and, in "
    "total and per store, `shipped = on_hand + sold`. Every re-plan and markdown reads it. "
    "404 before the pre-season order is approved.",
)
def get_position(forecast_id: ForecastId, c: Container = Depends(get_container)) -> Any:
    return PositionView.model_validate(results.get_position(c, forecast_id).model_dump())


@router.get(
    "/api/markdowns/{forecast_id}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=MarkdownView,
    responses=_ERRORS,
    summary="The forecast's markdown recommendation (at its checkpoint week)",
    description="`status`: proposed (awaiting the approver), applied (accepted: the lift is "
    "a version of the curve), rejected (rejected, or its workflow cancelled or failed) or "
    "not_needed (0%: no approval). `sell_through` is the projected season-end sell-through: "
    "(sold to the checkpoint + the plan in effect's remaining weeks) / units ordered and "
    "approved.",
)
def get_markdown(forecast_id: ForecastId, c: Container = Depends(get_container)) -> Any:
    return MarkdownView.model_validate(results.get_markdown(c, forecast_id).model_dump())


@router.get(
    "/api/variance/{forecast_id}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=VarianceList,
    responses=_ERRORS,
    summary="Every week's variance row of a forecast",
)
def list_variance(forecast_id: ForecastId, c: Container = Depends(get_container)) -> Any:
    return VarianceList(
        forecast_id=forecast_id,
        items=[
            VarianceView.model_validate(r.model_dump())
            for r in results.list_variance(c, forecast_id)
        ],
    )


@router.get(
    "/api/variance/{forecast_id}/week/{week}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=VarianceView,
    responses={
        **_ERRORS,
        422: {"model": ErrorResponse, "description": "Week outside the forecast's season"},
    },
    summary="Variance of one week: cumulative forecast vs actual, threshold, action taken",
)
def get_variance(
    forecast_id: ForecastId,
    week: Annotated[WholeText, Path(ge=1, le=52, description="Season week")],
    c: Container = Depends(get_container),
) -> Any:
    return VarianceView.model_validate(results.get_variance(c, forecast_id, week).model_dump())
