"""Request and response models of POST /api/parameters/extract, and the extraction errors."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.models.inputs import InputDate
from fashion_forecast.models.parameters import SeasonParameters

MAX_TEXT_CHARS = 4000

FieldName = Literal[
    "forecast_horizon_weeks",
    "season_start_date",
    "replenishment_strategy",
    "dc_holdback_percentage",
    "markdown_checkpoint_week",
    "markdown_threshold",
    "variance_threshold",
]
FIELD_NAMES: tuple[FieldName, ...] = (
    "forecast_horizon_weeks",
    "season_start_date",
    "replenishment_strategy",
    "dc_holdback_percentage",
    "markdown_checkpoint_week",
    "markdown_threshold",
    "variance_threshold",
)

Source = Literal["llm", "rules"]


class Confidence(StrEnum):
    """high: stated explicitly; medium: inferred (e.g. "three months", "halfway");
    low: not stated, the default was used."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FieldConfidences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    forecast_horizon_weeks: Confidence
    season_start_date: Confidence
    replenishment_strategy: Confidence
    dc_holdback_percentage: Confidence
    markdown_checkpoint_week: Confidence
    markdown_threshold: Confidence
    variance_threshold: Confidence


class ConfidenceReport(BaseModel):
    overall: Confidence = Field(
        description="low when clarification is needed; medium when any stated value was "
        "inferred; otherwise high."
    )
    fields: FieldConfidences


class ExtractionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "12-week season starting March 2nd, no replenishment, ship "
                    "everything up front, markdown check at week 6",
                    "today": "2026-02-11",
                },
                {"text": "26 weeks, weekly top-ups, hold back 45%, markdown at week 12"},
            ]
        },
    )

    text: str = Field(
        min_length=1,
        description=f"The season in plain words (at most {MAX_TEXT_CHARS} characters; longer "
        "text is refused with 413).",
        json_schema_extra={"maxLength": MAX_TEXT_CHARS},
    )
    today: InputDate | None = Field(
        None,
        description="Reference date for relative dates ('next Monday', 'March 1st' without a "
        "year). Default: the server's current date.",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class ExtractionResult(BaseModel):
    """What the extractor understood, how sure it is, and what it still needs to know."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parameters": {
                        "forecast_horizon_weeks": 12,
                        "season_start_date": "2026-03-02",
                        "replenishment_strategy": "none",
                        "dc_holdback_percentage": 0.0,
                        "markdown_checkpoint_week": 6,
                        "markdown_threshold": 0.6,
                        "variance_threshold": 0.2,
                    },
                    "confidence": {
                        "overall": "high",
                        "fields": {
                            "forecast_horizon_weeks": "high",
                            "season_start_date": "high",
                            "replenishment_strategy": "high",
                            "dc_holdback_percentage": "high",
                            "markdown_checkpoint_week": "high",
                            "markdown_threshold": "low",
                            "variance_threshold": "low",
                        },
                    },
                    "reasoning": "forecast_horizon_weeks=12 from '12-week'. season_start_date="
                    "2026-03-02 from 'march 2nd'. replenishment_strategy=none from 'no "
                    "replenishment'. dc_holdback_percentage=0.0 from 'ship everything up front'."
                    " markdown_checkpoint_week=6 from 'week 6'. Defaults used for: "
                    "markdown_threshold, variance_threshold.",
                    "missing_fields": ["markdown_threshold", "variance_threshold"],
                    "clarification_questions": [],
                    "source": "rules",
                }
            ]
        }
    )

    parameters: SeasonParameters
    confidence: ConfidenceReport
    reasoning: str = Field(description="How each value was found, and any fallback taken.")
    missing_fields: list[FieldName] = Field(
        default_factory=list,
        description="Fields the text did not settle: they hold their defaults.",
    )
    clarification_questions: list[str] = Field(
        default_factory=list,
        description="Questions to ask the planner when the text is vague or contradictory.",
    )
    source: Source = Field(description="Which path answered: the OpenAI model or the rules.")


class InvalidParametersError(DomainError):
    """The text states values outside what SeasonParameters allows (API: 422)."""

    code = "invalid_parameters"


class InvalidExtractionInput(DomainError):
    """Blank or over-long text handed to the service directly (the API checks first)."""

    code = "invalid_text"


def field_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors of SeasonParameters -> [{field, message, type}], no input echoed."""
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        message = str(error.get("msg", ""))
        field = ".".join(loc)
        if not field:  # a model-level rule: name the field it is about
            field = next((name for name in FIELD_NAMES if name in message), "parameters")
        details.append({"field": field, "message": message, "type": error.get("type")})
    return details
