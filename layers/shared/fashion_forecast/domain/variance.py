"""Variance check after each weekly upload, and the shape-keeping re-forecast of the rest.

Standard library only (``math``, ``fractions``) plus pydantic models: the variance Lambda and
the API import it. Rules from docs/domain.md ("Variance and re-forecast"); the choices
docs/domain.md leaves open are listed here.

Choices this module makes
-------------------------
1. **Variance** over weeks 1..n = ``(actual_cum - forecast_cum) / forecast_cum``, computed
   exactly with ``Fraction`` (floats via their shortest repr). ``triggered`` when
   ``|variance| > variance_threshold`` (strictly greater: exactly 20% does not trigger);
   ``emergency`` only when sales run far *above* plan, ``variance > +0.30`` (an emergency order
   is more stock, which a season selling far below plan does not need); far below plan,
   ``variance < -0.30``, is reported as ``far_under_plan``. ``variance`` is the unrounded value;
   ``variance_rounded`` is rounded half up (away from zero) to 3 decimals (``650/2550 =
   0.25490...`` -> ``0.255``) and ``display`` is the signed percentage with one decimal
   (``"+25.5%"``). Decisions always use the unrounded value.
2. **Direction**: ``over`` when actual > forecast, ``under`` when below, ``on_target`` when
   equal.
3. **Zero forecast** (``forecast_cum == 0``): with no sales either the variance is 0
   (``on_target``, nothing triggers). With sales against a zero forecast the ratio is
   undefined: the result reports ``variance = 1.0`` (+100%, a sentinel),
   ``forecast_was_zero = True``, ``direction = over`` and both ``triggered`` and
   ``emergency`` set, whatever the thresholds: the forecast is plainly wrong (and short).
4. **Inputs**: weekly actuals for weeks 1..n (a list, index 0 = week 1, or a mapping
   ``week -> units`` that must cover 1..n with no gaps) and the original weekly forecast,
   which must cover at least those n weeks. Negative numbers are ``DomainError``.
5. **Re-forecast rule (shrinkage), from the plan in effect.** The curve re-forecast is the plan
   in effect (domain.in_season rule 2): a version of the season curve and its anchor week k,
   whose weeks 1..k are what was sold. The remaining weeks keep that curve's shape and are
   multiplied by one level factor ``factor = 1 + w x (R - 1)``:
   - ``R = actual_cum / plan_cum`` over weeks 1..n, where the plan is the actuals of weeks 1..k
     and the curve's weeks k+1..n: exactly the figure the variance row of week n shows (plus 1).
     A miss an earlier re-forecast absorbed is in both sums alike, so it is never applied again.
   - ``w = m / (m + p) x consistency`` with ``m = n - k`` the weeks the plan in effect actually
     forecast (weeks 1..k are its own actuals and carry no evidence about it) and ``p``
     (``prior_weeks``, default 4) how many weeks of evidence the plan is worth (4 weeks of
     3,200 vs 2,550 with every week over -> w = 0.5, factor 1.127).
   - ``consistency`` = share of the evidence weeks k+1..n (with a positive forecast) whose own
     ratio ``actual_w / forecast_w`` lies on the same side of 1 as ``R`` (a week exactly on
     target is not consistent). A bias seen every week gives 1; a cumulative gap driven by one
     odd week gives a small weight.
   ``0 <= w < 1`` and ``R >= 0`` so the factor is never negative, lies between 1 and ``R``,
   and approaches ``R`` as weeks accumulate and agree. ``R == 1``, no evidence week (``n <=
   k``) or a zero plan to date (``R`` undefined) give factor 1: the plan is kept. Before any
   re-forecast ``k = 0`` and the plan is the pre-season forecast.
6. **After a markdown: the observed lift.** When the plan in effect is the markdown-lift
   version (the pre-markdown curve B with weeks after the checkpoint c multiplied by
   ``1 + L``, L the assumed lift) and n > c, the lift is measured instead of assumed:
   ``observed_lift = actual(c+1..n) / B(c+1..n) - 1`` (actual over the pre-markdown curve in
   the weeks since the markdown), and the remaining weeks become ``B x (1 + observed_lift)``,
   i.e. the plan's remaining weeks times ``factor = (1 + observed_lift) / (1 + L)``. No
   shrinkage toward the assumed lift (``method = "observed_lift"``, weight 1). Later
   re-forecasts measure against that version with rule 5.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    emergency: bool = Field(
        description="variance > +0.30 (selling far above plan): flag an emergency order."
    )
    far_under_plan: bool = Field(
        description="variance < -0.30: far below plan (reported, never an emergency)."
    )
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
        far_under = False
    else:
        variance = (actual_cum - forecast_cum) / forecast_cum
        triggered = abs(variance) > threshold
        emergency = variance > emergency_at
        far_under = variance < -emergency_at
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
        far_under_plan=far_under,
        forecast_was_zero=zero,
    )


@dataclass(frozen=True)
class MarkdownLift:
    """What a markdown-lift version of the curve assumed (docstring 6): the checkpoint week c,
    the assumed lift L and the pre-markdown curve B (weeks 1..H) it multiplied."""

    checkpoint_week: int
    assumed_lift: float
    base_curve: Sequence[float]


class ReforecastResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    observed_weeks: int = Field(ge=1)
    anchor_week: int = Field(ge=0, description="Weeks 1..anchor of the plan are actuals.")
    evidence_weeks: int = Field(ge=0, description="n - anchor: weeks the plan forecast.")
    observed_ratio: float | None = Field(
        description="actual_cum / plan_cum over weeks 1..n, the variance row's figure + 1 "
        "(None if the plan is 0)."
    )
    method: Literal["level", "observed_lift"]
    consistency: float = Field(ge=0.0, le=1.0)
    weight: float = Field(ge=0.0, le=1.0, description="w = m / (m + p) x consistency")
    factor: float = Field(ge=0.0, description="What the plan's remaining weeks are multiplied by.")
    prior_weeks: float
    assumed_lift: float | None = Field(description="The markdown lift the plan assumed.")
    observed_lift: float | None = Field(description="actual / pre-markdown curve - 1 since it.")
    remaining_weeks: list[int]
    original_remaining: list[float]
    remaining_forecast: list[float]
    original_remaining_total: float
    new_remaining_total: float


def shrinkage_weight(
    observed_weeks: int, consistency: Number, prior_weeks: Number = DEFAULT_PRIOR_WEEKS
) -> float:
    """``n / (n + p) x consistency`` (see docstring 5); n >= 1."""
    if (
        isinstance(observed_weeks, bool)
        or not isinstance(observed_weeks, int)
        or observed_weeks < 1
    ):
        raise DomainError(f"observed_weeks must be an integer >= 1, got {observed_weeks!r}")
    return float(_shrinkage(observed_weeks, to_fraction(consistency, "consistency"), prior_weeks))


def _shrinkage(n: int, consistency: Fraction, prior_weeks: Number) -> Fraction:
    k = to_fraction(prior_weeks, "prior_weeks")
    if k < 0:
        raise DomainError("prior_weeks must not be negative")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DomainError(f"observed_weeks must be an integer >= 0, got {n!r}")
    if not 0 <= consistency <= 1:
        raise DomainError("consistency must be within 0..1")
    if n == 0:
        return Fraction(0)
    return Fraction(n) / (n + k) * consistency


def _consistency(pairs: Sequence[tuple[Fraction, Fraction]], ratio: Fraction | None) -> Fraction:
    """Share of (actual, forecast) weeks with forecast > 0 on the same side of 1 as ratio."""
    if ratio is None:
        return Fraction(0)
    if ratio == 1:
        return Fraction(1)
    scored = [(a, f) for a, f in pairs if f > 0]
    if not scored:
        return Fraction(0)
    above = ratio > 1
    agree = sum(1 for a, f in scored if (a > f if above else a < f))
    return Fraction(agree, len(scored))


def reforecast_remaining(
    plan_curve: WeeklyValues,
    actual_weekly: WeeklyValues,
    *,
    anchor_week: int = 0,
    prior_weeks: Number = DEFAULT_PRIOR_WEEKS,
    markdown: MarkdownLift | None = None,
) -> ReforecastResult:
    """Re-forecast weeks n+1..H of the plan in effect (its curve, weeks 1..H, fitted to weeks
    1..anchor_week) from actuals 1..n (docstring 5; 6 when `markdown` is the plan's lift)."""
    curve = _weekly(plan_curve, "forecast")
    actual = _weekly(actual_weekly, "actual")
    n = len(actual)
    if n == 0:
        raise DomainError("no observed weeks")
    if len(curve) < n:
        raise DomainError(f"forecast covers {len(curve)} weeks but actuals cover {n}")
    if isinstance(anchor_week, bool) or not isinstance(anchor_week, int) or anchor_week < 0:
        raise DomainError(f"anchor_week must be an integer >= 0, got {anchor_week!r}")
    k = min(anchor_week, n)
    plan = actual[:k] + curve[k:n]
    actual_cum = sum(actual, Fraction(0))
    plan_cum = sum(plan, Fraction(0))
    ratio: Fraction | None = actual_cum / plan_cum if plan_cum > 0 else None
    evidence = list(zip(actual[k:], curve[k:n], strict=True))
    remaining = curve[n:]
    assumed = observed_lift = None
    method: Literal["level", "observed_lift"] = "level"
    lift_base = _lift_base(markdown, len(curve), n)
    if markdown is not None and lift_base is not None:
        c = markdown.checkpoint_week
        assumed = to_fraction(markdown.assumed_lift, "assumed_lift")
        observed_lift = sum(actual[c:], Fraction(0)) / lift_base - 1
        factor = (1 + observed_lift) / (1 + assumed)
        weight = Fraction(1)
        consistency = _consistency(list(zip(actual[c:], curve[c:n], strict=True)), factor)
        method = "observed_lift"
    else:
        consistency = _consistency(evidence, ratio)
        weight = _shrinkage(len(evidence), consistency, prior_weeks)
        factor = Fraction(1) if ratio is None else 1 + weight * (ratio - 1)
    new = [value * factor for value in remaining]
    return ReforecastResult(
        observed_weeks=n,
        anchor_week=k,
        evidence_weeks=len(evidence),
        observed_ratio=None if ratio is None else float(ratio),
        method=method,
        consistency=float(consistency),
        weight=float(weight),
        factor=float(factor),
        prior_weeks=float(to_fraction(prior_weeks, "prior_weeks")),
        assumed_lift=None if assumed is None else float(assumed),
        observed_lift=None if observed_lift is None else float(observed_lift),
        remaining_weeks=list(range(n + 1, len(curve) + 1)),
        original_remaining=[float(v) for v in remaining],
        remaining_forecast=[float(v) for v in new],
        original_remaining_total=float(sum(remaining, Fraction(0))),
        new_remaining_total=float(sum(new, Fraction(0))),
    )


def _lift_base(markdown: MarkdownLift | None, horizon: int, n: int) -> Fraction | None:
    """The pre-markdown curve's units in weeks c+1..n, when the observed lift applies."""
    if markdown is None:
        return None
    c = markdown.checkpoint_week
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise DomainError(f"checkpoint_week must be an integer >= 1, got {c!r}")
    base = _weekly(markdown.base_curve, "pre-markdown forecast")
    if len(base) != horizon:
        raise DomainError(f"the pre-markdown curve has {len(base)} weeks, the plan {horizon}")
    if to_fraction(markdown.assumed_lift, "assumed_lift") <= -1:
        raise DomainError("assumed_lift must be > -1")
    since = sum(base[c:n], Fraction(0))
    return since if n > c and since > 0 else None
