"""Season parameters: the one model every entry point validates against (docs/domain.md,
"Season parameters")."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fashion_forecast.constants import (
    DEFAULT_DC_HOLDBACK,
    DEFAULT_HORIZON_WEEKS,
    DEFAULT_MARKDOWN_THRESHOLD,
    DEFAULT_VARIANCE_THRESHOLD,
    MAX_HORIZON_WEEKS,
)
from fashion_forecast.models.inputs import InputDate, RealNumber, WholeNumber


class ReplenishmentStrategy(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    BI_WEEKLY = "bi-weekly"


def next_monday(today: dt.date | None = None) -> dt.date:
    """The Monday strictly after `today` (a Monday today gives the following Monday)."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


class SeasonParameters(BaseModel):
    """Parameters of one retail season. Defaults follow docs/domain.md."""

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

    forecast_horizon_weeks: WholeNumber = Field(
        DEFAULT_HORIZON_WEEKS,
        ge=1,
        le=MAX_HORIZON_WEEKS,
        description="Length of the weekly forecast.",
    )
    season_start_date: InputDate = Field(
        default_factory=next_monday, description="Week 1 starts here (default: next Monday)."
    )
    replenishment_strategy: ReplenishmentStrategy = Field(
        ReplenishmentStrategy.WEEKLY,
        description="none: no replenishment plan, higher safety stock.",
    )
    dc_holdback_percentage: RealNumber = Field(
        DEFAULT_DC_HOLDBACK,
        ge=0.0,
        le=1.0,
        description="Share of the order kept at the DC at week 0.",
    )
    markdown_checkpoint_week: WholeNumber | None = Field(
        None,
        ge=1,
        le=MAX_HORIZON_WEEKS,
        description="Week of the markdown check; null: Pricing never runs.",
    )
    markdown_threshold: RealNumber = Field(
        DEFAULT_MARKDOWN_THRESHOLD,
        ge=0.0,
        le=1.0,
        description="Target sell-through at the checkpoint.",
    )
    variance_threshold: RealNumber = Field(
        DEFAULT_VARIANCE_THRESHOLD,
        ge=0.0,
        le=1.0,
        description="Re-forecast when |cumulative variance| exceeds it.",
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


class SeasonRequest(SeasonParameters):
    """Season parameters as a planner sends them: `season_start_date` may be left out, and the
    workflow then chooses it from the category's history (docs/domain.md, "Season start")."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=SeasonParameters.model_config.get("json_schema_extra"),
    )

    season_start_date: InputDate | None = Field(  # type: ignore[assignment]
        None,
        description="Week 1 starts here. Omitted: next Monday, or the Monday after the "
        "category's history ends when next Monday is too far from it to forecast.",
    )

    def with_start(self, start: dt.date) -> SeasonParameters:
        return SeasonParameters.model_validate({**self.model_dump(), "season_start_date": start})


# The three reference scenarios of docs/domain.md (start date left to the caller).
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
