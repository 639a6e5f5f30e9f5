"""Variance check after each weekly upload, and the shape-keeping re-forecast of the rest.

Standard library only (``math``, ``fractions``) plus pydantic models: the variance Lambda and
the API import it. Rules from docs/domain.md ("Variance and re-forecast"); the choices
docs/domain.md leaves open are listed here.

Choices this module makes
-------------------------
1. **Variance** over weeks 1..n = ``(actual_cum - forecast_cum) / forecast_cum``, computed
   exactly with ``Fraction`` (floats via their shortest repr). ``triggered`` when
   ``|variance| > variance_threshold`` (strictly greater: exactly 20% does not trigger);
   ``emergency`` when ``|variance| > 0.30``. ``variance`` is the unrounded value;
   ``variance_rounded`` is rounded half up (away from zero) to 3 decimals (``650/2550 =
   0.25490...`` -> ``0.255``) and ``display`` is the signed percentage with one decimal
   (``"+25.5%"``). Decisions always use the unrounded value.
2. **Direction**: ``over`` when actual > forecast, ``under`` when below, ``on_target`` when
   equal.
3. **Zero forecast** (``forecast_cum == 0``): with no sales either the variance is 0
   (``on_target``, nothing triggers). With sales against a zero forecast the ratio is
   undefined: the result reports ``variance = 1.0`` (+100%, a sentinel),
   ``forecast_was_zero = True``, ``direction = over`` and both ``triggered`` and
   ``emergency`` set, whatever the thresholds: the forecast is plainly wrong.
4. **Inputs**: weekly actuals for weeks 1..n (a list, index 0 = week 1, or a mapping
   ``week -> units`` that must cover 1..n with no gaps) and the original weekly forecast,
   which must cover at least those n weeks. Negative numbers are ``DomainError``.
5. **Re-forecast rule (shrinkage).** The remaining weeks keep the original weekly shape and are
   multiplied by one level factor ``factor = 1 + w x (R - 1)``, where ``R = actual_cum /
   forecast_cum`` is the observed ratio over weeks 1..n and the trust weight is
   ``w = n / (n + k) x consistency``:
   - ``n / (n + k)`` grows with the number of observed weeks; ``k`` (``prior_weeks``, default
     4) is how many weeks of evidence the original forecast is worth (4 weeks of 3,200 vs
     2,550 with every week over -> w = 0.5, factor 1.127).
   - ``consistency`` = share of the observed weeks (with a positive forecast) whose own ratio
     ``actual_w / forecast_w`` lies on the same side of 1 as ``R`` (a week exactly on target
     is not consistent). A bias seen every week gives 1; a cumulative gap driven by one odd
     week gives a small weight.
   ``0 <= w < 1`` and ``R >= 0`` so the factor is never negative, lies between 1 and ``R``,
   and approaches ``R`` as weeks accumulate and agree. ``R == 1`` (or a zero forecast to
   date, where ``R`` is undefined) gives factor 1: the forecast is kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.constants import DEFAULT_VARIANCE_THRESHOLD, EMERGENCY_THRESHOLD
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.exact import Number, to_fraction

DEFAULT_PRIOR_WEEKS = 4.0

WeeklyValues = Sequence[Number] | Mapping[int, Number]


def _weekly(values: WeeklyValues, name: str) -> list[Fraction]:
    """Weeks 1..n as exact non-negative numbers, from a list or a week -> value mapping."""
    if isinstance(values, Mapping):
        weeks = sorted(values)
        for week in weeks:
            if isinstance(week, bool) or not isinstance(week, int):
                raise DomainError(f"{name}: week numbers must be integers, got {week!r}")
        if weeks != list(range(1, len(weeks) + 1)):
            raise DomainError(f"{name} must cover weeks 1..{len(weeks)} without gaps")
        items: list[Number] = [values[w] for w in weeks]
    else:
        items = list(values)
    result = []
    for week, value in enumerate(items, start=1):
        exact = to_fraction(value, f"{name} week {week}")
        if exact < 0:
            raise DomainError(f"{name} week {week} must not be negative, got {float(exact):g}")
        result.append(exact)
    return result


def _threshold(value: Number, name: str) -> Fraction:
    exact = to_fraction(value, name)
    if not 0 <= exact <= 1:
        raise DomainError(f"{name} must be within 0..1, got {float(exact):g}")
    return exact


def _round_half_away(value: Fraction, digits: int) -> float:
    scale = 10**digits
    magnitude = math.floor(abs(value) * scale + Fraction(1, 2))
    return math.copysign(magnitude / scale, float(value)) if magnitude else 0.0


def weekly_totals(rows: Iterable[Mapping[str, object]]) -> dict[int, int]:
    """Sum ``units_sold`` per ``week_number`` over weekly sales rows (e.g. a parsed upload)."""
    totals: dict[int, int] = {}
    for row in rows:
        try:
            week = int(row["week_number"])  # type: ignore[call-overload]
            units = int(row["units_sold"])  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError) as exc:
            raise DomainError(f"bad weekly sales row {dict(row)!r}: {exc}") from None
        if week < 1 or units < 0:
            raise DomainError(f"bad weekly sales row {dict(row)!r}")
        totals[week] = totals.get(week, 0) + units
    return dict(sorted(totals.items()))


class VarianceResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    week: int = Field(ge=1, description="Last observed week n.")
    actual_cum: float
    forecast_cum: float
    variance: float = Field(description="(actual_cum - forecast_cum) / forecast_cum, unrounded.")
    variance_rounded: float = Field(description="variance rounded half away from 0 to 3 places.")
    display: str = Field(description='Signed percentage, one decimal, e.g. "+25.5%".')
    direction: Literal["over", "under", "on_target"]
    variance_threshold: float
    triggered: bool = Field(description="|variance| > variance_threshold: re-forecast.")
    emergency: bool = Field(description="|variance| > 0.30: flag an emergency order.")
    forecast_was_zero: bool


def cumulative_variance(
    actual_weekly: WeeklyValues,
    forecast_weekly: WeeklyValues,
    *,
    variance_threshold: Number = DEFAULT_VARIANCE_THRESHOLD,
    emergency_threshold: Number = EMERGENCY_THRESHOLD,
) -> VarianceResult:
    """Cumulative signed variance through the last observed week (see docstring 1-4)."""
    actual = _weekly(actual_weekly, "actual")
    forecast = _weekly(forecast_weekly, "forecast")
    threshold = _threshold(variance_threshold, "variance_threshold")
    emergency_at = _threshold(emergency_threshold, "emergency_threshold")
    n = len(actual)
    if n == 0:
        raise DomainError("no observed weeks")
    if len(forecast) < n:
        raise DomainError(f"forecast covers {len(forecast)} weeks but actuals cover {n}")
    actual_cum = sum(actual, Fraction(0))
    forecast_cum = sum(forecast[:n], Fraction(0))
    zero = forecast_cum == 0
    if zero:
        variance = Fraction(1) if actual_cum > 0 else Fraction(0)
        triggered = emergency = actual_cum > 0
    else:
        variance = (actual_cum - forecast_cum) / forecast_cum
        triggered = abs(variance) > threshold
        emergency = abs(variance) > emergency_at
    direction: Literal["over", "under", "on_target"] = (
        "over"
        if actual_cum > forecast_cum
        else "under"
        if actual_cum < forecast_cum
        else "on_target"
    )
    rounded_pct = _round_half_away(variance * 100, 1)
    return VarianceResult(
        week=n,
        actual_cum=float(actual_cum),
        forecast_cum=float(forecast_cum),
        variance=float(variance),
        variance_rounded=_round_half_away(variance, 3),
        display=f"{rounded_pct:+.1f}%",
        direction=direction,
        variance_threshold=float(threshold),
        triggered=triggered,
        emergency=emergency,
        forecast_was_zero=zero,
    )


class ReforecastResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    observed_weeks: int = Field(ge=1)
    observed_ratio: float | None = Field(description="actual_cum / forecast_cum (None if 0).")
    consistency: float = Field(ge=0.0, le=1.0)
    weight: float = Field(ge=0.0, le=1.0, description="w = n / (n + k) x consistency")
    factor: float = Field(ge=0.0, description="1 + w x (observed_ratio - 1)")
    prior_weeks: float
    remaining_weeks: list[int]
    original_remaining: list[float]
    remaining_forecast: list[float]
    original_remaining_total: float
    new_remaining_total: float


def shrinkage_weight(
    observed_weeks: int, consistency: Number, prior_weeks: Number = DEFAULT_PRIOR_WEEKS
) -> float:
    """``n / (n + k) x consistency`` (see docstring 5)."""
    return float(_shrinkage(observed_weeks, to_fraction(consistency, "consistency"), prior_weeks))


def _shrinkage(n: int, consistency: Fraction, prior_weeks: Number) -> Fraction:
    k = to_fraction(prior_weeks, "prior_weeks")
    if k < 0:
        raise DomainError("prior_weeks must not be negative")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DomainError(f"observed_weeks must be an integer >= 1, got {n!r}")
    if not 0 <= consistency <= 1:
        raise DomainError("consistency must be within 0..1")
    return Fraction(n) / (n + k) * consistency


def reforecast_remaining(
    original_forecast: WeeklyValues,
    actual_weekly: WeeklyValues,
    *,
    prior_weeks: Number = DEFAULT_PRIOR_WEEKS,
) -> ReforecastResult:
    """Re-forecast weeks n+1..H from the original forecast (weeks 1..H) and actuals 1..n."""
    forecast = _weekly(original_forecast, "forecast")
    actual = _weekly(actual_weekly, "actual")
    n = len(actual)
    if n == 0:
        raise DomainError("no observed weeks")
    if len(forecast) < n:
        raise DomainError(f"forecast covers {len(forecast)} weeks but actuals cover {n}")
    actual_cum = sum(actual, Fraction(0))
    forecast_cum = sum(forecast[:n], Fraction(0))
    ratio: Fraction | None = actual_cum / forecast_cum if forecast_cum > 0 else None

    if ratio is None or ratio == 1:
        consistency = Fraction(1) if ratio == 1 else Fraction(0)
    else:
        scored = [(a, f) for a, f in zip(actual, forecast[:n], strict=True) if f > 0]
        above = ratio > 1
        agree = sum(1 for a, f in scored if (a > f if above else a < f))
        consistency = Fraction(agree, len(scored))
    weight = _shrinkage(n, consistency, prior_weeks)
    factor = Fraction(1) if ratio is None else 1 + weight * (ratio - 1)
    remaining = forecast[n:]
    new = [value * factor for value in remaining]
    return ReforecastResult(
        observed_weeks=n,
        observed_ratio=None if ratio is None else float(ratio),
        consistency=float(consistency),
        weight=float(weight),
        factor=float(factor),
        prior_weeks=float(to_fraction(prior_weeks, "prior_weeks")),
        remaining_weeks=list(range(n + 1, len(forecast) + 1)),
        original_remaining=[float(v) for v in remaining],
        remaining_forecast=[float(v) for v in new],
        original_remaining_total=float(sum(remaining, Fraction(0))),
        new_remaining_total=float(sum(new, Fraction(0))),
    )
