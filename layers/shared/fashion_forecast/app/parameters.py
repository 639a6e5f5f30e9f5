"""Season parameters from a planner's plain words: the language model when one is configured,
else (or when it fails, refuses or answers something invalid) the deterministic rules
(extraction.rules). Neither the key nor the text is ever logged."""

from __future__ import annotations

import datetime as dt
import time

from aws_lambda_powertools import Logger

from fashion_forecast.extraction.models import (
    MAX_TEXT_CHARS,
    ExtractionResult,
    InvalidExtractionInput,
)
from fashion_forecast.extraction.rules import extract_with_rules
from fashion_forecast.ports import LanguageModelUnavailable, SeasonLanguageModel

logger = Logger(service="fashion-forecast-api", child=True)


def extract_parameters(
    model: SeasonLanguageModel, text: str, today: dt.date | None = None
) -> ExtractionResult:
    """Raises InvalidParametersError when the text states values SeasonParameters refuses,
    InvalidExtractionInput for blank or over-long text."""
    if not text or not text.strip():
        raise InvalidExtractionInput("text must not be blank", details=[{"field": "text"}])
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidExtractionInput(
            f"text is {len(text)} characters; the limit is {MAX_TEXT_CHARS}",
            details=[{"field": "text", "message": f"at most {MAX_TEXT_CHARS} characters"}],
        )
    today = today or dt.date.today()
    started = time.perf_counter()
    try:
        result = model.extract(text, today)
    except LanguageModelUnavailable as exc:
        if exc.attempted:
            logger.warning(
                "OpenAI extraction failed; falling back to rules",
                extra={"reason": exc.reason, "cause": type(exc.__cause__).__name__},
            )
            note = f"The OpenAI path failed ({exc.reason}); answered by the deterministic rules."
        else:
            note = f"Answered by the deterministic rules: {exc.reason}."
        result = extract_with_rules(text, today, notes=[note])
    _log_result(result, len(text), started)
    return result


def _log_result(result: ExtractionResult, text_chars: int, started: float) -> None:
    logger.info(
        "parameters extracted",
        extra={
            "source": result.source,
            "text_chars": text_chars,
            "overall_confidence": result.confidence.overall.value,
            "missing_fields": result.missing_fields,
            "questions": len(result.clarification_questions),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
