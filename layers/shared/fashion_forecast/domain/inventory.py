"""Inventory agent: manufacturing quantity, store allocation, replenishment and re-plan.

Pure standard library (``math``, ``fractions``, ``decimal``) plus pydantic models, so the API
Lambda can import it without pandas or numpy. Rules come from docs/domain.md ("Inventory agent",
"Variance and re-forecast"); the choices docs/domain.md leaves open are listed here.

Choices this module makes
-------------------------
1. **Exact arithmetic.** Every number is converted to a ``Fraction`` before any multiplication;
   a float goes through its shortest ``repr`` (``0.2`` -> ``1/5``, ``7999.6`` -> ``39998/5``),
   i.e. the decimal a person typed. So ``8000 x 1.2`` is exactly ``9600`` and the ceiling is
   9,600, never 9,601. Inputs that are already floats carry representation error of their
   own (26 weekly forecasts of ``8000 / 26`` sum to 8000.0000000000002), so every "round up
   to whole units" (manufacturing quantity, minimums, replenishment requests, holdback claims)
   first rounds the exact value to 6 decimal places (``CEIL_DECIMALS``): a millionth of a
   unit never buys a whole extra unit. NaN / infinity / bools are refused with
   ``DomainError``.
2. **Safety stock.** Default 25% when ``replenishment_strategy`` is ``none``, else 20%. An
   approver override must lie in 10%-50% inclusive. Instead of a safety stock the approver may
   set the manufacturing quantity itself (any integer >= 1); the plan then reports the implied
   safety stock ``qty / demand - 1`` (``0`` when demand is 0) with
   ``safety_stock_source = "implied_by_quantity"``. Giving both overrides is a ``DomainError``.
3. **Holdback rounding.** ``holdback = round(manufacturing_qty x dc_holdback_percentage)`` with
   halves rounded *up* (``0.5 -> 1``), not Python's banker's rounding, because a planner rounds
   half up.
4. **Allocation.** Cluster shares are normalised to sum to 1 over the clusters given; store
   factors are normalised to sum to 1 within each cluster. ``initial_allocation`` is split over
   clusters by share, then each cluster total over its stores by factor, both with the
   largest-remainder rule (floor every quota; hand the leftover units one each to the largest
   fractional remainders; ties go to the smaller id: ints before strings, then natural order).
   A cluster with a positive share but no stores (or whose factors sum to 0), a store in a
   cluster that has no share, duplicate store ids and negative numbers are ``DomainError``.
5. **Two-week minimum.** A store's minimum is ``ceil(store weight x (week 1 + week 2 category
   forecast))`` where store weight = normalised cluster share x normalised store factor
   (rounded up: "at least its forecast"). Explicit integer minimums may be passed instead.
   - If the minimums fit (sum <= initial_allocation): stores below their minimum are raised to it
     and the units needed are taken from the stores above their minimum, proportionally to each
     one's surplus (largest remainder), so nobody drops below its minimum. When the base split
     already covers every minimum nothing changes.
   - If they do not fit: every store gets its minimum scaled down proportionally, i.e. the
     largest-remainder split of ``initial_allocation`` with the minimums as weights
     (``minimums_scaled = True``). The whole initial allocation then goes to minimums.
   Cluster totals in the result are the sums of their stores after this adjustment.
6. **Replenishment: the top-up rule** (``top_up``, ``project_top_ups``; docs/domain.md).
   Period = 1 week (weekly) or 2 weeks (bi-weekly); ``none`` has no plan (``None``). The
   initial allocation is the week-1 shipment, so reviews happen at the start of weeks
   ``1 + p, 1 + 2p, ...`` up to the horizon (``review_weeks``). At a review each store asks
   ``max(0, ceil(weight x plan of the period's weeks x (1 + safety) - on_hand))`` (a negative
   on-hand counts as 0): p weeks of cover plus safety stock. If the DC holds enough, every
   request is shipped; otherwise the DC stock is split proportionally to the requests by
   largest remainder (a store never receives more than it asked). In a projection on-hand
   falls each week by the store's expected sales (weight x that week's plan), never below 0;
   in season the due reviews run on the real on-hand (app.plan.refresh_position).
   ``plan_replenishment`` is the pre-season projection (safety 0 unless given).
7. **Re-plan after a re-forecast, from the inventory position.** Units ordered and approved
   ``O`` (the pre-season order plus every approved extra order; a proposed or rejected one
   never counts), units sold to date ``S``, the new remaining forecast ``R``:
   ``units on hand = max(0, O - S)`` (DC and stores together), ``required = ceil(R x (1 +
   safety))`` (safety stock on the weeks still to sell only, never on units already sold) and
   ``extra_order = max(0, required - on hand - units on order)``. Units on order are approved
   orders not yet counted as on hand; the product counts every approved order as on hand, so
   it passes 0. While cumulative sales run below the plan they were measured against
   (``actual_to_date < plan_to_date``) there is no extra order. An approver's total quantity
   ``Q`` (a modify) replaces the computed figure: ``extra = max(0, Q - O - on order)``; the
   result carries the one extra-order figure either way. ``need = S + R`` is the season
   demand as now known (what an approver's total must cover). DC holdback re-allocation:
   velocity = sold / expected to date per store. Stores with velocity > 1.15 are "fast",
   < 0.85 "slow", others "normal" (an expected of 0 with sales > 0 counts as fast with no
   velocity; 0 and 0 is normal). Each fast store claims ``ceil(sold - expected)`` units,
   which equals its excess velocity x expected, i.e. the units it sold beyond plan, less
   ``credited``: what earlier moves already sent it for over-plan sales, so each unit is paid
   once (reported velocities are capped at 1e9). The DC ships ``min(dc_stock, sum of
   claims)``, ``dc_stock`` being the DC stock really left (the position's): every claim in
   full when it can, else the stock split proportionally to the claims by largest remainder.
   Slow and normal stores receive nothing from this move (the stock is moved *away* from slow
   stores); what the DC keeps stays for the top-up reviews.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.constants import (
    FAST_VELOCITY,
    SAFETY_STOCK_NO_REPLENISHMENT,
    SAFETY_STOCK_OVERRIDE_MAX,
    SAFETY_STOCK_OVERRIDE_MIN,
    SAFETY_STOCK_WITH_REPLENISHMENT,
    SLOW_VELOCITY,
)
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.exact import Number, to_fraction
from fashion_forecast.models.parameters import ReplenishmentStrategy, SeasonParameters

ClusterId = int | str
K = TypeVar("K", bound=Hashable)
ClusterShares = Mapping[int, Number] | Mapping[str, Number]

VelocityStatus = Literal["fast", "normal", "slow"]
CEIL_DECIMALS = 6
MAX_REPORTED_VELOCITY = Fraction(10**9)


def _non_negative(value: object, name: str) -> Fraction:
    result = to_fraction(value, name)
    if result < 0:
        raise DomainError(f"{name} must not be negative, got {float(result):g}")
    return result


def _non_negative_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DomainError(f"{name} must be an integer, got {value!r}")
    if value < 0:
        raise DomainError(f"{name} must not be negative, got {value}")
    return int(value)


def ceil_units(value: Fraction) -> int:
    """Ceiling after rounding to ``CEIL_DECIMALS`` places (see docstring 1)."""
    return math.ceil(round(value, CEIL_DECIMALS))


def round_half_up(value: Fraction) -> int:
    """Round a non-negative exact number to the nearest integer, halves up."""
    return math.floor(value + Fraction(1, 2))


def _sort_key(key: object) -> tuple[int, int, str]:
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        return (0, int(key), "")
    return (1, 0, str(key))


def largest_remainder(total: int, weights: Mapping[K, object]) -> dict[K, int]:
    """Split ``total`` whole units proportionally to ``weights`` so the parts sum to ``total``.

    Every part is the floor of its quota ``total x w / sum(w)`` or one more; the leftover units go
    to the largest fractional remainders, ties to the smaller key. Zero weights get 0.
    """
    total = _non_negative_int(total, "total")
    exact = {key: _non_negative(w, f"weight of {key!r}") for key, w in weights.items()}
    keys = sorted(exact, key=_sort_key)
    if total == 0:
        return {key: 0 for key in keys}
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        raise DomainError(f"cannot split {total} units: all weights are zero")
    quotas = {key: total * exact[key] / weight_sum for key in keys}
    parts = {key: math.floor(quotas[key]) for key in keys}
    left = total - sum(parts.values())
    by_remainder = sorted(keys, key=lambda k: (-(quotas[k] - parts[k]), _sort_key(k)))
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts


# --------------------------------------------------------------------------- models


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ManufacturingPlan(_Frozen):
    season_demand: float = Field(description="Category units forecast for the season.")
    replenishment_strategy: ReplenishmentStrategy
    safety_stock_pct: float = Field(description="Effective safety stock (implied if qty set).")
    safety_stock_source: Literal["default", "override", "implied_by_quantity"]
    manufacturing_qty: int = Field(ge=0)
    dc_holdback_percentage: float = Field(ge=0.0, le=1.0)
    holdback_qty: int = Field(ge=0, description="Units kept at the DC at week 0.")
    initial_allocation: int = Field(ge=0, description="Units shipped to stores at week 0.")


class StoreWeight(_Frozen):
    """A store's place in the hierarchy (what ``clusters.StoreCluster`` also provides)."""

    store_id: str
    cluster_id: ClusterId
    store_factor: float = Field(ge=0.0)


