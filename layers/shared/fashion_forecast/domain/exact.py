"""Exact arithmetic for the planning rules: numbers as Fractions (standard library only)."""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

from fashion_forecast.domain.errors import DomainError

Number = int | float | Decimal | Fraction


def to_fraction(value: object, name: str = "value") -> Fraction:
    """Exact ``Fraction`` of a number; floats via their shortest repr (``0.2`` -> ``1/5``)."""
    if isinstance(value, bool):
        raise DomainError(f"{name} must be a number, got a boolean")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise DomainError(f"{name} must be a finite number, got {value}")
        return Fraction(value)
    if isinstance(value, numbers.Real):
        as_float = float(value)
        if not math.isfinite(as_float):
            raise DomainError(f"{name} must be a finite number, got {as_float}")
        return Fraction(repr(as_float))
    raise DomainError(f"{name} must be a number, got {type(value).__name__}")
