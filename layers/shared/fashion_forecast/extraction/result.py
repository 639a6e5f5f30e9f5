"""Turn per-field findings (from either path) into a validated ExtractionResult."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fashion_forecast.extraction.models import (
    FIELD_NAMES,
    Confidence,
    ConfidenceReport,
    ExtractionResult,
    FieldConfidences,
    FieldName,
    InvalidParametersError,
    Source,
    field_errors,
)
from fashion_forecast.models.parameters import SeasonParameters, next_monday

DEFAULT_HORIZON = int(SeasonParameters.model_fields["forecast_horizon_weeks"].default)


@dataclass(frozen=True)
class Resolved:
    """A value the text settled, with how sure we are and where it came from."""

    value: Any
    confidence: Confidence
    note: str = ""


def assemble(
    resolved: dict[FieldName, Resolved],
    *,
    today: dt.date,
    source: Source,
    notes: list[str],
    questions: list[str],
) -> ExtractionResult:
    """Fill defaults for unsettled fields, validate, and rate the whole.

    Raises InvalidParametersError when the stated values break SeasonParameters' rules
    (e.g. a 100-week horizon, or a checkpoint after a stated horizon).
    """
    resolved = dict(resolved)
    questions = list(questions)
    checkpoint = resolved.get("markdown_checkpoint_week")
    if (
        checkpoint is not None
        and checkpoint.value is not None
        and "forecast_horizon_weeks" not in resolved
        and checkpoint.value > DEFAULT_HORIZON
    ):
        # The horizon was not settled (unstated or contradictory), so a checkpoint beyond the
        # default horizon is not the planner's error: ask instead of refusing.
        del resolved["markdown_checkpoint_week"]
        questions.append(
            f"The markdown check at week {checkpoint.value} is after the default "
            f"{DEFAULT_HORIZON}-week horizon. How many weeks does the season run?"
        )

    values: dict[str, Any] = {"season_start_date": next_monday(today)}
    confidences: dict[str, Confidence] = {}
    missing: list[FieldName] = []
    for name in FIELD_NAMES:
        found = resolved.get(name)
        if found is None:
            missing.append(name)
            confidences[name] = Confidence.LOW
        else:
            values[name] = found.value
            confidences[name] = found.confidence
    try:
        parameters = SeasonParameters.model_validate(values)
    except ValidationError as exc:
        details = field_errors(list(exc.errors()))
        fields = ", ".join(d["field"] for d in details)
        raise InvalidParametersError(
            f"The text describes season parameters that are not allowed: {fields}",
            details=details,
        ) from exc

    stated = [confidences[name] for name in FIELD_NAMES if name not in missing]
    if questions or not stated:
        overall = Confidence.LOW
    elif any(c is not Confidence.HIGH for c in stated):
        overall = Confidence.MEDIUM
    else:
        overall = Confidence.HIGH

    parts = list(notes)
    parts += [
        resolved[name].note for name in FIELD_NAMES if name in resolved and resolved[name].note
    ]
    if missing:
        parts.append("Defaults used for: " + ", ".join(missing) + ".")
    return ExtractionResult(
        parameters=parameters,
        confidence=ConfidenceReport(
            overall=overall, fields=FieldConfidences.model_validate(confidences)
        ),
        reasoning=" ".join(p.strip() for p in parts if p.strip()),
        missing_fields=missing,
        clarification_questions=_dedupe(questions),
        source=source,
    )


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
