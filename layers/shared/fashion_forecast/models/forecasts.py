"""Stored forecast records (written by the Demand agent, read by re-forecasts and the API)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from fashion_forecast.models.parameters import SeasonParameters

FORECAST = "forecast"


class ForecastWeek(BaseModel):
    week: int = Field(ge=1, le=52)
    week_start: dt.date
    forecast: float = Field(ge=0)
    lower: float = Field(ge=0)
    upper: float = Field(ge=0)


class ForecastRecord(BaseModel):
    forecast_id: str
    workflow_id: str
    category_id: str
    parameters: SeasonParameters
    created_at: dt.datetime
    weekly: list[ForecastWeek] = Field(default_factory=list)
    total_demand: float = Field(0, ge=0)
    method_weights: dict[str, float] = Field(default_factory=dict)
    backtest: dict[str, float] = Field(default_factory=dict)
    version: int = Field(1, ge=1)