class StoreWeightLike(Protocol):
    @property
    def store_id(self) -> str: ...

    @property
    def cluster_id(self) -> ClusterId: ...

    @property
    def store_factor(self) -> float: ...


class StoreAllocation(_Frozen):
    store_id: str
    cluster_id: ClusterId
    weight: float = Field(description="Cluster share x store factor (normalised).")
    minimum: int = Field(ge=0, description="Two-week minimum before any scaling.")
    quantity: int = Field(ge=0)


class ClusterAllocation(_Frozen):
    cluster_id: ClusterId
    share: float
    store_count: int
    quantity: int = Field(ge=0)


class AllocationPlan(_Frozen):
    initial_allocation: int = Field(ge=0)
    minimums_total: int = Field(ge=0)
    minimums_scaled: bool = Field(description="True when the minimums did not fit.")
    clusters: list[ClusterAllocation]
    stores: list[StoreAllocation]

    def quantities(self) -> dict[str, int]:
        return {s.store_id: s.quantity for s in self.stores}

    def weights(self) -> dict[str, float]:
        return {s.store_id: s.weight for s in self.stores}


class ReplenishmentPeriod(_Frozen):
    week: int = Field(ge=1, description="Shipment at the start of this week.")
    covers_weeks: list[int]
    dc_stock_before: int = Field(ge=0)
    requested: int = Field(ge=0)
    shipped: int = Field(ge=0)
    shortfall: int = Field(ge=0, description="requested - shipped")
    dc_stock_after: int = Field(ge=0)
    shipments: dict[str, int] = Field(description="store_id -> units (stores with > 0 only).")


