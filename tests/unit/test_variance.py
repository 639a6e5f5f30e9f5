"""Variance check and shape-keeping re-forecast."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.variance import (
    cumulative_variance,
    reforecast_remaining,
    shrinkage_weight,
    weekly_totals,
)
from fashion_forecast_local.sample_data import (
    SCENARIOS,
    load_sample_season_expected,
    load_sample_weekly_sales,
)


def test_domain_example_3200_vs_2550() -> None:
    result = cumulative_variance([700, 820, 850, 830], [600, 640, 650, 660])
    assert (result.actual_cum, result.forecast_cum, result.week) == (3200, 2550, 4)
    assert result.variance == pytest.approx(0.2549019608)
    assert result.variance_rounded == 0.255
    assert result.display == "+25.5%"
    assert result.direction == "over"
    assert result.triggered and not result.emergency


def test_threshold_is_strict_and_emergency() -> None:
    assert not cumulative_variance([1200], [1000]).triggered  # exactly 20%
    assert cumulative_variance([1201], [1000]).triggered
    assert not cumulative_variance([800], [1000]).triggered
    under = cumulative_variance([799], [1000])
    assert under.triggered and under.direction == "under" and under.display == "-20.1%"
    assert not cumulative_variance([1300], [1000]).emergency  # exactly 30%
    assert cumulative_variance([1301], [1000]).emergency
    far_under = cumulative_variance([690], [1000])  # -31%: far below plan is no emergency
    assert far_under.triggered and not far_under.emergency
    assert far_under.far_under_plan and far_under.direction == "under"
    assert not cumulative_variance([700], [1000]).far_under_plan  # exactly -30%
    assert not cumulative_variance([1400], [1000]).far_under_plan
    assert cumulative_variance([1100], [1000], variance_threshold=0.05).triggered
    on = cumulative_variance([5, 5], [4, 6])
    assert on.direction == "on_target" and on.variance == 0 and not on.triggered


def test_rounding_is_half_away_from_zero() -> None:
    assert cumulative_variance([10005], [10000]).variance_rounded == 0.001  # 0.0005
    assert cumulative_variance([9995], [10000]).variance_rounded == -0.001
    assert cumulative_variance([1], [3]).variance_rounded == -0.667


def test_zero_forecast() -> None:
    nothing = cumulative_variance([0, 0], [0, 0])
    assert nothing.variance == 0 and not nothing.triggered and nothing.forecast_was_zero
    sold = cumulative_variance([0, 3], [0, 0, 5])
    assert sold.forecast_was_zero and sold.variance == 1.0
    assert sold.direction == "over" and sold.triggered and sold.emergency


def test_inputs_as_mappings_and_errors() -> None:
    assert cumulative_variance({2: 820, 1: 700}, [600, 640, 650]).actual_cum == 1520
    with pytest.raises(DomainError):
        cumulative_variance({1: 5, 3: 5}, [1, 1, 1])  # week 2 missing
    with pytest.raises(DomainError):
        cumulative_variance([1, 2, 3], [1, 2])  # forecast too short
    with pytest.raises(DomainError):
        cumulative_variance([-1], [1])
    with pytest.raises(DomainError):
        cumulative_variance([], [1])
    with pytest.raises(DomainError):
        cumulative_variance([1], [1], variance_threshold=1.5)


def test_weekly_totals() -> None:
    rows = [
        {"store_id": "S1", "week_number": 2, "units_sold": 5},
        {"store_id": "S2", "week_number": 1, "units_sold": 3},
        {"store_id": "S1", "week_number": 1, "units_sold": "4"},
    ]
    assert weekly_totals(rows) == {1: 7, 2: 5}
    with pytest.raises(DomainError):
        weekly_totals([{"week_number": 1}])
    with pytest.raises(DomainError):
        weekly_totals([{"week_number": 1, "units_sold": -2}])


# --------------------------------------------------------------------------- re-forecast


ORIGINAL = [600, 640, 650, 660, 700, 720, 760, 800, 780, 740, 700, 650]


def test_reforecast_domain_example() -> None:
    result = reforecast_remaining(ORIGINAL, [700, 820, 850, 830])
    assert result.observed_ratio == pytest.approx(3200 / 2550)
    assert result.consistency == 1.0
    assert result.weight == 0.5  # 4 / (4 + 4) x 1
    assert result.factor == pytest.approx(1 + 0.5 * (3200 / 2550 - 1))
    assert result.remaining_weeks == list(range(5, 13))
    assert result.original_remaining == [float(v) for v in ORIGINAL[4:]]
    # the weekly shape is kept: every remaining week moves by the same factor
    for new, old in zip(result.remaining_forecast, ORIGINAL[4:], strict=True):
        assert new / old == pytest.approx(result.factor)
    assert result.new_remaining_total == pytest.approx(sum(ORIGINAL[4:]) * result.factor)


def test_more_weeks_trust_actuals_more() -> None:
    short = reforecast_remaining(ORIGINAL, [v * 1.3 for v in ORIGINAL[:2]])
    long = reforecast_remaining(ORIGINAL, [v * 1.3 for v in ORIGINAL[:8]])
    assert short.observed_ratio == pytest.approx(1.3) == long.observed_ratio
    assert short.weight == pytest.approx(2 / 6)
    assert long.weight == pytest.approx(8 / 12)
    assert 1 < short.factor < long.factor < 1.3


def test_consistent_bias_trusted_more_than_one_odd_week() -> None:
    steady = [v * 1.25 for v in ORIGINAL[:4]]
    spike = [ORIGINAL[0] * 2.0, ORIGINAL[1] * 0.95, ORIGINAL[2] * 0.95, ORIGINAL[3] * 1.0]
    a = reforecast_remaining(ORIGINAL, steady)
    b = reforecast_remaining(ORIGINAL, spike)
    assert a.consistency == 1.0 and b.consistency == 0.25
    assert b.weight < a.weight
    assert abs(b.factor - 1) < abs(a.factor - 1)


def test_under_forecast_moves_down_and_exact_forecast_keeps() -> None:
    down = reforecast_remaining(ORIGINAL, [v * 0.7 for v in ORIGINAL[:5]])
    assert down.factor == pytest.approx(1 - 5 / 9 * 0.3)
    kept = reforecast_remaining(ORIGINAL, ORIGINAL[:3])
    assert kept.factor == 1.0 and kept.remaining_forecast == [float(v) for v in ORIGINAL[3:]]
    zero = reforecast_remaining([0, 0, 10], [5, 5])
    assert zero.observed_ratio is None and zero.weight == 0 and zero.remaining_forecast == [10.0]
    assert reforecast_remaining(ORIGINAL, [0] * 3).factor == pytest.approx(1 - 3 / 7)


def test_shrinkage_weight_and_errors() -> None:
    assert shrinkage_weight(4, 1.0) == 0.5
    assert shrinkage_weight(4, 0.5, prior_weeks=0) == 0.5
    assert shrinkage_weight(6, 1.0, prior_weeks=2) == 0.75
    with pytest.raises(DomainError):
        shrinkage_weight(0, 1.0)
    with pytest.raises(DomainError):
        shrinkage_weight(3, 1.5)
    with pytest.raises(DomainError):
        reforecast_remaining([1, 2], [1, 2, 3])
    with pytest.raises(DomainError):
        reforecast_remaining([1, 2], [1], prior_weeks=-1)


@settings(max_examples=150, deadline=None)
@given(
    forecast=st.lists(st.floats(1, 5000), min_size=2, max_size=26),
    data=st.data(),
    prior=st.floats(0, 10),
)
def test_factor_between_one_and_observed_ratio(
    forecast: list[float], data: st.DataObject, prior: float
) -> None:
    n = data.draw(st.integers(1, len(forecast) - 1))
    actual = data.draw(st.lists(st.floats(0, 10_000), min_size=n, max_size=n))
    result = reforecast_remaining(forecast, actual, prior_weeks=prior)
    assert result.observed_ratio is not None
    low, high = sorted((1.0, result.observed_ratio))
    assert low - 1e-9 <= result.factor <= high + 1e-9
    assert 0 <= result.weight <= n / (n + prior) + 1e-12
    assert len(result.remaining_forecast) == len(forecast) - n
    assert all(v >= 0 for v in result.remaining_forecast)


# re-forecast from the plan in effect: DOMAIN's example, then a second re-forecast after week 8
DOMAIN_CURVE = [600, 625, 650, 675, 700, 725, 750, 750, 700, 650, 600, 550]
FIRST_ACTUALS = [750, 780, 820, 850]  # 3,200 vs 2,550: +25.5%, every week over


def test_a_second_reforecast_measures_against_the_plan_in_effect() -> None:
    first = reforecast_remaining(DOMAIN_CURVE, FIRST_ACTUALS)
    assert (first.anchor_week, first.evidence_weeks, first.method) == (0, 4, "level")
    assert first.factor == pytest.approx(1.127450980392, abs=1e-12)
    # the plan in effect from week 5: the actuals of weeks 1-4, then the re-forecast curve
    v2 = DOMAIN_CURVE[:4] + first.remaining_forecast
    actuals = [*FIRST_ACTUALS, 950, 980, 1010, 1010]  # weeks 5-8: 3,950 vs 3,297.8 planned
    second = reforecast_remaining(v2, actuals, anchor_week=4)
    plan_cum = 3200 + sum(first.remaining_forecast[:4])
    assert plan_cum == pytest.approx(6497.79, abs=0.01)
    # R is the variance row's figure: 7,150 / 6,497.8 (+10.0%), never 7,150 / 5,475 (+30.6%)
    assert second.observed_ratio == pytest.approx(7150 / plan_cum)
    assert round(second.observed_ratio - 1, 3) == 0.100
    assert (second.anchor_week, second.evidence_weeks, second.consistency) == (4, 4, 1.0)
    assert second.weight == 0.5  # 4 evidence weeks (5-8) / (4 + 4) x 1
    assert second.factor == pytest.approx(1 + 0.5 * (7150 / plan_cum - 1))
    assert second.factor == pytest.approx(1.05019, abs=1e-5)
    # applied to the plan in effect's weeks 9-12 (v2), not stacked on the pre-season curve
    assert second.original_remaining == pytest.approx(first.remaining_forecast[4:])
    assert [round(v, 2) for v in second.remaining_forecast] == [828.82, 769.62, 710.42, 651.22]
    # the earlier +25.5% miss is in both sums alike: measured afresh, on plan means no change
    kept = reforecast_remaining(v2, [*FIRST_ACTUALS, *first.remaining_forecast[:4]], anchor_week=4)
    assert kept.observed_ratio == pytest.approx(1.0) and kept.factor == pytest.approx(1.0)


def test_no_evidence_week_keeps_the_plan() -> None:
    same_week = reforecast_remaining([100.0] * 6, [130, 130, 130], anchor_week=3)
    assert (same_week.evidence_weeks, same_week.weight, same_week.factor) == (0, 0.0, 1.0)
    assert same_week.observed_ratio == 1.0


def test_after_a_markdown_the_observed_lift_replaces_the_assumed_one() -> None:
    from fashion_forecast.domain.variance import MarkdownLift

    base = [1000.0] * 12  # the pre-markdown curve
    lifted = [1000.0] * 6 + [1200.0] * 6  # a 10% markdown at week 6, elasticity 2: +20%
    actuals = [1000] * 6 + [1050, 1050, 1050, 1050]  # weeks 7-10: +5% over the base curve
    result = reforecast_remaining(
        lifted, actuals, markdown=MarkdownLift(checkpoint_week=6, assumed_lift=0.2, base_curve=base)
    )
    # variance row through week 10: 10,200 / 10,800 = -5.6%
    assert result.observed_ratio == pytest.approx(10200 / 10800)
    assert (result.method, result.assumed_lift) == ("observed_lift", 0.2)
    assert result.observed_lift == pytest.approx(0.05)
    assert result.factor == pytest.approx(1.05 / 1.2)
    assert result.remaining_forecast == pytest.approx([1050.0, 1050.0])  # base x 1.05
    # no week since the markdown yet (a manual re-forecast through week 6): the level rule
    early = reforecast_remaining(
        lifted,
        [900] * 6,
        markdown=MarkdownLift(checkpoint_week=6, assumed_lift=0.2, base_curve=base),
    )
    assert early.method == "level" and early.observed_lift is None
    with pytest.raises(DomainError):
        reforecast_remaining(
            lifted, actuals, markdown=MarkdownLift(6, assumed_lift=0.2, base_curve=base[:5])
        )


# --------------------------------------------------------------------------- sample scenarios


def _season_variances(scenario: str) -> list[tuple[bool, str]]:
    expected = [row["expected_units"] for row in load_sample_season_expected()]
    totals = weekly_totals(load_sample_weekly_sales(scenario))
    out: list[tuple[bool, str]] = []
    for n in range(1, len(expected) + 1):
        result = cumulative_variance([totals[w] for w in range(1, n + 1)], expected[:n])
        out.append((result.triggered, result.direction))
    return out


def test_sample_scenarios_trigger_as_designed() -> None:
    assert set(SCENARIOS) == {"normal", "shock_up", "shock_down"}
    assert not any(triggered for triggered, _ in _season_variances("normal"))
    for scenario, direction in (("shock_up", "over"), ("shock_down", "under")):
        weeks = _season_variances(scenario)
        first = next(i for i, (t, _) in enumerate(weeks, start=1) if t)
        assert 6 <= first <= 8, scenario
        assert all(t and d == direction for t, d in weeks[first - 1 :]), scenario
        assert not any(t for t, _ in weeks[:4]), scenario
