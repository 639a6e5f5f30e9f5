"""Choose the path (OpenAI or rules), fall back to the rules, never leak the key or the text."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from fashion_forecast.extraction.llm import (
    LLMUnavailable,
    build_client,
    extract_with_llm,
    resolve_api_key,
)
from fashion_forecast.extraction.models import (
    MAX_TEXT_CHARS,
    ExtractionResult,
    InvalidExtractionInput,
)
from fashion_forecast.extraction.rules import extract_with_rules
from fashion_forecast.settings import Settings, get_settings

if TYPE_CHECKING:
    import httpx
    from openai import OpenAI

logger = Logger(service="fashion-forecast-api", child=True)


def extract_parameters(
    text: str,
    today: dt.date | None = None,
    *,
    settings: Settings | None = None,
    client: OpenAI | None = None,
    http_client: httpx.Client | None = None,
) -> ExtractionResult:
    """Season parameters from plain words.

    With an OpenAI key (OPENAI_API_KEY, or the SSM SecureString named by
    OPENAI_API_KEY_PARAMETER) or an injected `client`, the model answers; without one, or when
    the call fails or its answer is unusable, the deterministic rules do. `http_client` replaces
    the SDK's transport (tests). Raises InvalidParametersError when the text states values
    SeasonParameters refuses, InvalidExtractionInput for blank or over-long text.
    """
    if not text or not text.strip():
        raise InvalidExtractionInput("text must not be blank", details=[{"field": "text"}])
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidExtractionInput(
            f"text is {len(text)} characters; the limit is {MAX_TEXT_CHARS}",
            details=[{"field": "text", "message": f"at most {MAX_TEXT_CHARS} characters"}],
        )
    settings = settings or get_settings()
    today = today or dt.date.today()
    started = time.perf_counter()

    fallback_reason = ""
    if client is None:
        api_key, fallback_reason = resolve_api_key(settings)
        if api_key:
            client = build_client(api_key, settings, http_client)
    if client is not None:
        try:
            result = extract_with_llm(text, today, client=client, model=settings.openai_model)
        except LLMUnavailable as exc:
            fallback_reason = exc.reason
            logger.warning(
                "OpenAI extraction failed; falling back to rules",
                extra={"reason": exc.reason, "cause": type(exc.__cause__).__name__},
            )
        else:
            _log_result(result, len(text), started)
            return result

    if client is not None:
        note = f"The OpenAI path failed ({fallback_reason}); answered by the deterministic rules."
    else:
        note = f"Answered by the deterministic rules: {fallback_reason}."
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
