"""Pricing agent: markdown at the checkpoint, elasticity estimate, lift on the remaining weeks.

Standard library only (``math``, ``fractions``) plus pydantic models: the API Lambda imports it.
Rules from docs/domain.md ("Pricing agent"); the choices docs/domain.md leaves open are listed here.

Choices this module makes
-------------------------
1. **Exact arithmetic.** sell-through, gap and markdown are ``Fraction``s; floats enter through
   their shortest repr (``0.6`` -> ``3/5``), so ``0.60 - 0.55`` is exactly ``1/20`` and with
   elasticity 2 the markdown is exactly 10% (float arithmetic would give 0.0999... and could
   land on the wrong 5% step).
2. **Rounding to 5%.** ``markdown = min(gap x elasticity, 0.40)`` is rounded to the nearest
   multiple of 0.05 with halves rounded *up* (0.025 -> 5%, 0.075 -> 10%). The cap is applied
   before rounding; 0.40 is itself a 5% step so the result never exceeds 40%. A gap so small
   that the markdown rounds to 0% is "no markdown".
3. **Sell-through above 100%** (e.g. an extra order was sold but not added to
   ``manufacturing_qty``) is allowed: the gap is negative, so no markdown. ``manufacturing_qty``
   must be >= 1, units sold >= 0.
4. **Elasticity** must be within 1.0-3.0 (``DomainError`` otherwise); default 2.0.
   Expected lift on the remaining weeks = elasticity x markdown (10% at 2.0 -> +20%).
5. **Approver override** (``markdown_override``): accepted within 0%-40% and rounded to the
   nearest 5% step (halves up) like the computed markdown; the reasoning says so.
6. **Elasticity estimation** (``estimate_elasticity``): ordinary least squares of ``ln(units)``
   on ``ln(price)`` in pure Python. Points with price <= 0 or units <= 0 are dropped (no log).
   With ``groups`` (e.g. the store of each point) both logs are demeaned within each group
   first (a fixed-effects regression), so store size does not masquerade as a price effect.
   The estimate is ``-slope`` clamped to 1.0..3.0 (a non-negative slope therefore gives 1.0,
   flagged ``clamped``). It falls back to the default 2.0 (``estimated = False``, with the
   reason) when fewer than ``min_points`` (default 8) usable points remain or prices do not
   vary (max/min price ratio below 1.01 after demeaning, i.e. < 1% variation).
   ``estimate_elasticity_from_history`` builds the points from history rows
   (price = revenue / quantity_sold) grouped by store.
7. **Applying the lift**: the weeks *after* ``after_week`` (the checkpoint week) are multiplied
   by ``1 + lift``; weeks up to and including it are kept (their sales are already known).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.constants import (
    DEFAULT_ELASTICITY,
    DEFAULT_MARKDOWN_THRESHOLD,
    MARKDOWN_STEP,
    MAX_ELASTICITY,
    MAX_MARKDOWN,
    MIN_ELASTICITY,
)
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.exact import Number, to_fraction

MIN_ELASTICITY_POINTS = 8
MIN_PRICE_RATIO = 1.01


def _pct(value: Fraction, digits: int = 1) -> str:
    return f"{float(value) * 100:.{digits}f}%"


def _elasticity(value: Number) -> Fraction:
    e = to_fraction(value, "elasticity")
    if not MIN_ELASTICITY <= e <= MAX_ELASTICITY:
        raise DomainError(
            f"elasticity must be between {MIN_ELASTICITY} and {MAX_ELASTICITY}, got {float(e):g}"
        )
    return e


def round_to_step(value: Fraction, step: Fraction = MARKDOWN_STEP) -> Fraction:
    """Nearest multiple of ``step`` (halves up) of a non-negative exact number."""
    return math.floor(value / step + Fraction(1, 2)) * step


class MarkdownRecommendation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    units_sold: float = Field(ge=0)
    manufacturing_qty: int = Field(ge=1)
    sell_through: float = Field(description="units_sold / manufacturing_qty")
    markdown_threshold: float
    gap: float = Field(description="threshold - sell_through (<= 0: no markdown)")
    elasticity: float
    raw_markdown: float = Field(description="max(0, gap) x elasticity, before cap and rounding")
    markdown_pct: float = Field(ge=0.0, le=float(MAX_MARKDOWN), description="Multiple of 0.05.")
    markdown_steps: int = Field(ge=0, le=8, description="markdown_pct / 0.05, exact.")
    apply_markdown: bool
    capped: bool
    overridden: bool
    expected_lift: float = Field(ge=0.0, description="elasticity x markdown_pct")
    checkpoint_week: int | None
    reasoning: str


def recommend_markdown(
    units_sold: Number,
    manufacturing_qty: int,
    *,
    markdown_threshold: Number = DEFAULT_MARKDOWN_THRESHOLD,
    elasticity: Number = DEFAULT_ELASTICITY,
    checkpoint_week: int | None = None,
    markdown_override: Number | None = None,
) -> MarkdownRecommendation:
    """Markdown for the checkpoint week from cumulative units sold (docs/domain.md table)."""
    sold = to_fraction(units_sold, "units_sold")
    if sold < 0:
        raise DomainError(f"units_sold must not be negative, got {float(sold):g}")
    if isinstance(manufacturing_qty, bool) or not isinstance(manufacturing_qty, numbers.Integral):
        raise DomainError(f"manufacturing_qty must be an integer, got {manufacturing_qty!r}")
    if manufacturing_qty < 1:
        raise DomainError(f"manufacturing_qty must be at least 1, got {manufacturing_qty}")
    threshold = to_fraction(markdown_threshold, "markdown_threshold")
    if not 0 <= threshold <= 1:
        raise DomainError(f"markdown_threshold must be within 0..1, got {float(threshold):g}")
    e = _elasticity(elasticity)
    if checkpoint_week is not None and (
        isinstance(checkpoint_week, bool)
        or not isinstance(checkpoint_week, int)
        or checkpoint_week < 1
    ):
        raise DomainError(f"checkpoint_week must be an integer >= 1, got {checkpoint_week!r}")

    sell_through = sold / int(manufacturing_qty)
    gap = threshold - sell_through
    raw = max(Fraction(0), gap) * e
    capped = raw > MAX_MARKDOWN
    computed = round_to_step(min(raw, MAX_MARKDOWN))
    overridden = markdown_override is not None
    if markdown_override is not None:
        wanted = to_fraction(markdown_override, "markdown_override")
        if not 0 <= wanted <= MAX_MARKDOWN:
            raise DomainError(
                f"markdown_override must be within 0..{float(MAX_MARKDOWN):.2f}, "
                f"got {float(wanted):g}"
            )
        markdown = round_to_step(wanted)
    else:
        wanted = computed
        markdown = computed
    lift = e * markdown

    at = f" at week {checkpoint_week}" if checkpoint_week is not None else ""
    parts = [
        f"Sell-through{at} is {_pct(sell_through)} ({float(sold):,.0f} of "
        f"{int(manufacturing_qty):,} units) against a {_pct(threshold)} target"
    ]
    if gap <= 0:
        parts.append("the target is met, so no markdown is needed")
    else:
        parts.append(
            f"the gap of {float(gap) * 100:.1f} points x elasticity {float(e):g} = {_pct(raw)}"
            + (", capped at 40%" if capped else "")
            + f", rounded to the nearest 5% -> {_pct(computed, 0)}"
        )
        if computed == 0 and not overridden:
            parts.append("too small for a markdown")
    if overridden:
        note = "" if wanted == markdown else f" ({_pct(wanted)} rounded to the nearest 5%)"
        parts.append(f"the approver set the markdown to {_pct(markdown, 0)}{note}")
    if markdown > 0:
        parts.append(
            f"expected demand lift on the remaining weeks +{_pct(lift, 0)} "
            f"(elasticity {float(e):g} x {_pct(markdown, 0)})"
        )
    reasoning = "; ".join(parts) + "."

    return MarkdownRecommendation(
        units_sold=float(sold),
        manufacturing_qty=int(manufacturing_qty),
        sell_through=float(sell_through),
        markdown_threshold=float(threshold),
        gap=float(gap),
        elasticity=float(e),
        raw_markdown=float(raw),
        markdown_pct=float(markdown),
        markdown_steps=int(markdown / MARKDOWN_STEP),
        apply_markdown=markdown > 0,
        capped=capped and not overridden,
        overridden=overridden,
        expected_lift=float(lift),
        checkpoint_week=checkpoint_week,
        reasoning=reasoning,
    )


def markdown_for_sell_through(
    sell_through: Number,
    *,
    markdown_threshold: Number = DEFAULT_MARKDOWN_THRESHOLD,
    elasticity: Number = DEFAULT_ELASTICITY,
) -> float:
    """The markdown (0..0.40, a multiple of 0.05) for a sell-through ratio, e.g. 0.55 -> 0.10."""
    st = to_fraction(sell_through, "sell_through")
    if st < 0:
        raise DomainError(f"sell_through must not be negative, got {float(st):g}")
    threshold = to_fraction(markdown_threshold, "markdown_threshold")
    gap = max(Fraction(0), threshold - st)
    return float(round_to_step(min(gap * _elasticity(elasticity), MAX_MARKDOWN)))


def expected_lift(markdown_pct: Number, elasticity: Number = DEFAULT_ELASTICITY) -> float:
    """elasticity x markdown (0.10 at 2.0 -> 0.20)."""
    markdown = to_fraction(markdown_pct, "markdown_pct")
    if not 0 <= markdown <= 1:
        raise DomainError(f"markdown_pct must be within 0..1, got {float(markdown):g}")
    return float(_elasticity(elasticity) * markdown)


def apply_lift(weekly_forecast: Sequence[Number], *, after_week: int, lift: Number) -> list[float]:
    """Multiply the weeks after ``after_week`` (1-based) by ``1 + lift``; earlier ones kept."""
    if isinstance(after_week, bool) or not isinstance(after_week, int) or after_week < 0:
        raise DomainError(f"after_week must be an integer >= 0, got {after_week!r}")
    factor = 1 + to_fraction(lift, "lift")
    if factor < 0:
        raise DomainError("lift must be >= -1")
    result: list[float] = []
    for index, value in enumerate(weekly_forecast, start=1):
        units = to_fraction(value, f"forecast of week {index}")
        if units < 0:
            raise DomainError(f"forecast of week {index} must not be negative")
        result.append(float(units * factor) if index > after_week else float(units))
    return result


# --------------------------------------------------------------------------- elasticity


class ElasticityEstimate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    elasticity: float = Field(ge=MIN_ELASTICITY, le=MAX_ELASTICITY)
    estimated: bool = Field(description="False: the default was used (see reason).")
    raw_elasticity: float | None = Field(description="-slope before clamping.")
    clamped: bool
    n_points: int
    r_squared: float | None
    reason: str


def estimate_elasticity(
    prices: Sequence[Number],
    units: Sequence[Number],
    *,
    groups: Sequence[Hashable] | None = None,
    min_points: int = MIN_ELASTICITY_POINTS,
    default: float = DEFAULT_ELASTICITY,
) -> ElasticityEstimate:
    """Price elasticity by log-log least squares (see docstring 6), stdlib only."""
    if len(prices) != len(units):
        raise DomainError("prices and units must have the same length")
    if groups is not None and len(groups) != len(prices):
        raise DomainError("groups must have the same length as prices")
    default_e = float(_elasticity(default))
    by_group: dict[Hashable, list[tuple[float, float]]] = {}
    for i, (p, q) in enumerate(zip(prices, units, strict=True)):
        price, qty = float(to_fraction(p, "price")), float(to_fraction(q, "units"))
        if price > 0 and qty > 0:
            key = groups[i] if groups is not None else None
            by_group.setdefault(key, []).append((math.log(price), math.log(qty)))
    xs: list[float] = []
    ys: list[float] = []
    for points in by_group.values():
        mx = math.fsum(x for x, _ in points) / len(points)
        my = math.fsum(y for _, y in points) / len(points)
        xs.extend(x - mx for x, _ in points)
        ys.extend(y - my for _, y in points)
    n = len(xs)

    def fallback(reason: str) -> ElasticityEstimate:
        return ElasticityEstimate(
            elasticity=default_e,
            estimated=False,
            raw_elasticity=None,
            clamped=False,
            n_points=n,
            r_squared=None,
            reason=f"{reason}; using the default elasticity {default_e:g}",
        )

    if n < max(2, min_points):
        return fallback(f"only {n} usable price/units points (need {max(2, min_points)})")
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    if max(xs) - min(xs) < math.log(MIN_PRICE_RATIO) or sxx <= 0:
        return fallback("prices do not vary enough to estimate elasticity")
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = math.fsum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    raw = -slope
    clamped_e = min(MAX_ELASTICITY, max(MIN_ELASTICITY, raw))
    r2 = (sxy * sxy) / (sxx * syy) if syy > 0 else 1.0
    clamped = clamped_e != raw
    reason = f"log-log regression on {n} points: slope {slope:.3f}, R^2 {r2:.2f}"
    if clamped:
        reason += f"; {raw:.3f} clamped to {clamped_e:g}"
    return ElasticityEstimate(
        elasticity=clamped_e,
        estimated=True,
        raw_elasticity=raw,
        clamped=clamped,
        n_points=n,
        r_squared=r2,
        reason=reason,
    )


def estimate_elasticity_from_history(
    rows: Iterable[Mapping[str, object]],
    *,
    category: str | None = None,
    min_points: int = MIN_ELASTICITY_POINTS,
) -> ElasticityEstimate:
    """Elasticity from history rows (``store_id``, ``quantity_sold``, ``revenue``[, ``category``]).

    Price per row = revenue / quantity_sold; rows without revenue or with no units are skipped;
    stores are the fixed-effect groups. ``category`` filters rows when given.
    """
    prices: list[float] = []
    units: list[float] = []
    groups: list[Hashable] = []
    for row in rows:
        if category is not None and row.get("category") != category:
            continue
        revenue, qty = row.get("revenue"), row.get("quantity_sold")
        if revenue is None or revenue == "" or qty is None or qty == "":
            continue
        try:
            q = float(qty)  # type: ignore[arg-type]
            r = float(revenue)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DomainError(f"non-numeric quantity_sold/revenue in row {dict(row)!r}") from None
        if not (math.isfinite(q) and math.isfinite(r)) or q <= 0 or r <= 0:
            continue
        prices.append(r / q)
        units.append(q)
        groups.append(str(row.get("store_id")))
    return estimate_elasticity(prices, units, groups=groups, min_points=min_points)
