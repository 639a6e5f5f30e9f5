"""POST /api/parameters/extract: season parameters from a planner's plain words."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from fashion_forecast.api.auth import requires
from fashion_forecast.api.deps import get_container
from fashion_forecast.api.errors import ApiError, ErrorResponse
from fashion_forecast.app.parameters import extract_parameters
from fashion_forecast.extraction.models import MAX_TEXT_CHARS, ExtractionRequest, ExtractionResult
from fashion_forecast.models.identity import Caller, Role
from fashion_forecast.ports import Container

router = APIRouter(tags=["parameters"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {
        "model": ErrorResponse,
        "description": f"text longer than {MAX_TEXT_CHARS} characters, or a body over the "
        "size limit",
    },
    422: {
        "model": ErrorResponse,
        "description": "blank text or malformed body (validation_error), or the text states "
        "values outside the allowed ranges, e.g. a 100-week horizon or a markdown checkpoint "
        "after the horizon (invalid_parameters)",
    },
}


@router.post(
    "/api/parameters/extract",
    response_model=ExtractionResult,
    summary="Extract season parameters from plain language",
    description="Reads a planner's description of a season into SeasonParameters. Fields the "
    "text does not state keep their defaults and are listed in missing_fields; a vague or "
    "contradictory text gets clarification_questions instead of a guess. `source` says whether "
    "the OpenAI model or the deterministic rules answered (the rules answer whenever no key is "
    "configured or the model call fails).",
    responses=_ERRORS,
)
def extract(
    body: ExtractionRequest,
    c: Container = Depends(get_container),
    _: Caller = Depends(requires(Role.PLANNER)),
) -> ExtractionResult:
    if len(body.text) > MAX_TEXT_CHARS:
        raise ApiError(
            413,
            "payload_too_large",
            f"text is {len(body.text)} characters; the limit is {MAX_TEXT_CHARS}",
            details=[{"field": "text", "message": f"at most {MAX_TEXT_CHARS} characters"}],
        )
    # InvalidParametersError (a DomainError) leaves as 422 invalid_parameters via the handlers.
    return extract_parameters(c.language_model, body.text, body.today)