class ReplenishmentPlan(_Frozen):
    strategy: ReplenishmentStrategy
    period_weeks: int
    dc_stock_start: int = Field(ge=0)
    periods: list[ReplenishmentPeriod]
    total_shipped: int = Field(ge=0)
    dc_stock_end: int = Field(ge=0)


class InventoryPlan(_Frozen):
    manufacturing: ManufacturingPlan
    allocation: AllocationPlan


class StoreVelocity(_Frozen):
    store_id: str
    sold: float
    expected: float
    velocity: float | None = Field(description="sold / expected; None when expected is 0.")
    status: VelocityStatus
    claim: int = Field(
        ge=0,
        description="ceil(sold - expected) less units earlier moves sent for over-plan sales, "
        "for fast stores; else 0.",
    )
    units_received: int = Field(ge=0)


class HoldbackReallocation(_Frozen):
    dc_stock_before: int = Field(ge=0)
    moved: int = Field(ge=0)
    dc_stock_after: int = Field(ge=0)
    stores: list[StoreVelocity]


class ReplanResult(_Frozen):
    actual_to_date: float
    new_remaining_forecast: float
    need: float = Field(description="actual so far + new remaining forecast")
    safety_stock_pct: float
    required_qty: int = Field(ge=0, description="ceil(remaining forecast x (1 + safety))")
    ordered_approved_qty: int = Field(ge=0, description="Units ordered and approved so far.")
    units_on_hand: int = Field(ge=0, description="max(0, ordered and approved - sold)")
    units_on_order: int = Field(ge=0)
    plan_to_date: float | None = Field(description="The plan the actuals were measured against.")
    below_plan: bool = Field(description="Sales below plan to date: no extra order.")
    extra_order_qty: int = Field(ge=0, description="The one extra-order figure.")
    extra_order_source: Literal["computed", "approver"]
    holdback: HoldbackReallocation | None


# --------------------------------------------------------------------------- manufacturing


def _strategy(value: ReplenishmentStrategy | str) -> ReplenishmentStrategy:
    try:
        return ReplenishmentStrategy(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ReplenishmentStrategy)
        raise DomainError(
            f"unknown replenishment_strategy {value!r} (allowed: {allowed})"
        ) from None


def default_safety_stock(strategy: ReplenishmentStrategy | str) -> float:
    """25% with no replenishment, 20% otherwise."""
    return float(_default_safety(_strategy(strategy)))


