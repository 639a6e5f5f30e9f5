"""Season parameters from plain language: OpenAI structured outputs, or deterministic rules."""

from fashion_forecast.extraction.models import (
    ExtractionRequest,
    ExtractionResult,
    InvalidExtractionInput,
    InvalidParametersError,
)
from fashion_forecast.extraction.rules import extract_with_rules
from fashion_forecast.extraction.service import extract_parameters

__all__ = [
    "ExtractionRequest",
    "ExtractionResult",
    "InvalidExtractionInput",
    "InvalidParametersError",
    "extract_parameters",
    "extract_with_rules",
]
