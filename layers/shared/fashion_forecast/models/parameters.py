"""Season parameters: the one model every entry point validates against (DOMAIN.md)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ReplenishmentStrategy(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    BI_WEEKLY = "bi-weekly"


def next_monday(today: dt.date | None = None) -> dt.date:
    """The Monday strictly after `today` (a Monday today gives the following Monday)."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


class SeasonParameters(BaseModel):
    """Parameters of one retail season. Defaults follow DOMAIN.md."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "forecast_horizon_weeks": 12,
                    "season_start_date": "2026-03-02",
                    "replenishment_strategy": "none",
                    "dc_holdback_percentage": 0.0,
                    "markdown_checkpoint_week": 6,
                    "markdown_threshold": 0.6,
                    "variance_threshold": 0.2,
                }
            ]
        },
    )

    forecast_horizon_weeks: int = Field(
        12, ge=1, le=52, description="Length of the weekly forecast."
    )
    season_start_date: dt.date = Field(
        default_factory=next_monday, description="Week 1 starts here (default: next Monday)."
    )
    replenishment_strategy: ReplenishmentStrategy = Field(
        ReplenishmentStrategy.WEEKLY,
        description="none: no replenishment plan, higher safety stock.",
    )
    dc_holdback_percentage: float = Field(
        0.45, ge=0.0, le=1.0, description="Share of the order kept at the DC at week 0."
    )
    markdown_checkpoint_week: int | None = Field(
        None, ge=1, le=52, description="Week of the markdown check; null: Pricing never runs."
    )
    markdown_threshold: float = Field(
        0.60, ge=0.0, le=1.0, description="Target sell-through at the checkpoint."
    )
    variance_threshold: float = Field(
        0.20, ge=0.0, le=1.0, description="Re-forecast when |cumulative variance| exceeds it."
    )

    @model_validator(mode="after")
    def _checkpoint_within_horizon(self) -> SeasonParameters:
        week = self.markdown_checkpoint_week
        if week is not None and week > self.forecast_horizon_weeks:
            raise ValueError(
                f"markdown_checkpoint_week ({week}) must be within the horizon "
                f"(1..{self.forecast_horizon_weeks})"
            )
        return self

    @property
    def season_end_date(self) -> dt.date:
        return self.season_start_date + dt.timedelta(weeks=self.forecast_horizon_weeks, days=-1)


# The three reference scenarios of DOMAIN.md (start date left to the caller).
REFERENCE_SCENARIOS: dict[str, dict[str, object]] = {
    "zara": {
        "forecast_horizon_weeks": 12,
        "replenishment_strategy": "none",
        "dc_holdback_percentage": 0.0,
        "markdown_checkpoint_week": 6,
    },
    "standard": {
        "forecast_horizon_weeks": 26,
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 0.45,
        "markdown_checkpoint_week": 12,
    },
    "luxury": {
        "forecast_horizon_weeks": 16,
        "replenishment_strategy": "bi-weekly",
        "dc_holdback_percentage": 0.30,
        "markdown_checkpoint_week": None,
    },
}