def _default_safety(strategy: ReplenishmentStrategy) -> Fraction:
    if strategy is ReplenishmentStrategy.NONE:
        return SAFETY_STOCK_NO_REPLENISHMENT
    return SAFETY_STOCK_WITH_REPLENISHMENT


def _override_safety(value: object) -> Fraction:
    safety = to_fraction(value, "safety_stock_pct")
    if not SAFETY_STOCK_OVERRIDE_MIN <= safety <= SAFETY_STOCK_OVERRIDE_MAX:
        raise DomainError(
            f"safety_stock_pct override must be between {float(SAFETY_STOCK_OVERRIDE_MIN):.2f} and "
            f"{float(SAFETY_STOCK_OVERRIDE_MAX):.2f}, got {float(safety):g}"
        )
    return safety


def manufacturing_quantity(season_demand: Number, safety_stock_pct: Number) -> int:
    """``ceil(season_demand x (1 + safety_stock_pct))``, computed exactly."""
    demand = _non_negative(season_demand, "season_demand")
    safety = _non_negative(safety_stock_pct, "safety_stock_pct")
    return ceil_units(demand * (1 + safety))


def holdback_quantity(manufacturing_qty: int, dc_holdback_percentage: Number) -> int:
    """``round(manufacturing_qty x dc_holdback_percentage)``, halves rounded up."""
    qty = _non_negative_int(manufacturing_qty, "manufacturing_qty")
    pct = _non_negative(dc_holdback_percentage, "dc_holdback_percentage")
    if pct > 1:
        raise DomainError(f"dc_holdback_percentage must be within 0..1, got {float(pct):g}")
    return round_half_up(qty * pct)


def plan_manufacturing(
    season_demand: Number,
    *,
    replenishment_strategy: ReplenishmentStrategy | str,
    dc_holdback_percentage: Number,
    safety_stock_pct: Number | None = None,
    manufacturing_qty: int | None = None,
) -> ManufacturingPlan:
    """Manufacturing quantity, DC holdback and initial allocation for one category.

    ``safety_stock_pct`` (10%-50%) or ``manufacturing_qty`` (integer >= 1) are the approver's
    "modify" overrides; at most one may be given.
    """
    strategy = _strategy(replenishment_strategy)
    demand = _non_negative(season_demand, "season_demand")
    if safety_stock_pct is not None and manufacturing_qty is not None:
        raise DomainError(
            "give either a safety_stock_pct or a manufacturing_qty override, not both"
        )
    source: Literal["default", "override", "implied_by_quantity"]
    if manufacturing_qty is not None:
        qty = _non_negative_int(manufacturing_qty, "manufacturing_qty")
        if qty < 1:
            raise DomainError("manufacturing_qty override must be at least 1")
        safety = qty / demand - 1 if demand > 0 else Fraction(0)
        source = "implied_by_quantity"
    else:
        if safety_stock_pct is not None:
            safety, source = _override_safety(safety_stock_pct), "override"
        else:
            safety, source = _default_safety(strategy), "default"
        qty = ceil_units(demand * (1 + safety))
    holdback = holdback_quantity(qty, dc_holdback_percentage)
    return ManufacturingPlan(
        season_demand=float(demand),
        replenishment_strategy=strategy,
        safety_stock_pct=round(float(safety), 6),
        safety_stock_source=source,
        manufacturing_qty=qty,
        dc_holdback_percentage=float(to_fraction(dc_holdback_percentage)),
        holdback_qty=holdback,
        initial_allocation=qty - holdback,
    )


# --------------------------------------------------------------------------- allocation


def _hierarchy(
    stores: Sequence[StoreWeightLike], cluster_shares: ClusterShares
) -> tuple[dict[ClusterId, Fraction], dict[ClusterId, dict[str, Fraction]], dict[str, ClusterId]]:
    """Normalised cluster shares, normalised factors per cluster, and store -> cluster."""
    if not stores:
        raise DomainError("no stores to allocate to")
    shares = {
        cid: _non_negative(s, f"share of cluster {cid!r}") for cid, s in cluster_shares.items()
    }
    share_sum = sum(shares.values(), Fraction(0))
    if share_sum == 0:
        raise DomainError("cluster shares must not all be zero")
    shares = {cid: s / share_sum for cid, s in shares.items()}
    factors: dict[ClusterId, dict[str, Fraction]] = {cid: {} for cid in shares}
    store_cluster: dict[str, ClusterId] = {}
    for store in stores:
        sid = store.store_id
        if sid in store_cluster:
            raise DomainError(f"store {sid!r} appears twice")
        if store.cluster_id not in shares:
            raise DomainError(
                f"store {sid!r} is in cluster {store.cluster_id!r}, which has no share"
            )
        store_cluster[sid] = store.cluster_id
        factors[store.cluster_id][sid] = _non_negative(store.store_factor, f"factor of {sid!r}")
    for cid, members in factors.items():
        total = sum(members.values(), Fraction(0))
        if total == 0:
            if shares[cid] > 0:
                what = "has no stores" if not members else "has store factors summing to 0"
                raise DomainError(f"cluster {cid!r} has a positive share but {what}")
            continue
        factors[cid] = {sid: f / total for sid, f in members.items()}
    return shares, factors, store_cluster


