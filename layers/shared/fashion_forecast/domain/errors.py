"""Errors raised by the pure domain code. The API maps them to 422 with the error shape."""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A domain rule refused the input. `code` is a stable machine-readable name."""

    code = "domain_error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidRequestError(DomainError):
    """The request's values do not fit together (e.g. weeks that do not add up to a season)."""

    code = "validation_error"


class InsufficientHistoryError(DomainError):
    code = "insufficient_history"


class InvalidSeriesError(DomainError):
    code = "invalid_series"


class ForecastFailedError(DomainError):
    """Every ensemble member failed; `details` lists each member's reason."""

    code = "forecast_failed"
