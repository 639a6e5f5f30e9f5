"""Pricing agent: the DOMAIN markdown table, bounds, elasticity estimation, lift."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.pricing import (
    apply_lift,
    estimate_elasticity,
    estimate_elasticity_from_history,
    expected_lift,
    markdown_for_sell_through,
    recommend_markdown,
)

TABLE = [(580, 0.05), (550, 0.10), (520, 0.15), (500, 0.20), (400, 0.40), (630, 0.0)]


@pytest.mark.parametrize(("sold", "markdown"), TABLE)
def test_domain_markdown_table(sold: int, markdown: float) -> None:
    rec = recommend_markdown(sold, 1000, markdown_threshold=0.60, elasticity=2.0)
    assert rec.markdown_pct == markdown
    assert rec.markdown_steps == round(markdown * 20)
    assert rec.apply_markdown is (markdown > 0)
    assert rec.expected_lift == pytest.approx(2.0 * markdown)
    # same table from a sell-through ratio given as a float
    assert markdown_for_sell_through(sold / 1000) == markdown


def test_float_gap_is_not_one_step_short() -> None:
    assert (0.60 - 0.55) * 2 < 0.1  # float arithmetic lands just under 10% ...
    assert markdown_for_sell_through(0.55) == 0.10  # ... the exact one does not
    assert markdown_for_sell_through(0.6 - 0.05) == 0.10
    rec = recommend_markdown(5500, 10000)
    assert rec.markdown_pct == 0.10
    assert rec.expected_lift == 0.2  # 10% at elasticity 2 -> +20%


def test_cap_rounding_and_small_gaps() -> None:
    assert recommend_markdown(100, 1000).markdown_pct == 0.40  # raw 1.0, capped
    assert recommend_markdown(100, 1000).capped
    assert not recommend_markdown(400, 1000).capped  # exactly 40%
    assert recommend_markdown(575, 1000).markdown_pct == 0.05  # 5.0% exactly
    assert recommend_markdown(595, 1000).markdown_pct == 0.0  # 1% rounds to 0: no markdown
    assert not recommend_markdown(595, 1000).apply_markdown
    assert recommend_markdown(600, 1000).markdown_pct == 0.0  # gap 0
    assert recommend_markdown(1200, 1000).markdown_pct == 0.0  # sell-through above 100%
    # halves round up: gap 1.25 pts x 2 = 2.5% -> 5%
    assert markdown_for_sell_through(0.5875) == 0.05
    assert markdown_for_sell_through(0.5, elasticity=3.0) == 0.30
    assert markdown_for_sell_through(0.5, elasticity=1.0) == 0.10
    assert markdown_for_sell_through(0.0, markdown_threshold=0.9, elasticity=1.0) == 0.40


def test_reasoning_mentions_the_numbers() -> None:
    rec = recommend_markdown(5500, 10000, checkpoint_week=6)
    assert rec.reasoning.startswith("Sell-through at week 6 is 55.0% (5,500 of 10,000 units)")
    for part in ("60.0% target", "gap of 5.0 points", "elasticity 2", "10%", "+20%"):
        assert part in rec.reasoning
    assert "no markdown" in recommend_markdown(700, 1000).reasoning
    assert "capped at 40%" in recommend_markdown(100, 1000).reasoning


def test_markdown_override() -> None:
    rec = recommend_markdown(550, 1000, markdown_override=0.25)
    assert rec.overridden and rec.markdown_pct == 0.25 and rec.expected_lift == 0.5
    assert "approver" in rec.reasoning
    assert recommend_markdown(550, 1000, markdown_override=0.12).markdown_pct == 0.10
    assert recommend_markdown(700, 1000, markdown_override=0.05).apply_markdown
    with pytest.raises(DomainError):
        recommend_markdown(550, 1000, markdown_override=0.5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"elasticity": 0.99},
        {"elasticity": 3.01},
        {"elasticity": float("nan")},
        {"markdown_threshold": 1.5},
        {"markdown_threshold": -0.1},
        {"checkpoint_week": 0},
    ],
)
def test_bad_pricing_inputs(kwargs: dict[str, object]) -> None:
    with pytest.raises(DomainError):
        recommend_markdown(500, 1000, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("sold", "qty"), [(-1, 1000), (100, 0), (100, 10.5), (100, True)])
def test_bad_quantities(sold: int, qty: object) -> None:
    with pytest.raises(DomainError):
        recommend_markdown(sold, qty)  # type: ignore[arg-type]


def test_expected_lift() -> None:
    assert expected_lift(0.10) == 0.2
    assert expected_lift(0.15, 3.0) == pytest.approx(0.45)
    with pytest.raises(DomainError):
        expected_lift(0.1, 5.0)


@settings(max_examples=200, deadline=None)
@given(
    st_a=st.floats(0, 1.2),
    st_b=st.floats(0, 1.2),
    threshold=st.floats(0, 1),
    elasticity=st.floats(1.0, 3.0),
)
def test_markdown_bounds_steps_and_monotone(
    st_a: float, st_b: float, threshold: float, elasticity: float
) -> None:
    low, high = sorted((st_a, st_b))
    m_low = markdown_for_sell_through(low, markdown_threshold=threshold, elasticity=elasticity)
    m_high = markdown_for_sell_through(high, markdown_threshold=threshold, elasticity=elasticity)
    for m in (m_low, m_high):
        assert 0.0 <= m <= 0.40
        steps = Fraction(repr(m)) * 20
        assert steps.denominator == 1  # an exact multiple of 5%
    assert m_low >= m_high  # more sold -> never a deeper markdown
    if high >= threshold:
        assert m_high == 0.0


@settings(max_examples=100, deadline=None)
@given(sold=st.integers(0, 20_000), qty=st.integers(1, 20_000))
def test_recommendation_consistent(sold: int, qty: int) -> None:
    rec = recommend_markdown(sold, qty)
    assert rec.markdown_pct == markdown_for_sell_through(Fraction(sold, qty))
    assert rec.markdown_steps * 0.05 == pytest.approx(rec.markdown_pct)
    assert rec.expected_lift == pytest.approx(rec.elasticity * rec.markdown_pct)


# --------------------------------------------------------------------------- elasticity


def test_estimate_exact_power_law() -> None:
    prices = [10, 12, 14, 16, 18, 20, 22, 24, 26, 30]
    units = [1000 * p**-1.8 for p in prices]
    est = estimate_elasticity(prices, units)
    assert est.estimated and not est.clamped
    assert est.elasticity == pytest.approx(1.8, abs=1e-9)
    assert est.r_squared == pytest.approx(1.0)


def test_estimate_clamps_and_falls_back() -> None:
    prices = [10, 12, 14, 16, 18, 20, 22, 24, 26, 30]
    steep = estimate_elasticity(prices, [1e9 * p**-5 for p in prices])
    assert steep.elasticity == 3.0 and steep.clamped and steep.raw_elasticity == pytest.approx(5)
    upward = estimate_elasticity(prices, [p * 3.0 for p in prices])
    assert upward.elasticity == 1.0 and upward.clamped
    flat = estimate_elasticity([20.0] * 12, list(range(1, 13)))
    assert not flat.estimated and flat.elasticity == 2.0 and "vary" in flat.reason
    few = estimate_elasticity([10, 20, 30], [30, 10, 5])
    assert not few.estimated and few.elasticity == 2.0 and "default" in few.reason
    zeros = estimate_elasticity(prices, [0] * len(prices))  # no usable log points
    assert not zeros.estimated and zeros.n_points == 0
    with pytest.raises(DomainError):
        estimate_elasticity([1, 2], [1])


def test_estimate_with_store_fixed_effects() -> None:
    # two stores of very different size; within each store units follow p^-2.5
    prices, units, groups = [], [], []
    for store, scale in (("big", 10_000.0), ("small", 100.0)):
        for i, p in enumerate([8, 9, 10, 10, 10, 11, 12, 10, 10, 9]):
            prices.append(p * (1.3 if store == "small" else 1.0))
            units.append(scale * (p / 10) ** -2.5 * (1.01 if i % 2 else 0.99))
            groups.append(store)
    pooled = estimate_elasticity(prices, units)
    within = estimate_elasticity(prices, units, groups=groups)
    assert within.elasticity == pytest.approx(2.5, abs=0.05)
    assert abs(pooled.raw_elasticity or 0) > 3.5  # size difference masquerades as price effect


def test_estimate_from_sample_history() -> None:
    from fashion_forecast_local.sample_data import TRUE_ELASTICITY, load_sample_history

    rows = load_sample_history()
    for category, truth in TRUE_ELASTICITY.items():
        est = estimate_elasticity_from_history(rows, category=category)
        assert est.estimated
        assert est.elasticity == pytest.approx(truth, abs=0.35), category


def test_estimate_from_history_rows() -> None:
    rows = [
        {"store_id": "S1", "category": "c", "quantity_sold": q, "revenue": q * p}
        for p, q in [
            (10, 100),
            (8, 150),
            (12, 70),
            (10, 100),
            (9, 120),
            (11, 85),
            (10, 0),
            (7, 190),
        ]
    ] + [{"store_id": "S1", "category": "c", "quantity_sold": 5, "revenue": ""}]
    est = estimate_elasticity_from_history(rows, category="c", min_points=5)
    assert est.estimated and est.n_points == 7
    assert 1.0 < est.elasticity < 3.0
    with pytest.raises(DomainError):
        estimate_elasticity_from_history([{"store_id": "S1", "quantity_sold": "x", "revenue": 3}])


# --------------------------------------------------------------------------- lift


def test_apply_lift_to_remaining_weeks() -> None:
    forecast = [100.0, 100.0, 100.0, 200.0, 50.0]
    assert apply_lift(forecast, after_week=3, lift=0.2) == [100.0, 100.0, 100.0, 240.0, 60.0]
    assert apply_lift(forecast, after_week=5, lift=0.2) == forecast
    assert apply_lift(forecast, after_week=0, lift=0.0) == forecast
    lifted = apply_lift([0.1, 0.2], after_week=0, lift=0.1)
    assert lifted == [pytest.approx(0.11), pytest.approx(0.22)]
    assert math.isclose(sum(apply_lift(forecast, after_week=1, lift=0.5)), 100 + 450 * 1.5)
    with pytest.raises(DomainError):
        apply_lift(forecast, after_week=-1, lift=0.2)
    with pytest.raises(DomainError):
        apply_lift([-1.0], after_week=0, lift=0.2)