def allocate_initial(
    initial_allocation: int,
    stores: Sequence[StoreWeightLike],
    cluster_shares: ClusterShares,
    *,
    first_two_weeks_forecast: Number | None = None,
    minimums: Mapping[str, int] | None = None,
) -> AllocationPlan:
    """Split ``initial_allocation`` cluster -> store with two-week minimums (see docstring 4-5).

    ``first_two_weeks_forecast`` is the category forecast of weeks 1 + 2 (minimums are derived
    from it); ``minimums`` gives per-store integer minimums directly. At most one of the two.
    """
    total = _non_negative_int(initial_allocation, "initial_allocation")
    if first_two_weeks_forecast is not None and minimums is not None:
        raise DomainError("give either first_two_weeks_forecast or minimums, not both")
    shares, factors, store_cluster = _hierarchy(stores, cluster_shares)
    weights = {
        sid: shares[cid] * factors[cid].get(sid, Fraction(0)) for sid, cid in store_cluster.items()
    }

    cluster_totals = largest_remainder(total, shares)
    quantity: dict[str, int] = {}
    for cid, members in factors.items():
        if cluster_totals[cid]:
            quantity.update(largest_remainder(cluster_totals[cid], members))
        else:
            quantity.update({sid: 0 for sid in members})

    if minimums is not None:
        unknown = sorted(set(minimums) - set(store_cluster))
        if unknown:
            raise DomainError(f"minimums given for unknown stores: {', '.join(unknown[:10])}")
        mins = {
            sid: _non_negative_int(minimums.get(sid, 0), f"minimum of {sid!r}") for sid in quantity
        }
    elif first_two_weeks_forecast is not None:
        two_weeks = _non_negative(first_two_weeks_forecast, "first_two_weeks_forecast")
        mins = {sid: ceil_units(weights[sid] * two_weeks) for sid in quantity}
    else:
        mins = {sid: 0 for sid in quantity}

    minimums_total = sum(mins.values())
    scaled = minimums_total > total
    if scaled:
        quantity = largest_remainder(total, mins)
    else:
        deficit = {sid: mins[sid] - q for sid, q in quantity.items() if q < mins[sid]}
        needed = sum(deficit.values())
        if needed:
            surplus = {sid: q - mins[sid] for sid, q in quantity.items() if q > mins[sid]}
            taken = largest_remainder(needed, surplus)
            for sid, units in taken.items():
                quantity[sid] -= units
            for sid, units in deficit.items():
                quantity[sid] += units

    ordered = sorted(store_cluster, key=_sort_key)
    store_rows = [
        StoreAllocation(
            store_id=sid,
            cluster_id=store_cluster[sid],
            weight=float(weights[sid]),
            minimum=mins[sid],
            quantity=quantity[sid],
        )
        for sid in ordered
    ]
    cluster_rows = [
        ClusterAllocation(
            cluster_id=cid,
            share=float(shares[cid]),
            store_count=len(factors[cid]),
            quantity=sum(quantity[sid] for sid in factors[cid]),
        )
        for cid in sorted(shares, key=_sort_key)
    ]
    return AllocationPlan(
        initial_allocation=total,
        minimums_total=minimums_total,
        minimums_scaled=scaled,
        clusters=cluster_rows,
        stores=store_rows,
    )


# --------------------------------------------------------------------------- replenishment


def replenishment_period_weeks(strategy: ReplenishmentStrategy | str) -> int | None:
    """1 for weekly, 2 for bi-weekly, None for no replenishment."""
    return {
        ReplenishmentStrategy.NONE: None,
        ReplenishmentStrategy.WEEKLY: 1,
        ReplenishmentStrategy.BI_WEEKLY: 2,
    }[_strategy(strategy)]


