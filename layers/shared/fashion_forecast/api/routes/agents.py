"""The planning engine without a workflow: forecast a series, size and allocate an order,
analyse a markdown. Forecast and allocation run in the Demand Lambda (they need pandas,
Prophet and scikit-learn, which the API function does not carry); the markdown analysis is
pure arithmetic and runs here."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ErrorResponse
from fashion_forecast.api.management_schemas import AgentList, AgentView
from fashion_forecast.app import catalogue, engine
from fashion_forecast.constants import (
    CATEGORY_ID_PATTERN,
    DEFAULT_MARKDOWN_THRESHOLD,
    MAX_ELASTICITY,
    MAX_ORDER_UNITS,
    MIN_ELASTICITY,
    SAFETY_STOCK_OVERRIDE_MAX,
    SAFETY_STOCK_OVERRIDE_MIN,
    STORE_ID_PATTERN,
)
from fashion_forecast.models.identity import Caller, Role
from fashion_forecast.models.inputs import InputDate, RealNumber, Units, WholeNumber
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.ports import Container

router = APIRouter(prefix="/api/agents", tags=["agents"])

MAX_HISTORY_WEEKS = 520
MAX_STORES = 2000
_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Invalid input or refused by the engine"},
    503: {"model": ErrorResponse, "description": "The Demand function could not run"},
}


class HistoryPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week_start: InputDate
    units: Units


class DemandForecastRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "history": [
                        {
                            "week_start": str(dt.date(2024, 1, 1) + dt.timedelta(weeks=i)),
                            "units": 1000 + 40 * (i % 13),
                        }
                        for i in range(30)
                    ],
                    "horizon_weeks": 12,
                }
            ]
        },
    )

    history: list[HistoryPoint] = Field(
        min_length=1,
        max_length=MAX_HISTORY_WEEKS,
        description="Weekly units, every 7 days, at least 26 weeks.",
    )
    horizon_weeks: WholeNumber = Field(ge=1, le=52)


class WeeklyPoint(BaseModel):
    week_start: dt.date
    forecast: float
    lower: float
    upper: float


class DemandForecastResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "weekly": [
                        {
                            "week_start": "2024-07-01",
                            "forecast": 1410.2,
                            "lower": 1302.5,
                            "upper": 1517.9,
                        }
                    ],
                    "total": 16922.4,
                    "method_weights": {"seasonal_naive": 0.3, "prophet": 0.2, "arima": 0.5},
                    "backtest": {"seasonal_naive": 0.061, "prophet": 0.09, "arima": 0.037},
                    "dropped": {},
                }
            ]
        }
    )

    weekly: list[WeeklyPoint]
    total: float
    method_weights: dict[str, float]
    backtest: dict[str, float] = Field(description="Mean WAPE over the rolling origins.")
    dropped: dict[str, str] = Field(description="Members that failed, with the reason.")


class StoreInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: str = Field(pattern=STORE_ID_PATTERN)
    store_name: str = Field("", max_length=100)
    region: str = Field(min_length=1, max_length=50)
    store_size_sqft: RealNumber = Field(gt=0, le=10_000_000)
    median_income: RealNumber = Field(gt=0, le=10_000_000)
    location_tier: str = Field(pattern=r"^[ABCabc]$")
    fashion_tier: str = Field(pattern=r"^(?i:premium|mainstream|value)$")
    store_format: str = Field(pattern=r"^(?i:mall|standalone|shoppingcenter|outlet)$")
    weekly_sales: Units = Field(description="Average weekly units (sales level, share).")


class AllocateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "season_demand": 8000,
                    "parameters": {
                        "forecast_horizon_weeks": 12,
                        "replenishment_strategy": "weekly",
                        "dc_holdback_percentage": 0.45,
                    },
                }
            ]
        },
    )

    season_demand: RealNumber | None = Field(None, gt=0, le=MAX_ORDER_UNITS)
    weekly_forecast: list[Units] | None = Field(None, min_length=1, max_length=52)
    parameters: SeasonParameters = Field(default_factory=SeasonParameters)
    safety_stock_pct: RealNumber | None = Field(
        None, ge=float(SAFETY_STOCK_OVERRIDE_MIN), le=float(SAFETY_STOCK_OVERRIDE_MAX)
    )
    category_id: str | None = Field(None, pattern=CATEGORY_ID_PATTERN)
    stores: list[StoreInput] | None = Field(None, min_length=3, max_length=MAX_STORES)

    @model_validator(mode="after")
    def _one_demand(self) -> AllocateRequest:
        if (self.season_demand is None) == (self.weekly_forecast is None):
            raise ValueError("give exactly one of season_demand or weekly_forecast")
        if sum(self.weekly_forecast or []) > MAX_ORDER_UNITS:
            raise ValueError(f"weekly_forecast sums to more than {MAX_ORDER_UNITS:,} units")
        if self.stores and len({s.store_id for s in self.stores}) != len(self.stores):
            raise ValueError("store_id values must be unique")
        return self


class StoreAllocationView(BaseModel):
    store_id: str
    cluster_id: int
    cluster_name: str
    quantity: int


class AllocateResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "season_demand": 8000,
                    "manufacturing_qty": 9600,
                    "safety_stock_pct": 0.2,
                    "initial_allocation": 5280,
                    "holdback": 4320,
                    "store_allocations": [
                        {
                            "store_id": "S001",
                            "cluster_id": 0,
                            "cluster_name": "Fashion_Forward",
                            "quantity": 161,
                        }
                    ],
                    "clusters": [
                        {
                            "cluster_id": 0,
                            "name": "Fashion_Forward",
                            "store_count": 14,
                            "share": 0.48,
                        }
                    ],
                    "silhouette": 0.29,
                }
            ]
        }
    )

    season_demand: float
    manufacturing_qty: int
    safety_stock_pct: float
    initial_allocation: int
    holdback: int
    store_allocations: list[StoreAllocationView]
    clusters: list[dict[str, Any]]
    silhouette: float | None


class PricingRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"sold_to_date": 5500, "manufacturing_qty": 10000, "markdown_threshold": 0.6},
                {
                    "sold_to_date": 3000,
                    "manufacturing_qty": 15000,
                    "markdown_threshold": 0.6,
                    "remaining_forecast": 4500,
                    "category_id": "womens_dresses",
                },
            ]
        },
    )

    sold_to_date: Units
    manufacturing_qty: WholeNumber = Field(
        ge=1, le=MAX_ORDER_UNITS, description="Units ordered and approved."
    )
    markdown_threshold: RealNumber = Field(
        DEFAULT_MARKDOWN_THRESHOLD, ge=0.0, le=1.0, description="Season-end sell-through target."
    )
    elasticity: RealNumber | None = Field(
        None,
        ge=MIN_ELASTICITY,
        le=MAX_ELASTICITY,
        description="Used as given; omitted: the category's estimate, else the default 2.0.",
    )
    remaining_forecast: Units = Field(
        0,
        description="Units still planned after the checkpoint; enters the projection "
        "(sold + remaining) / ordered and the stock cap. 0: the sell-through to date.",
    )
    category_id: str | None = Field(
        None,
        pattern=CATEGORY_ID_PATTERN,
        description="Estimate the elasticity from this category's history as the Pricing "
        "step does (log-log fit shrunk toward 2.0 by its R^2), unless `elasticity` is given.",
    )


class PricingResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sell_through": 0.55,
                    "gap": 0.05,
                    "recommended_markdown_pct": 0.1,
                    "stock_cap_pct": None,
                    "expected_lift": 0.2,
                    "elasticity": 2.0,
                    "elasticity_source": "default",
                    "elasticity_estimate": None,
                    "elasticity_r_squared": None,
                    "reasoning": "Projected season-end sell-through is 55.0% (5,500 sold + 0 "
                    "still planned, of 10,000 units ordered and approved) against a 60.0% "
                    "target; the gap of 5.0 points x elasticity 2 = 10.0%, ...",
                }
            ]
        }
    )

    sell_through: float = Field(description="Projected: (sold + remaining) / ordered.")
    gap: float
    recommended_markdown_pct: float
    stock_cap_pct: float | None = Field(
        None, description="Deepest markdown whose lifted remaining demand fits the stock."
    )
    expected_lift: float
    elasticity: float = Field(description="The elasticity used.")
    elasticity_source: Literal["request", "category_estimate", "default"]
    elasticity_estimate: float | None = Field(None, description="The fit, before shrinkage.")
    elasticity_r_squared: float | None = None
    reasoning: str


@router.post(
    "/demand/forecast",
    response_model=DemandForecastResponse,
    responses=_ERRORS,
    summary="Forecast a weekly series with the ensemble (80% interval, backtest weights)",
)
def demand_forecast(
    body: DemandForecastRequest,
    c: Container = Depends(get_container),
    _: Caller = Depends(requires(Role.PLANNER)),
) -> Any:
    history = [p.model_dump(mode="json") for p in body.history]
    return engine.forecast_series(c, history, body.horizon_weeks)


@router.post(
    "/inventory/allocate",
    response_model=AllocateResponse,
    responses=_ERRORS,
    summary="Size the order and allocate it to store clusters and stores",
    description="With `stores` the request's stores are clustered (their weekly_sales stand "
    "for their sales level); without, the stores on record with their sales history. With "
    "neither: 422.",
)
def inventory_allocate(
    body: AllocateRequest,
    c: Container = Depends(get_container),
    _: Caller = Depends(requires(Role.PLANNER)),
) -> Any:
    return engine.allocate_order(c, body.model_dump(mode="json"))


@router.post(
    "/pricing/analyze",
    response_model=PricingResponse,
    responses={422: _ERRORS[422]},
    summary="Projected sell-through, markdown recommendation and expected lift",
    description="Projected season-end sell-through = (sold_to_date + remaining_forecast) / "
    "manufacturing_qty against markdown_threshold; markdown = min(gap x elasticity, 40%) to "
    "the nearest 5%, capped so remaining_forecast x (1 + elasticity x markdown) fits the units "
    "still available. There is no season here, so the no-markdown-above-plan rule of the "
    "Pricing step does not apply.",
)
def pricing_analyze(
    body: PricingRequest,
    c: Container = Depends(get_container),
    _: Caller = Depends(requires(Role.PLANNER)),
) -> PricingResponse:
    result, estimate = engine.pricing_analysis(
        c,
        sold_to_date=body.sold_to_date,
        manufacturing_qty=body.manufacturing_qty,
        markdown_threshold=body.markdown_threshold,
        elasticity=body.elasticity,
        remaining_forecast=body.remaining_forecast,
        category_id=body.category_id,
    )
    source: Literal["request", "category_estimate", "default"] = (
        "request"
        if body.elasticity is not None
        else "category_estimate"
        if estimate is not None
        else "default"
    )
    reasoning = result.reasoning
    if estimate is not None:
        reasoning += f" Elasticity: {estimate.reason}."
    return PricingResponse(
        sell_through=result.sell_through,
        gap=result.gap,
        recommended_markdown_pct=result.markdown_pct,
        stock_cap_pct=result.stock_cap_pct,
        expected_lift=result.expected_lift,
        elasticity=result.elasticity,
        elasticity_source=source,
        elasticity_estimate=None if estimate is None else estimate.estimate,
        elasticity_r_squared=None if estimate is None else estimate.r_squared,
        reasoning=reasoning,
    )


# -- the registry: what each agent runs with and how it has been doing -----------------------

_REGISTRY_ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Lambda or Step Functions unavailable"},
}


@router.get(
    "",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=AgentList,
    responses=_REGISTRY_ERRORS,
    summary="The Demand, Inventory and Pricing agents: configuration and recent health",
    description="Each agent's function as Lambda has it deployed (timeout, memory), the "
    "deployed state machine's steps that invoke it with their retry policies, and figures "
    f"from the agent's steps in the latest {catalogue.RECENT_RUNS} workflows' event logs: "
    "runs, errors, last run, last error, p50 and p95 duration (nearest rank).",
)
def list_agents(c: Container = Depends(get_container)) -> AgentList:
    return AgentList(agents=[AgentView.model_validate(a) for a in catalogue.agents(c)])


@router.get(
    "/{name}",
    dependencies=[Depends(requires(Role.VIEWER))],
    response_model=AgentView,
    responses={**_REGISTRY_ERRORS, 404: {"model": ErrorResponse, "description": "No such agent"}},
    summary="One agent: configuration and recent health",
)
def get_agent(
    name: Annotated[str, Path(pattern=r"^[a-z]{1,20}$")], c: Container = Depends(get_container)
) -> AgentView:
    return AgentView.model_validate(catalogue.agent(c, name))
