"""Pricing agent: markdown at the checkpoint, elasticity estimate, lift on the remaining weeks.

Standard library only (``math``, ``fractions``) plus pydantic models: the API Lambda imports it.
Rules from docs/domain.md ("Pricing agent"); the choices docs/domain.md leaves open are listed here.

Choices this module makes
-------------------------
1. **Exact arithmetic.** sell-through, gap and markdown are ``Fraction``s; floats enter through
   their shortest repr (``0.6`` -> ``3/5``), so ``0.60 - 0.55`` is exactly ``1/20`` and with
   elasticity 2 the markdown is exactly 10% (float arithmetic would give 0.0999... and could
   land on the wrong 5% step).
2. **Projected season-end sell-through.** ``(units sold to the checkpoint + the plan in
   effect's forecast for the weeks after it) / units ordered and approved``; the
   ``markdown_threshold`` is the sell-through wanted by season end, so ``gap = threshold -
   projected``. With no remaining forecast (the debug endpoint's default) the projection is
   the sell-through to date.
3. **Rounding to 5%.** ``markdown = min(gap x elasticity, 0.40)`` is rounded to the nearest
   multiple of 0.05 with halves rounded *up* (0.025 -> 5%, 0.075 -> 10%). The cap is applied
   before rounding; 0.40 is itself a 5% step so the result never exceeds 40%. A gap so small
   that the markdown rounds to 0% is "no markdown".
4. **Selling above plan.** When the plan in effect's units through the checkpoint are given
   (``plan_to_date``) and more than that was sold (cumulative variance > 0), no markdown is
   recommended, whatever the projection: a season selling above plan does not need its price
   cut.
5. **Stock cap.** A markdown clears stock; it must not plan a stock-out. The lifted remaining
   demand ``remaining x (1 + elasticity x markdown)`` may not exceed the units still available
   (``ordered and approved - sold``), so the markdown is at most ``(available / remaining - 1)
   / elasticity``, rounded *down* to the 5% step (0 when the remaining forecast already needs
   every unit available). No remaining forecast: no cap. The recommendation is the smaller of
   the two; ``stock_capped`` says the cap decided.
6. **Sell-through above 100%** (sold or planned beyond the approved order) is allowed: the gap
   is negative, so no markdown. ``manufacturing_qty`` (units ordered and approved) must be >= 1,
   units sold and the remaining forecast >= 0.
7. **Elasticity** must be within 1.0-3.0 (``DomainError`` otherwise); default 2.0.
   Expected lift on the remaining weeks = elasticity x markdown (10% at 2.0 -> +20%).
8. **Approver override** (``markdown_override``): accepted within 0%-40% and rounded to the
   nearest 5% step (halves up) like the computed markdown; the reasoning says so. An override
   deeper than the stock cap is refused (it would plan a stock-out).
9. **Elasticity estimation** (``estimate_elasticity``): ordinary least squares of ``ln(units)``
   on ``ln(price)`` in pure Python. Points with price <= 0 or units <= 0 are dropped (no log).
   With ``groups`` (e.g. the store of each point) both logs are demeaned within each group
   first (a fixed-effects regression), so store size does not masquerade as a price effect.
   The fit's estimate is ``-slope`` clamped to 1.0..3.0 (a non-negative slope therefore gives
   1.0, flagged ``clamped``). There is no fit (``estimated = False``, R^2 taken as 0) when
   fewer than ``min_points`` (default 8) usable points remain, fewer than
   ``MIN_DISTINCT_PRICES`` (3) distinct prices (rounded to the cent) are seen, or prices do not
   vary (max/min price ratio below 1.01 after demeaning, i.e. < 1% variation).
   **Shrinkage**: the elasticity used is ``default + R^2 x (estimate - default)``, rounded to
   2 decimals, so a poor fit moves the default only in proportion to how much of the variation
   in units the price explains (no fit: the default 2.0). ``estimate_elasticity_from_history``
   builds the points from history rows (price = revenue / quantity_sold) grouped by store.
10. **Applying the lift**: the weeks *after* ``after_week`` (the checkpoint week) are multiplied
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
MIN_DISTINCT_PRICES = 3


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


def floor_to_step(value: Fraction, step: Fraction = MARKDOWN_STEP) -> Fraction:
    """Largest multiple of ``step`` not above a non-negative exact number."""
    return math.floor(value / step) * step


def stock_cap(remaining: Fraction, available: Fraction, elasticity: Fraction) -> Fraction | None:
    """The deepest markdown (a 5% step, at most 40%) whose lifted remaining demand
    ``remaining x (1 + elasticity x markdown)`` fits ``available``; None with no remaining
    demand (no cap)."""
    if remaining <= 0:
        return None
    room = (available / remaining - 1) / elasticity
    return floor_to_step(min(max(Fraction(0), room), MAX_MARKDOWN))


class MarkdownRecommendation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    units_sold: float = Field(ge=0)
    manufacturing_qty: int = Field(ge=1, description="Units ordered and approved.")
    remaining_forecast: float = Field(ge=0, description="Plan for the weeks after the checkpoint.")
    units_available: float = Field(description="manufacturing_qty - units_sold")
    sell_through: float = Field(
        description="Projected season end: (units_sold + remaining_forecast) / manufacturing_qty"
    )
    sell_through_to_date: float = Field(description="units_sold / manufacturing_qty")
    markdown_threshold: float
    gap: float = Field(description="threshold - sell_through (<= 0: no markdown)")
    plan_to_date: float | None = Field(description="Plan in effect through the checkpoint.")
    variance_to_date: float | None = Field(description="(sold - plan) / plan, when known.")
    above_plan: bool = Field(description="Sold above plan to date: no markdown.")
    elasticity: float
    raw_markdown: float = Field(description="max(0, gap) x elasticity, before cap and rounding")
    stock_cap_pct: float | None = Field(description="Deepest markdown the stock allows.")
    markdown_pct: float = Field(ge=0.0, le=float(MAX_MARKDOWN), description="Multiple of 0.05.")
    markdown_steps: int = Field(ge=0, le=8, description="markdown_pct / 0.05, exact.")
    apply_markdown: bool
    capped: bool = Field(description="gap x elasticity was above the 40% cap.")
    stock_capped: bool = Field(description="The stock cap lowered the markdown.")
    overridden: bool
    expected_lift: float = Field(ge=0.0, description="elasticity x markdown_pct")
    checkpoint_week: int | None
    reasoning: str


def recommend_markdown(
    units_sold: Number,
    manufacturing_qty: int,
    *,
    remaining_forecast: Number = 0,
    plan_to_date: Number | None = None,
    markdown_threshold: Number = DEFAULT_MARKDOWN_THRESHOLD,
    elasticity: Number = DEFAULT_ELASTICITY,
    checkpoint_week: int | None = None,
    markdown_override: Number | None = None,
) -> MarkdownRecommendation:
    """Markdown at the checkpoint week (docstring 2-8): `manufacturing_qty` is the units ordered
    and approved, `remaining_forecast` the plan in effect for the weeks after the checkpoint,
    `plan_to_date` its units through the checkpoint (None: not known, rule 4 not applied)."""
    sold = to_fraction(units_sold, "units_sold")
    if sold < 0:
        raise DomainError(f"units_sold must not be negative, got {float(sold):g}")
    if isinstance(manufacturing_qty, bool) or not isinstance(manufacturing_qty, numbers.Integral):
        raise DomainError(f"manufacturing_qty must be an integer, got {manufacturing_qty!r}")
    if manufacturing_qty < 1:
        raise DomainError(f"manufacturing_qty must be at least 1, got {manufacturing_qty}")
    ordered = int(manufacturing_qty)
    remaining = to_fraction(remaining_forecast, "remaining_forecast")
    if remaining < 0:
        raise DomainError(f"remaining_forecast must not be negative, got {float(remaining):g}")
    plan: Fraction | None = None
    if plan_to_date is not None:
        plan = to_fraction(plan_to_date, "plan_to_date")
        if plan < 0:
            raise DomainError(f"plan_to_date must not be negative, got {float(plan):g}")
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

    sell_through = (sold + remaining) / ordered
    gap = threshold - sell_through
    above_plan = plan is not None and sold > plan
    variance = (sold - plan) / plan if plan else None
    raw = max(Fraction(0), gap) * e
    capped = raw > MAX_MARKDOWN
    by_gap = round_to_step(min(raw, MAX_MARKDOWN))
    available = ordered - sold
    cap = stock_cap(remaining, available, e)
    computed = Fraction(0) if above_plan else by_gap if cap is None else min(by_gap, cap)
    stock_capped = not above_plan and cap is not None and by_gap > cap
    overridden = markdown_override is not None
    if markdown_override is not None:
        wanted = to_fraction(markdown_override, "markdown_override")
        if not 0 <= wanted <= MAX_MARKDOWN:
            raise DomainError(
                f"markdown_override must be within 0..{float(MAX_MARKDOWN):.2f}, "
                f"got {float(wanted):g}"
            )
        markdown = round_to_step(wanted)
        if cap is not None and markdown > cap:
            raise DomainError(
                f"a {_pct(markdown, 0)} markdown would plan a stock-out: the lifted remaining "
                f"demand exceeds the {float(available):,.0f} units available (at most "
                f"{_pct(cap, 0)})"
            )
    else:
        wanted = computed
        markdown = computed
    lift = e * markdown

    at = f" at week {checkpoint_week}" if checkpoint_week is not None else ""
    parts = [
        f"Projected season-end sell-through{at} is {_pct(sell_through)} ({float(sold):,.0f} "
        f"sold + {float(remaining):,.0f} still planned, of {ordered:,} units ordered and "
        f"approved) against a {_pct(threshold)} target"
    ]
    if above_plan and plan is not None:
        parts.append(
            f"sales run above plan ({float(sold):,.0f} sold vs {float(plan):,.0f} planned to "
            "date), so no markdown"
        )
    elif gap <= 0:
        parts.append("the target is met, so no markdown is needed")
    else:
        parts.append(
            f"the gap of {float(gap) * 100:.1f} points x elasticity {float(e):g} = {_pct(raw)}"
            + (", capped at 40%" if capped else "")
            + f", rounded to the nearest 5% -> {_pct(by_gap, 0)}"
        )
        if stock_capped and cap is not None:
            parts.append(
                f"capped at {_pct(cap, 0)} so the lifted remaining demand "
                f"({float(remaining):,.0f} x (1 + {float(e):g} x {_pct(cap, 0)})) fits the "
                f"{float(available):,.0f} units still available"
            )
        if computed == 0 and not overridden:
            parts.append("too small for a markdown" if not stock_capped else "no markdown")
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
        manufacturing_qty=ordered,
        remaining_forecast=float(remaining),
        units_available=float(available),
        sell_through=float(sell_through),
        sell_through_to_date=float(sold / ordered),
        markdown_threshold=float(threshold),
        gap=float(gap),
        plan_to_date=None if plan is None else float(plan),
        variance_to_date=None if variance is None else float(variance),
        above_plan=above_plan,
        elasticity=float(e),
        raw_markdown=float(raw),
        stock_cap_pct=None if cap is None else float(cap),
        markdown_pct=float(markdown),
        markdown_steps=int(markdown / MARKDOWN_STEP),
        apply_markdown=markdown > 0,
        capped=capped and not overridden and not above_plan,
        stock_capped=stock_capped and not overridden,
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

    elasticity: float = Field(
        ge=MIN_ELASTICITY,
        le=MAX_ELASTICITY,
        description="The value used: default + R^2 x (estimate - default), 2 decimals.",
    )
    estimated: bool = Field(description="False: no fit, the default was used (see reason).")
    estimate: float | None = Field(description="The fit's -slope clamped to 1..3 (no fit: None).")
    raw_elasticity: float | None = Field(description="-slope before clamping.")
    clamped: bool
    n_points: int
    distinct_prices: int = Field(description="Distinct prices (to the cent) among the points.")
    r_squared: float | None = Field(description="The fit's R^2 (no fit: None, weighs as 0).")
    default: float
    reason: str


def shrink_elasticity(estimate: float, r_squared: float, default: float) -> float:
    """``default + R^2 x (estimate - default)`` rounded to 2 decimals (docstring 9)."""
    weight = min(1.0, max(0.0, r_squared))
    return round(default + weight * (estimate - default), 2)


def estimate_elasticity(
    prices: Sequence[Number],
    units: Sequence[Number],
    *,
    groups: Sequence[Hashable] | None = None,
    min_points: int = MIN_ELASTICITY_POINTS,
    default: float = DEFAULT_ELASTICITY,
) -> ElasticityEstimate:
    """Price elasticity by log-log least squares, shrunk toward `default` by the fit's R^2
    (see docstring 9), stdlib only."""
    if len(prices) != len(units):
        raise DomainError("prices and units must have the same length")
    if groups is not None and len(groups) != len(prices):
        raise DomainError("groups must have the same length as prices")
    default_e = float(_elasticity(default))
    by_group: dict[Hashable, list[tuple[float, float]]] = {}
    distinct: set[float] = set()
    for i, (p, q) in enumerate(zip(prices, units, strict=True)):
        price, qty = float(to_fraction(p, "price")), float(to_fraction(q, "units"))
        if price > 0 and qty > 0:
            key = groups[i] if groups is not None else None
            by_group.setdefault(key, []).append((math.log(price), math.log(qty)))
            distinct.add(round(price, 2))
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
            estimate=None,
            raw_elasticity=None,
            clamped=False,
            n_points=n,
            distinct_prices=len(distinct),
            r_squared=None,
            default=default_e,
            reason=f"{reason}: no fit (R^2 0); using the default elasticity {default_e:g}",
        )

    if n < max(2, min_points):
        return fallback(f"only {n} usable price/units points (need {max(2, min_points)})")
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    if max(xs) - min(xs) < math.log(MIN_PRICE_RATIO) or sxx <= 0:
        return fallback("prices do not vary enough to estimate elasticity")
    if len(distinct) < MIN_DISTINCT_PRICES:
        return fallback(
            f"only {len(distinct)} distinct price(s) (need {MIN_DISTINCT_PRICES}) to estimate "
            "elasticity"
        )
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = math.fsum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    raw = -slope
    clamped_e = min(MAX_ELASTICITY, max(MIN_ELASTICITY, raw))
    r2 = min(1.0, (sxy * sxy) / (sxx * syy)) if syy > 0 else 1.0
    clamped = clamped_e != raw
    used = shrink_elasticity(clamped_e, r2, default_e)
    reason = (
        f"log-log regression on {n} points ({len(distinct)} distinct prices): estimate "
        f"{clamped_e:.2f} (slope {slope:.3f}"
        + (f", {raw:.3f} clamped to {clamped_e:g}" if clamped else "")
        + f"), fit R^2 {r2:.2f}; used {used:.2f} = {default_e:g} + {r2:.2f} x "
        f"({clamped_e:.2f} - {default_e:g})"
    )
    return ElasticityEstimate(
        elasticity=used,
        estimated=True,
        estimate=clamped_e,
        raw_elasticity=raw,
        clamped=clamped,
        n_points=n,
        distinct_prices=len(distinct),
        r_squared=r2,
        default=default_e,
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