def plan_replenishment(
    strategy: ReplenishmentStrategy | str,
    *,
    weekly_forecast: Sequence[Number],
    store_weights: Mapping[str, Number],
    initial_on_hand: Mapping[str, int],
    dc_stock: int,
    safety_stock_pct: Number = 0,
) -> ReplenishmentPlan | None:
    """Projected DC -> store top-ups over the season (docstring 6 and 8); None for ``none``."""
    period = replenishment_period_weeks(strategy)
    if period is None:
        return None
    if not weekly_forecast:
        raise DomainError("weekly_forecast must cover at least one week")
    stock = _non_negative_int(dc_stock, "dc_stock")
    if set(store_weights) != set(initial_on_hand):
        raise DomainError("store_weights and initial_on_hand must name the same stores")
    raw = {sid: _non_negative(w, f"weight of {sid!r}") for sid, w in store_weights.items()}
    if sum(raw.values(), Fraction(0)) == 0:
        raise DomainError("store weights must not all be zero")
    on_hand = {
        sid: _non_negative_int(initial_on_hand[sid], f"on-hand of {sid!r}")
        for sid in sorted(raw, key=_sort_key)
    }
    reviews, end = project_top_ups(
        reviews=review_weeks(strategy, len(weekly_forecast)),
        period_weeks=period,
        from_week=1,
        weekly_plan=weekly_forecast,
        weights=raw,
        on_hand=on_hand,
        dc_stock=stock,
        safety_stock_pct=safety_stock_pct,
    )
    periods = [
        ReplenishmentPeriod(
            week=r.week,
            covers_weeks=r.covers_weeks,
            dc_stock_before=r.dc_after + sum(r.shipped.values()),
            requested=r.requested,
            shipped=sum(r.shipped.values()),
            shortfall=r.requested - sum(r.shipped.values()),
            dc_stock_after=r.dc_after,
            shipments=r.shipped,
        )
        for r in reviews
    ]
    return ReplenishmentPlan(
        strategy=_strategy(strategy),
        period_weeks=period,
        dc_stock_start=stock,
        periods=periods,
        total_shipped=stock - end,
        dc_stock_end=end,
    )


def plan_inventory(
    weekly_forecast: Sequence[Number],
    stores: Sequence[StoreWeightLike],
    cluster_shares: ClusterShares,
    parameters: SeasonParameters,
    *,
    safety_stock_pct: Number | None = None,
    manufacturing_qty: int | None = None,
) -> InventoryPlan:
    """The Inventory agent's pre-season order and allocation from the category's weekly
    forecast: the one composition the Inventory step, the allocate endpoint and the tests use.

    ``season_demand`` is the sum of ``weekly_forecast`` (which must span the horizon); the
    overrides are the approver's "modify" inputs (see ``plan_manufacturing``). The
    replenishment plan is its own step (``plan_replenishment`` on the stored allocation's
    store weights), run only when the strategy replenishes.
    """
    if len(weekly_forecast) != parameters.forecast_horizon_weeks:
        raise DomainError(
            f"weekly_forecast has {len(weekly_forecast)} weeks, the horizon is "
            f"{parameters.forecast_horizon_weeks}"
        )
    forecast = [
        _non_negative(v, f"forecast of week {i + 1}") for i, v in enumerate(weekly_forecast)
    ]
    manufacturing = plan_manufacturing(
        sum(forecast, Fraction(0)),
        replenishment_strategy=parameters.replenishment_strategy,
        dc_holdback_percentage=parameters.dc_holdback_percentage,
        safety_stock_pct=safety_stock_pct,
        manufacturing_qty=manufacturing_qty,
    )
    allocation = allocate_initial(
        manufacturing.initial_allocation,
        stores,
        cluster_shares,
        first_two_weeks_forecast=sum(forecast[:2], Fraction(0)),
    )
    return InventoryPlan(manufacturing=manufacturing, allocation=allocation)


# --------------------------------------------------------------------------- re-plan


def extra_order_quantity(
    *,
    remaining_forecast: Number,
    safety_stock_pct: Number,
    units_on_hand: int,
    units_on_order: int = 0,
) -> int:
    """``max(0, ceil(remaining x (1 + safety)) - on hand - on order)`` (docstring 7)."""
    required = manufacturing_quantity(remaining_forecast, safety_stock_pct)
    on_hand = _non_negative_int(units_on_hand, "units_on_hand")
    return max(0, required - on_hand - _non_negative_int(units_on_order, "units_on_order"))


