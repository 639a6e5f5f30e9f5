"""Moving holidays on the weekly grid (domain/holidays.py) and the members that use them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fashion_forecast.domain import forecast_members as fm
from fashion_forecast.domain import holidays as hd

D = dt.date


@pytest.mark.parametrize(
    ("year", "thanksgiving", "easter"),
    [
        (2010, D(2010, 11, 25), D(2010, 4, 4)),
        (2011, D(2011, 11, 24), D(2011, 4, 24)),
        (2013, D(2013, 11, 28), D(2013, 3, 31)),
    ],
)
def test_holiday_dates(year: int, thanksgiving: dt.date, easter: dt.date) -> None:
    assert hd.thanksgiving(year) == thanksgiving
    assert hd.easter_sunday(year) == easter


@pytest.mark.parametrize(
    ("week_start", "days"),
    [
        (D(2024, 7, 15), 364),  # no holiday near: lag 52
        (D(2013, 11, 25), 371),  # Thanksgiving jumped a week: 2012-11-22 -> 2013-11-28
        (D(2012, 11, 19), 364),  # 2011-11-24 -> 2012-11-22: same weekday, lag 52
        (D(2028, 12, 25), 366),  # Christmas after a leap day
        (D(2025, 12, 8), 365),  # a December shopping week follows Christmas
        (D(2011, 4, 18), 385),  # Easter 2010-04-04 -> 2011-04-24: 55 weeks back
        (D(2011, 5, 9), 364),  # past Easter's window
    ],
)
def test_lag_days_follow_the_holiday_inside_its_window(week_start: dt.date, days: int) -> None:
    assert hd.lag_days(week_start) == days


@pytest.mark.parametrize(
    ("week_start", "days"),
    [
        (D(2024, 7, 15), 728),  # no holiday near: lag 104
        # Thanksgiving 2012-11-22 -> 2010-11-25: 728 days, the same weekday (104 weeks)
        (D(2012, 11, 19), 728),
        (D(2012, 11, 17), 728),  # the Walmart-style Saturday week holding Thanksgiving 2012
        # Thanksgiving 2013-11-28 -> 2011-11-24: 735 days (105 weeks), not lag 104
        (D(2013, 11, 25), 735),
        (D(2028, 12, 25), 731),  # Christmas 2028 -> 2026: a leap day between
        (D(2011, 4, 18), 742),  # Easter 2011-04-24 -> 2009-04-12: 106 weeks back
    ],
)
def test_lag_days_over_two_years_follow_the_holiday(week_start: dt.date, days: int) -> None:
    assert hd.lag_days(week_start, 2) == days


def test_thanksgiving_week_2012_two_years_back_is_thanksgiving_week_2010() -> None:
    first = D(2010, 2, 6)  # Saturdays, as the Walmart benchmark's weeks (dated by their start)
    target = D(2012, 11, 17)  # 2012-11-17..23 holds Thanksgiving 2012-11-22
    (position,) = hd.reference_positions(first, [target], years=2)
    assert position == (D(2010, 11, 20) - first).days / 7  # 2010-11-20..26 holds 2010-11-25
    assert D(2010, 11, 20) <= hd.thanksgiving(2010) <= D(2010, 11, 26)
    # 2013's Thanksgiving week reads 2011's, 105 weeks back, where plain lag 104 would read the
    # week after it
    first = D(2011, 1, 3)
    (position,) = hd.reference_positions(first, [D(2013, 11, 25)], years=2)
    assert position == (D(2011, 11, 21) - first).days / 7
    assert D(2011, 11, 21) <= hd.thanksgiving(2011) <= D(2011, 11, 27)


def test_years_back_two_reads_the_holiday_weeks_two_years_before() -> None:
    dates = pd.DatetimeIndex(pd.date_range(D(2011, 1, 3), periods=150, freq="7D"))
    y = np.arange(150, dtype=float)
    # week indexes 149..151 are 2013-11-11, -18, -25; Thanksgiving 2013-11-28's window starts
    # at -10 days (11-18): 11-11 reads lag 104, 11-18 and 11-25 read 105 weeks back
    fc = fm.years_back(y, dates, np.array([149, 150, 151]), 2)
    assert fc == pytest.approx([y[45], y[45], y[46]])
    assert [dates[i].date() for i in (45, 46)] == [D(2011, 11, 14), D(2011, 11, 21)]


def test_a_week_365_days_back_is_interpolated_between_lag_52_and_53() -> None:
    first = D(2027, 6, 7)  # Mondays; the forecast week 2028-12-25 is week index 81
    n = 81
    dates = pd.DatetimeIndex(pd.date_range(first, periods=n, freq="7D"))
    y = np.arange(n, dtype=float) * 10
    fc = fm.seasonal_naive(y, dates, 2)
    # 2028-12-25 - 366 days = 2027-12-25: 2 days of the week of 2027-12-20 (index 28),
    # 5 days of the week of 2027-12-27 (index 29)
    assert fc[0] == pytest.approx(2 / 7 * y[28] + 5 / 7 * y[29])
    # 2029-01-01 is inside Christmas 2028's window too
    assert fc[1] == pytest.approx(2 / 7 * y[29] + 5 / 7 * y[30])


def test_without_a_holiday_seasonal_naive_is_lag_52() -> None:
    dates = pd.DatetimeIndex(pd.date_range(D(2023, 1, 2), periods=70, freq="7D"))
    y = np.arange(70, dtype=float)
    assert fm.seasonal_naive(y, dates, 10) == pytest.approx(y[18:28])  # May..July weeks


def test_easter_weeks_read_last_years_easter_weeks() -> None:
    dates = pd.DatetimeIndex(pd.date_range(D(2010, 3, 29), periods=53, freq="7D"))
    y = np.arange(53, dtype=float)
    fc = fm.seasonal_naive(y, dates, 4)  # weeks of 2011-04-04 .. 2011-04-25
    assert fc[:2] == pytest.approx(y[1:3])  # outside Easter's window: lag 52
    assert fc[2:] == pytest.approx(y[0:2])  # Holy Week 2011 and the week after: 55 weeks back


def test_a_position_past_the_history_falls_back_to_lag_52() -> None:
    # history ends with the week of 2011-04-18 (Easter 2011-04-24); Easter 2012 (04-08) is
    # 350 days after it, so the week after Easter 2012 would look past the history
    dates = pd.DatetimeIndex(pd.date_range(D(2010, 4, 19), periods=53, freq="7D"))
    y = np.arange(53, dtype=float)
    fc = fm.seasonal_naive(y, dates, 51)
    assert fc[49] == pytest.approx(y[52])  # Holy Week 2012 reads Holy Week 2011, 50 weeks back
    assert fc[50] == pytest.approx(y[51])  # the week after would need week 53: lag 52


def test_holiday_features_are_the_share_of_key_days_in_the_week() -> None:
    features = hd.holiday_features([D(2024, 12, 16), D(2024, 11, 25), D(2024, 7, 1)])
    assert features["christmas_minus_1w"] == pytest.approx([5 / 7, 0, 0])  # Dec 18-22
    assert features["christmas_minus_2w"] == pytest.approx([2 / 7, 0, 0])  # Dec 16-17
    assert features["thanksgiving_weekend"] == pytest.approx([0, 1, 0])  # Nov 28 - Dec 1
    assert set(features) == set(hd.FEATURE_NAMES)


def test_prophet_point_forecast_matches_prophet_predict() -> None:
    from prophet import Prophet

    fm._quiet_prophet_logs()
    n = 110
    rng = np.random.default_rng(3)
    dates = pd.date_range("2021-01-04", periods=n, freq="7D")
    y = 1000 + 300 * np.sin(np.arange(n) * 2 * np.pi / 52) + rng.normal(0, 20, n)
    history = pd.DataFrame({"ds": dates, "y": y})
    future = pd.DataFrame({"ds": dates[-1] + pd.to_timedelta(7 * np.arange(1, 27), unit="D")})
    model = Prophet(weekly_seasonality=False, daily_seasonality=False, uncertainty_samples=0)
    for name, column in hd.holiday_features([d.date() for d in dates]).items():
        model.add_regressor(name, standardize=False)
        history[name] = column
        future[name] = hd.holiday_features([d.date() for d in future["ds"]])[name]
    model.fit(history, algorithm="LBFGS")
    expected = model.predict(future)["yhat"].to_numpy()
    assert fm.prophet_point_forecast(model, future) == pytest.approx(expected, rel=1e-9)


def test_arima_searches_its_order_once_and_reuses_it() -> None:
    n = 90
    rng = np.random.default_rng(4)
    dates = pd.DatetimeIndex(pd.date_range("2021-01-04", periods=n, freq="7D"))
    y = 1000 + 300 * np.sin(np.arange(n) * 2 * np.pi / 52) + rng.normal(0, 30, n)
    state: dict[str, object] = {}
    fm.arima_member(y[:70], dates[:70], 8, state)
    order = state["order"]
    assert order in fm.ARIMA_ORDERS
    fc = fm.arima_member(y, dates, 8, state)
    assert state["order"] == order and fc.shape == (8,) and np.all(np.isfinite(fc))
