"""Demand forecast (domain/demand.py): validation, ensemble behaviour, member failures, intervals.

Tests that do not need Prophet/ARIMA use the fast members; `test_full_ensemble_*` run all four.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fashion_forecast.domain import demand
from fashion_forecast.domain import forecast_members as fm
from fashion_forecast.domain.demand import DemandForecast, forecast_demand
from fashion_forecast.domain.errors import (
    DomainError,
    ForecastFailedError,
    InsufficientHistoryError,
    InvalidSeriesError,
)
from fashion_forecast.domain.forecast_members import Member

FAST = ["seasonal_naive", "scaled_seasonal_naive"]
START = dt.date(2021, 1, 4)


def weeks(n: int, start: dt.date = START) -> list[dt.date]:
    return [start + dt.timedelta(days=7 * i) for i in range(n)]


def seasonal(n: int, level: float = 1000.0, amp: float = 300.0) -> np.ndarray:
    t = np.arange(n)
    return level + amp * np.sin(2 * np.pi * t / 52)


def noisy_seasonal(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return seasonal(n) * (1 + 0.002 * t) + rng.normal(0, 30, n)


def wape(actual: np.ndarray, fc: np.ndarray) -> float:
    return float(np.sum(np.abs(actual - fc)) / np.sum(actual))


def points(res: DemandForecast) -> np.ndarray:
    return np.array([w.forecast for w in res.weekly])


def assert_well_formed(res: DemandForecast, last_week: dt.date, horizon: int) -> None:
    assert len(res.weekly) == horizon
    assert [w.week_start for w in res.weekly] == [
        last_week + dt.timedelta(days=7 * (i + 1)) for i in range(horizon)
    ]
    for w in res.weekly:
        assert 0.0 <= w.lower <= w.forecast <= w.upper
    assert res.total == pytest.approx(sum(w.forecast for w in res.weekly))
    assert sum(res.method_weights.values()) == pytest.approx(1.0)
    assert all(v > 0 for v in res.method_weights.values())
    assert set(res.backtest) == set(res.method_weights)
    assert not set(res.dropped) & set(res.method_weights)


# --------------------------------------------------------------------------- full ensemble


def test_full_ensemble_pure_seasonal_series_is_forecast_almost_exactly() -> None:
    n, h = 156, 26
    y = seasonal(n + h)
    res = forecast_demand(weeks(n), y[:n].tolist(), h)
    assert_well_formed(res, weeks(n)[-1], h)
    assert set(res.method_weights) == {
        "seasonal_naive",
        "scaled_seasonal_naive",
        "prophet",
        "arima",
    }
    assert res.dropped == {}
    assert res.history_weeks == n
    assert wape(y[n:], points(res)) < 0.02


def test_full_ensemble_runs_prophet_and_arima_on_a_noisy_trending_series() -> None:
    n, h = 140, 26
    y = noisy_seasonal(n + h)
    res = forecast_demand(weeks(n), y[:n], h)
    assert_well_formed(res, weeks(n)[-1], h)
    # all four members really fitted (no constant-series shortcut here) and were kept
    assert set(res.method_weights) == {
        "seasonal_naive",
        "scaled_seasonal_naive",
        "prophet",
        "arima",
    }
    assert all(0 < e < 0.2 for e in res.backtest.values())
    assert wape(y[n:], points(res)) < 0.08
    # an interval that means something: not degenerate, and most of the truth inside it
    lo = np.array([w.lower for w in res.weekly])
    hi = np.array([w.upper for w in res.weekly])
    assert np.all(hi > lo)
    assert np.mean((y[n:] >= lo) & (y[n:] <= hi)) >= 0.5


# --------------------------------------------------------------------------- members


def test_seasonal_naive_repeats_the_same_week_last_year() -> None:
    rng = np.random.default_rng(7)
    y = rng.uniform(50, 150, 80)
    res = forecast_demand(weeks(80), y, 20, members=["seasonal_naive"])
    assert points(res) == pytest.approx(y[28:48])


@pytest.mark.parametrize(("growth", "ratio"), [(1.1, 1.1), (2.0, 1.25), (0.5, 0.8)])
def test_scaled_naive_uses_the_clamped_recent_level_ratio(growth: float, ratio: float) -> None:
    rng = np.random.default_rng(11)
    y = np.tile(rng.uniform(50, 150, 52), 2)[:90]  # exactly periodic: ratio 1 ...
    y[-8:] *= growth  # ... until the last 8 weeks move
    res = forecast_demand(weeks(90), y, 10, members=["scaled_seasonal_naive"])
    assert points(res) == pytest.approx(y[38:48] * ratio)


# Two-year reading. The series is a fixed yearly pattern times a level that grows by `growth`
# each year (year 0: 100, year 1: 100 g, year 2: 100 g^2), with one accident: week 70 (year 1)
# sold 1.5 times its pattern. Weeks start 2021-03-01, so the forecast weeks 111..129
# (2023-04-17 .. 2023-08-21) are in no holiday window: the readings are plain lag 52 and 104.
TWO_YEAR_START = dt.date(2021, 3, 1)
PATTERN = 100.0 + np.arange(52)
ACCIDENT_WEEK = 70


def two_year_series(n: int, growth: float) -> np.ndarray:
    t = np.arange(n)
    y = PATTERN[t % 52] * 100.0 * growth ** (t // 52)
    y[ACCIDENT_WEEK] *= 1.5
    return y


def member_dates(n: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.date_range(TWO_YEAR_START, periods=n, freq="7D"))


@pytest.mark.parametrize(
    ("growth", "r1", "r2"),
    [
        (1.1, 1.1, 1.21),  # both ratios inside their bounds
        (1.3, 1.25, 1.5625),  # 1.3 and 1.69: each clamped at its upper bound (1.25, 1.25^2)
        (0.7, 0.8, 0.64),  # 0.7 and 0.49: each clamped at its lower bound (0.8, 0.8^2)
    ],
)
def test_scaled_naive_from_112_weeks_is_the_mean_of_the_one_and_two_year_readings(
    growth: float, r1: float, r2: float
) -> None:
    n, h = 120, 10  # targets 120..129 read weeks 68..77 (lag 52) and 16..25 (lag 104)
    y = two_year_series(n, growth)
    # level windows: recent 112..119 (year 2), a year before 60..67 (year 1), two years 8..15
    # (year 0): ratios growth and growth^2 before the clamp
    assert fm.level_ratio(y, 1) == pytest.approx(r1)
    assert fm.level_ratio(y, 2) == pytest.approx(r2)
    fc = fm.scaled_seasonal_naive(y, member_dates(n), h)
    k = np.arange(n, n + h) % 52
    one = PATTERN[k] * 100.0 * growth * r1  # year 1's weeks x the one-year ratio
    one[ACCIDENT_WEEK + 52 - n] *= 1.5  # target 122 reads the accident a year back
    two = PATTERN[k] * 100.0 * r2  # year 0's weeks x the two-year ratio
    assert fc == pytest.approx((one + two) / 2, rel=1e-12)
    if growth == 1.1:  # unclamped: the level is right and the accident weighs half
        expected = PATTERN[k] * 121.0
        expected[ACCIDENT_WEEK + 52 - n] *= 1.25
        assert fc == pytest.approx(expected, rel=1e-12)


def test_scaled_naive_below_112_weeks_is_the_one_year_reading() -> None:
    n, h = 111, 12  # targets 111..122 read weeks 59..70 a year back
    y = two_year_series(n, 1.1)
    assert fm.TWO_YEAR_WEEKS == 112
    fc = fm.scaled_seasonal_naive(y, member_dates(n), h)
    # recent 103..110 over 51..58: 1.1 (geometric levels), so year 1's weeks x 1.1 = 121 x the
    # pattern, and the accident counts in full
    expected = PATTERN[np.arange(n, n + h) % 52] * 121.0
    expected[ACCIDENT_WEEK + 52 - n] *= 1.5
    assert fc == pytest.approx(expected, rel=1e-12)
    # one week more and the two-year reading halves it
    y112 = two_year_series(112, 1.1)
    fc112 = fm.scaled_seasonal_naive(y112, member_dates(112), h)
    assert fc112[ACCIDENT_WEEK + 52 - 112] == pytest.approx(
        PATTERN[(ACCIDENT_WEEK + 52) % 52] * 121.0 * 1.25, rel=1e-12
    )


def test_two_year_level_ratio_with_a_zero_base() -> None:
    y = np.ones(112)
    y[:8] = 0.0  # weeks 0..7, two years before the last 8 (104..111): all zero
    assert fm.level_ratio(y, 1) == 1.0
    assert fm.level_ratio(y, 2) == pytest.approx(1.5625)  # only the base is zero: upper bound
    y[-8:] = 0.0
    assert fm.level_ratio(y, 2) == 1.0  # both zero


# --------------------------------------------------------------------------- validation


def test_fewer_than_26_weeks_is_insufficient_history() -> None:
    with pytest.raises(InsufficientHistoryError, match="26 weeks"):
        forecast_demand(weeks(25), [10.0] * 25, 4)


def test_26_weeks_is_enough_and_seasonal_naive_falls_back_to_recent_mean() -> None:
    y = [10.0] * 22 + [20.0, 30.0, 40.0, 50.0]
    res = forecast_demand(weeks(26), y, 3, members=["seasonal_naive"])
    assert_well_formed(res, weeks(26)[-1], 3)
    assert points(res) == pytest.approx([35.0] * 3)


@pytest.mark.parametrize(
    ("mutate", "position"),
    [
        (lambda d: d.__setitem__(10, d[10] + dt.timedelta(days=1)), 10),  # 8 days after [9]
        (lambda d: d.__setitem__(5, d[4]), 5),  # duplicate week
        (lambda d: d.reverse(), 1),  # decreasing
        (lambda d: d.__setitem__(slice(30, None), [x + dt.timedelta(7) for x in d[30:]]), 30),
    ],
)
def test_dates_not_weekly_are_invalid_and_name_the_position(mutate, position) -> None:
    dates = weeks(40)
    mutate(dates)
    with pytest.raises(InvalidSeriesError, match=rf"week_starts\[{position}\]"):
        forecast_demand(dates, [5.0] * 40, 4, members=FAST)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "ten", None])
def test_negative_or_non_finite_units_are_invalid(bad) -> None:
    y: list = [5.0] * 40
    y[7] = bad
    with pytest.raises(InvalidSeriesError, match=r"units\[7\]"):
        forecast_demand(weeks(40), y, 4, members=FAST)


@pytest.mark.parametrize("horizon", [0, -1, 53, 2.5, True])
def test_horizon_outside_1_to_52_is_invalid(horizon) -> None:
    with pytest.raises(InvalidSeriesError, match="horizon"):
        forecast_demand(weeks(60), [5.0] * 60, horizon, members=FAST)


def test_lengths_must_match() -> None:
    with pytest.raises(InvalidSeriesError, match="40 entries but units has 39"):
        forecast_demand(weeks(40), [5.0] * 39, 4, members=FAST)


def test_non_date_week_start_is_invalid() -> None:
    dates: list = weeks(30)
    dates[3] = "2021-01-25"
    with pytest.raises(InvalidSeriesError, match=r"week_starts\[3\]"):
        forecast_demand(dates, [5.0] * 30, 4, members=FAST)


def test_unknown_or_empty_member_list_is_refused() -> None:
    with pytest.raises(DomainError, match="unknown"):
        forecast_demand(weeks(60), [5.0] * 60, 4, members=["seasonal_naive", "nope"])
    with pytest.raises(DomainError, match="at least one"):
        forecast_demand(weeks(60), [5.0] * 60, 4, members=[])


def test_datetimes_are_accepted_as_week_starts() -> None:
    dates = [dt.datetime.combine(d, dt.time()) for d in weeks(60)]
    res = forecast_demand(dates, seasonal(60), 2, members=FAST)
    assert res.weekly[0].week_start == weeks(61)[-1]
    assert isinstance(res.weekly[0].week_start, dt.date)


# --------------------------------------------------------------------------- members failing


def boom(y, dates, horizon):
    raise RuntimeError("kaboom")


def nan_member(y, dates, horizon):
    return np.full(horizon, np.nan)


def test_a_raising_member_is_dropped_with_its_reason(monkeypatch) -> None:
    monkeypatch.setitem(demand.MEMBERS, "boom", Member("boom", boom, 1))
    monkeypatch.setitem(demand.MEMBERS, "nan", Member("nan", nan_member, 1))
    y = noisy_seasonal(120)
    res = forecast_demand(weeks(120), y, 8, members=[*FAST, "boom", "nan"])
    assert_well_formed(res, weeks(120)[-1], 8)
    assert set(res.method_weights) == set(FAST)
    assert "kaboom" in res.dropped["boom"] and "RuntimeError" in res.dropped["boom"]
    assert "non-finite" in res.dropped["nan"]


def test_the_registry_is_the_default_member_set(monkeypatch) -> None:
    registry = {name: demand.MEMBERS[name] for name in FAST}
    registry["boom"] = Member("boom", boom, 1)
    monkeypatch.setattr(demand, "MEMBERS", registry)
    res = forecast_demand(weeks(120), noisy_seasonal(120), 8)
    assert set(res.method_weights) == set(FAST)
    assert set(res.dropped) == {"boom"}


def test_all_members_raising_is_forecast_failed_with_details(monkeypatch) -> None:
    monkeypatch.setitem(demand.MEMBERS, "boom", Member("boom", boom, 1))
    monkeypatch.setitem(demand.MEMBERS, "nan", Member("nan", nan_member, 1))
    with pytest.raises(ForecastFailedError) as info:
        forecast_demand(weeks(120), noisy_seasonal(120), 8, members=["boom", "nan"])
    assert {d["member"] for d in info.value.details} == {"boom", "nan"}
    assert "kaboom" in str(info.value)


def test_members_needing_more_history_are_skipped_with_a_reason() -> None:
    res = forecast_demand(weeks(60), seasonal(60), 8, members=[*FAST, "arima"])
    assert set(res.method_weights) == {"seasonal_naive"}
    assert res.method_weights["seasonal_naive"] == pytest.approx(1.0)
    for name in ("scaled_seasonal_naive", "arima"):
        assert res.dropped[name].startswith("skipped: needs 60 weeks")


def test_only_skipped_members_is_insufficient_history() -> None:
    with pytest.raises(InsufficientHistoryError) as info:
        forecast_demand(weeks(40), seasonal(40), 8, members=["arima"])
    assert info.value.details[0]["member"] == "arima"


# --------------------------------------------------------------------------- special series


def test_constant_series_forecasts_the_constant() -> None:
    res = forecast_demand(weeks(130), [250.0] * 130, 12)  # all members (constant: no fitting)
    assert_well_formed(res, weeks(130)[-1], 12)
    assert len(res.method_weights) == 4
    assert points(res) == pytest.approx([250.0] * 12)
    assert res.total == pytest.approx(3000.0)


def test_all_zero_series_forecasts_zeros() -> None:
    res = forecast_demand(weeks(130), [0.0] * 130, 12)
    assert_well_formed(res, weeks(130)[-1], 12)
    assert len(res.method_weights) == 4
    assert all(w.forecast == w.lower == w.upper == 0.0 for w in res.weekly)
    assert res.total == 0.0


def test_weights_are_inverse_backtest_error() -> None:
    res = forecast_demand(weeks(120), noisy_seasonal(120, seed=3), 26, members=FAST)
    a, b = FAST
    assert res.backtest[a] > demand.ERROR_FLOOR and res.backtest[b] > demand.ERROR_FLOOR
    assert res.method_weights[a] / res.method_weights[b] == pytest.approx(
        res.backtest[b] / res.backtest[a]
    )
    # neither pick-best nor near-softmax: the worse member keeps a real share
    assert min(res.method_weights.values()) > 0.2


def test_interval_grows_with_the_square_root_of_the_lead() -> None:
    n = 120
    res = forecast_demand(weeks(n), noisy_seasonal(n, seed=5), 52, members=FAST)
    assert_well_formed(res, weeks(n)[-1], 52)
    half = np.array([(w.upper - w.forecast) / w.forecast for w in res.weekly])
    assert half[0] > 0
    leads = np.arange(1, 53)
    # forecast +/- q * d * sqrt(lead), d = the forecast here (far above 0.1 x the level)
    assert half == pytest.approx(half[0] * np.sqrt(leads))


def test_conformal_quantile_is_the_ceil_n_plus_1_rank() -> None:
    scores = np.arange(1.0, 11.0)  # 1..10
    assert demand.conformal_quantile(scores, 0.8) == 9.0  # ceil(11 x 0.8) = 9th smallest
    assert demand.conformal_quantile(scores[:4], 0.8) == 4.0  # rank 4 of 4
    assert demand.conformal_quantile(scores[:2], 0.8) == 2.0  # rank 3 > n: the largest


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.just(0.0), st.floats(0, 1e6, allow_nan=False)), min_size=26, max_size=130
    ),
    st.integers(1, 52),
)
def test_output_invariants_hold_for_any_non_negative_series(units, horizon) -> None:
    res = forecast_demand(weeks(len(units)), units, horizon, members=FAST)
    assert_well_formed(res, weeks(len(units))[-1], horizon)


def test_importing_demand_does_not_import_prophet_or_pmdarima() -> None:
    code = (
        "import sys, fashion_forecast.domain.demand as d; "
        "bad = [m for m in ('prophet', 'pmdarima', 'statsmodels') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_backtest_errors_that_overflow_give_equal_weights() -> None:
    """Found by hypothesis: a series of zeros with one tiny denormal value made every member's
    backtest error infinite, and the weights divided by zero."""
    units = [0.0] * 18 + [8.0, 1.1125369292536007e-308] + [0.0] * 6
    res = forecast_demand(weeks(len(units)), units, 1, members=FAST)
    assert math.isclose(sum(res.method_weights.values()), 1.0)
    assert all(w.forecast >= 0 and math.isfinite(w.forecast) for w in res.weekly)


def test_prophet_joins_with_two_years_of_history() -> None:
    res = forecast_demand(weeks(100), noisy_seasonal(100), 8, members=["seasonal_naive", "prophet"])
    assert set(res.method_weights) == {"seasonal_naive"}
    assert res.dropped["prophet"] == "skipped: joins with 104 weeks of history; this series has 100"