def reallocate_holdback(
    dc_stock: int,
    sold: Mapping[str, Number],
    expected: Mapping[str, Number],
    *,
    credited: Mapping[str, int] | None = None,
    fast_threshold: float = FAST_VELOCITY,
    slow_threshold: float = SLOW_VELOCITY,
) -> HoldbackReallocation:
    """Move the DC stock left toward fast-selling stores (see docstring 7).

    ``sold`` and ``expected`` are units to date per store; a store missing from ``sold`` has sold
    0; a store in ``sold`` but not in ``expected`` is a ``DomainError``. ``credited``: units
    earlier moves already sent each store for its over-plan sales (deducted from its claim).
    """
    stock = _non_negative_int(dc_stock, "dc_stock")
    unknown = sorted(set(sold) - set(expected))
    if unknown:
        raise DomainError(f"sales given for stores with no expectation: {', '.join(unknown[:10])}")
    fast = to_fraction(fast_threshold, "fast_threshold")
    slow = to_fraction(slow_threshold, "slow_threshold")
    if not 0 <= slow <= fast:
        raise DomainError("need 0 <= slow_threshold <= fast_threshold")
    rows: list[tuple[str, Fraction, Fraction, Fraction | None, VelocityStatus, int]] = []
    status: VelocityStatus
    claims: dict[str, int] = {}
    for sid in sorted(expected, key=_sort_key):
        s = _non_negative(sold.get(sid, 0), f"sold of {sid!r}")
        e = _non_negative(expected[sid], f"expected of {sid!r}")
        velocity = s / e if e > 0 else None
        if (velocity is None and s > 0) or (velocity is not None and velocity > fast):
            paid = _non_negative_int((credited or {}).get(sid, 0), f"credited of {sid!r}")
            status, claim = "fast", max(0, ceil_units(s - e) - paid)
        elif velocity is not None and velocity < slow:
            status, claim = "slow", 0
        else:
            status, claim = "normal", 0
        claims[sid] = claim
        rows.append((sid, s, e, velocity, status, claim))
    total_claims = sum(claims.values())
    received = claims if total_claims <= stock else largest_remainder(stock, claims)
    moved = sum(received.values())
    return HoldbackReallocation(
        dc_stock_before=stock,
        moved=moved,
        dc_stock_after=stock - moved,
        stores=[
            StoreVelocity(
                store_id=sid,
                sold=float(s),
                expected=float(e),
                velocity=None if v is None else round(float(min(v, MAX_REPORTED_VELOCITY)), 6),
                status=status,
                claim=claim,
                units_received=received[sid],
            )
            for sid, s, e, v, status, claim in rows
        ],
    )


def replan_after_reforecast(
    *,
    ordered_approved_qty: int,
    safety_stock_pct: Number,
    actual_to_date: Number,
    new_remaining_forecast: Number | Sequence[Number],
    plan_to_date: Number | None = None,
    units_on_order: int = 0,
    total_order_override: int | None = None,
    dc_stock: int = 0,
    store_sold: Mapping[str, Number] | None = None,
    store_expected: Mapping[str, Number] | None = None,
    credited: Mapping[str, int] | None = None,
) -> ReplanResult:
    """Inventory re-plan after a re-forecast: extra order from the inventory position and the
    DC holdback re-allocation (docstring 7).

    ``new_remaining_forecast`` is the re-forecast of the remaining weeks (a total or the weekly
    list); ``plan_to_date`` the plan in effect's units over the observed weeks (None: not
    known); ``total_order_override`` an approver's new total order. The holdback move is
    computed when ``store_expected`` is given.
    """
    if isinstance(new_remaining_forecast, Sequence):
        remaining = sum(
            (_non_negative(v, "new_remaining_forecast") for v in new_remaining_forecast),
            Fraction(0),
        )
    else:
        remaining = _non_negative(new_remaining_forecast, "new_remaining_forecast")
    actual = _non_negative(actual_to_date, "actual_to_date")
    ordered = _non_negative_int(ordered_approved_qty, "ordered_approved_qty")
    on_order = _non_negative_int(units_on_order, "units_on_order")
    safety = _non_negative(safety_stock_pct, "safety_stock_pct")
    plan = None if plan_to_date is None else _non_negative(plan_to_date, "plan_to_date")
    on_hand = max(0, math.floor(ordered - actual))
    required = manufacturing_quantity(remaining, safety)
    below = plan is not None and actual < plan
    source: Literal["computed", "approver"]
    if total_order_override is not None:
        total = _non_negative_int(total_order_override, "total_order_override")
        extra, source = max(0, total - ordered - on_order), "approver"
    else:
        extra = 0 if below else max(0, required - on_hand - on_order)
        source = "computed"
    holdback = None
    if store_expected is not None:
        holdback = reallocate_holdback(
            dc_stock, store_sold or {}, store_expected, credited=credited
        )
    elif store_sold is not None:
        raise DomainError("store_sold needs store_expected")
    return ReplanResult(
        actual_to_date=float(actual),
        new_remaining_forecast=float(remaining),
        need=float(actual + remaining),
        safety_stock_pct=float(safety),
        required_qty=required,
        ordered_approved_qty=ordered,
        units_on_hand=on_hand,
        units_on_order=on_order,
        plan_to_date=None if plan is None else float(plan),
        below_plan=below,
        extra_order_qty=extra,
        extra_order_source=source,
        holdback=holdback,
    )


