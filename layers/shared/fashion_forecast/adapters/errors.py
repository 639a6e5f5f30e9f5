"""Errors raised by the AWS adapters, free of botocore types."""

from __future__ import annotations


class AdapterError(Exception):
    """`code`, when given, is the error_code a client sees instead of the class default."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFoundError(AdapterError):
    """The item or resource does not exist."""


class ConflictError(AdapterError):
    """A conditional write lost: illegal transition, duplicate, or a concurrent change."""


class UnavailableError(AdapterError):
    """An AWS dependency could not be reached or refused the call."""


class GoneError(AdapterError):
    """The thing existed but can no longer be used (e.g. an expired task token)."""