# --------------------------------------------------------------------------- season position


def review_weeks(strategy: ReplenishmentStrategy | str, horizon_weeks: int) -> list[int]:
    """The weeks a top-up review ships at the start of: 1 + p, 1 + 2p, ... up to the horizon
    (docstring 8); none for ``none``."""
    period = replenishment_period_weeks(strategy)
    if period is None:
        return []
    return list(range(1 + period, horizon_weeks + 1, period))


def top_up(
    weights: Mapping[str, Number],
    on_hand: Mapping[str, Number],
    cover_forecast: Number,
    safety_stock_pct: Number,
    dc_stock: int,
) -> dict[str, int]:
    """One top-up review (docstring 8): each store asks ``max(0, ceil(weight x cover forecast
    x (1 + safety) - on hand))`` (a negative on-hand counts as 0); the DC ships every request
    when it can, else splits its stock in proportion to the requests (largest remainder)."""
    stock = _non_negative_int(dc_stock, "dc_stock")
    cover = _non_negative(cover_forecast, "cover_forecast")
    safety = _non_negative(safety_stock_pct, "safety_stock_pct")
    raw = {sid: _non_negative(w, f"weight of {sid!r}") for sid, w in weights.items()}
    weight_sum = sum(raw.values(), Fraction(0))
    if weight_sum == 0:
        return {sid: 0 for sid in raw}
    requests = {
        sid: max(
            0,
            ceil_units(
                w / weight_sum * cover * (1 + safety)
                - max(Fraction(0), to_fraction(on_hand.get(sid, 0), f"on-hand of {sid!r}"))
            ),
        )
        for sid, w in raw.items()
    }
    total = sum(requests.values())
    if total <= stock:
        return requests
    return largest_remainder(stock, requests)


class ProjectedReview(_Frozen):
    week: int
    covers_weeks: list[int]
    requested: int = Field(ge=0)
    shipped: dict[str, int]
    dc_after: int = Field(ge=0)


def project_top_ups(
    *,
    reviews: Sequence[int],
    period_weeks: int,
    from_week: int,
    weekly_plan: Sequence[Number],
    weights: Mapping[str, Number],
    on_hand: Mapping[str, Number],
    dc_stock: int,
    safety_stock_pct: Number,
) -> tuple[list[ProjectedReview], int]:
    """The top-up reviews of weeks >= ``from_week`` as now planned (docstring 8): sales follow
    ``weekly_plan`` from ``from_week`` on. Returns the reviews and the DC stock planned to be
    left at season end."""
    horizon = len(weekly_plan)
    plan = [_non_negative(v, f"plan of week {i + 1}") for i, v in enumerate(weekly_plan)]
    raw = {sid: _non_negative(w, f"weight of {sid!r}") for sid, w in weights.items()}
    weight_sum = sum(raw.values(), Fraction(0))
    share = {sid: (w / weight_sum if weight_sum else Fraction(0)) for sid, w in raw.items()}
    stock = _non_negative_int(dc_stock, "dc_stock")
    held = {sid: max(Fraction(0), to_fraction(on_hand.get(sid, 0), "on_hand")) for sid in share}
    out: list[ProjectedReview] = []
    due = set(reviews)
    for week in range(max(1, from_week), horizon + 1):
        if week in due:
            covers = list(range(week, min(week + period_weeks - 1, horizon) + 1))
            cover = sum((plan[w - 1] for w in covers), Fraction(0))
            asked = top_up(share, held, cover, safety_stock_pct, 10**12)
            shipped = top_up(share, held, cover, safety_stock_pct, stock)
            stock -= sum(shipped.values())
            for sid, units in shipped.items():
                held[sid] += units
            out.append(
                ProjectedReview(
                    week=week,
                    covers_weeks=covers,
                    requested=sum(asked.values()),
                    shipped={sid: u for sid, u in shipped.items() if u > 0},
                    dc_after=stock,
                )
            )
        for sid in held:
            held[sid] = max(Fraction(0), held[sid] - share[sid] * plan[week - 1])
    return out, stock
