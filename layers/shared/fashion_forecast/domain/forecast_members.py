"""Ensemble members for the weekly demand forecast (see `demand.py` for the ensemble).

Every member is a plain function ``fn(y, dates, horizon) -> np.ndarray`` that takes the weekly
history ``y`` (non-negative floats, oldest first), the matching week-start dates and the number of
weeks to forecast, and returns ``horizon`` point forecasts. A member may raise; the ensemble then
drops it and records why. Members are registered in :data:`MEMBERS` by name, together with the
shortest training history (weeks) they accept; the registry is a plain dict so tests can
monkeypatch it (e.g. register a member that raises).

"Last year" is holiday-aligned (:func:`last_year`, rules in
:mod:`fashion_forecast.domain.holidays`): lag 52, except that inside a moving holiday's window a
week reads the same days relative to that holiday a year before (interpolated between weeks).

Members and their short-history rules:

* ``seasonal_naive`` - last year's value (holiday-aligned lag 52). With fewer than 52 weeks of
  history there is no "last year": it falls back to the mean of the last 4 weeks, flat.
* ``scaled_seasonal_naive`` - that value times the recent level ratio: the sum of the last
  8 weeks over the sum of the same 8 weeks a year before, clamped to [0.8, 1.25] (a zero base
  gives 1 when the last 8 weeks are zero too, else the upper bound). Needs 60 weeks (52 + 8) of
  training. From 112 weeks (104 + 8) it is the mean of that and the same reading two years
  back (:func:`years_back` with ``years=2``: holiday-aligned over two years, else lag 104;
  times the last 8 weeks over the same 8 weeks two years before, clamped to [0.64, 1.5625],
  the yearly bounds squared).
* ``prophet`` - Prophet with yearly seasonality (when the training covers at least 52 weeks)
  and one additive regressor per holiday key-day group present in the training weeks (the share
  of those days inside each week: :func:`~fashion_forecast.domain.holidays.holiday_features`),
  no weekly/daily seasonality, ``fit(algorithm="LBFGS")``, ``uncertainty_samples=0``, point
  forecast computed from the fitted parameters (:func:`prophet_point_forecast`). Joins the
  ensemble only with 104 weeks (two years) of history (:data:`PROPHET_MIN_HISTORY`). A
  constant series is returned as that constant without fitting.
* ``arima`` - pmdarima ARIMA on the log year-over-year ratio, ``log(y/mean + 0.01)`` minus
  last year's value of it; orders (0,0,0), (1,0,0), (2,0,0) with intercept, lowest AICc. The
  order is searched once per series, at the earliest backtest origin; later origins and the
  final fit refit that order warm-started from the previous parameters. The forecast is last
  year's value times the forecast ratio. Needs 60 weeks (at least 8 ratios). Never a seasonal
  (m=52) model: far too slow.

prophet and pmdarima are imported lazily inside the members: importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fashion_forecast.domain.holidays import holiday_features, reference_positions

SEASON = 52
"""Season length in weeks."""

FloatArray = np.ndarray
MemberFn = Callable[..., FloatArray]
"""``fn(y, dates, horizon)``, or ``fn(y, dates, horizon, state)`` for a stateful member."""


@dataclass(frozen=True)
class Member:
    """A registered ensemble member."""

    name: str
    fn: MemberFn
    min_weeks: int
    """Shortest training history (weeks) the member accepts."""
    description: str = ""
    stateful: bool = False
    """Called with a ``state`` dict kept across one series' backtest origins and final fit."""
    min_history: int = 1
    """Shortest whole history (weeks) for the member to join the ensemble at all."""


# --------------------------------------------------------------------------- seasonal naive

SN_FALLBACK_WEEKS = 4
"""With under a year of history, seasonal naive forecasts the mean of this many last weeks."""


def years_back(
    y: FloatArray, dates: pd.DatetimeIndex, targets: np.ndarray, years: int = 1
) -> FloatArray:
    """The value ``years`` years before each target week index (``targets``, weeks since
    ``dates[0]``; may lie past the history): the same days relative to a moving holiday inside
    its window, else lag 52 per year
    (:func:`fashion_forecast.domain.holidays.reference_positions`). A fractional position is
    interpolated between its two weeks; one that falls outside the history (or needs a week
    after it) falls back to the plain lag."""
    n = len(y)
    first = dates[0].date()
    week_dates = [first + dt.timedelta(weeks=int(t)) for t in targets]
    positions = np.asarray(reference_positions(first, week_dates, years), dtype=float)
    plain = targets - SEASON * years
    low = np.floor(positions)
    outside = (low < 0) | (np.ceil(positions) > n - 1)
    positions = np.where(outside, plain, positions)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, n - 1)
    frac = positions - low
    return np.asarray(y[low] * (1 - frac) + y[high] * frac, dtype=float)


def last_year(y: FloatArray, dates: pd.DatetimeIndex, targets: np.ndarray) -> FloatArray:
    """Last year's value for each target week index, holiday-aligned (:func:`years_back`)."""
    return years_back(y, dates, targets, 1)


def seasonal_naive(y: FloatArray, dates: pd.DatetimeIndex, horizon: int) -> FloatArray:
    """Same days last year (lag 52, moving holidays aligned); mean of the last 4 weeks, flat,
    when there is no full year."""
    n = len(y)
    if n < SEASON:
        return np.full(horizon, float(np.mean(y[-SN_FALLBACK_WEEKS:])))
    # horizon <= 52, so the lag-52 fallback n + i - 52 is always inside the history.
    return last_year(y, dates, n + np.arange(horizon))


# --------------------------------------------------------------------------- scaled naive

LEVEL_WEEKS = 8
"""Weeks compared (recent vs the same weeks a year before) by the scaled seasonal naive."""
LEVEL_CLAMP = (0.8, 1.25)
"""Bounds of the year-over-year level ratio."""


def level_ratio(y: FloatArray, years: int = 1) -> float:
    """Last 8 weeks over the same 8 weeks ``years`` years before, clamped to the yearly bounds
    to the power ``years``; 1 when both are zero, the upper bound when only the base is."""
    low, high = (bound**years for bound in LEVEL_CLAMP)
    lag = SEASON * years
    recent = float(np.sum(y[-LEVEL_WEEKS:]))
    base = float(np.sum(y[-lag - LEVEL_WEEKS : -lag]))
    if base <= 0:
        return 1.0 if recent <= 0 else high
    return float(np.clip(recent / base, low, high))


TWO_YEAR_WEEKS = 2 * SEASON + LEVEL_WEEKS
"""Training weeks from which the scaled naive also reads two years back."""


def scaled_seasonal_naive(y: FloatArray, dates: pd.DatetimeIndex, horizon: int) -> FloatArray:
    """Seasonal naive times the clamped recent year-over-year level ratio; from 112 weeks of
    training, the mean of that and the same for two years back (holiday-aligned, two-year
    level ratio): one year's accidents weigh half as much."""
    n = len(y)
    if n < SEASON + LEVEL_WEEKS:
        raise ValueError(f"needs {SEASON + LEVEL_WEEKS} weeks, got {n}")
    targets = n + np.arange(horizon)
    one = years_back(y, dates, targets, 1) * level_ratio(y, 1)
    if n < TWO_YEAR_WEEKS:
        return one
    two = years_back(y, dates, targets, 2) * level_ratio(y, 2)
    return (one + two) / 2


# --------------------------------------------------------------------------- prophet


def _quiet_prophet_logs() -> None:
    """Silence prophet/cmdstanpy chatter (errors still reach the root logger).

    cmdstanpy installs its own INFO handler on first use unless its logger already has one, so a
    NullHandler goes in first.
    """
    cmdstan = logging.getLogger("cmdstanpy")
    if not cmdstan.handlers:
        cmdstan.addHandler(logging.NullHandler())
    cmdstan.setLevel(logging.ERROR)
    # "Yearly seasonality is enabled with less than 730 days" is expected: the backtest weights
    # take care of an under-identified seasonality.
    logging.getLogger("prophet").setLevel(logging.ERROR)
    # "Importing plotly failed" is logged at import time; plots are never used here.
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)


PROPHET_MIN_HISTORY = 2 * SEASON
"""Prophet joins with two years of history: from one year it cannot tell the yearly season
from the trend (Walmart `holiday` origin, 78 weeks: Prophet alone 1.34x seasonal naive, the
ensemble 0.950x with it and 0.901x without; `last`, 117 weeks: 0.868x with, 0.902x without;
measured with the one-year scaled naive)."""


def prophet_member(y: FloatArray, dates: pd.DatetimeIndex, horizon: int) -> FloatArray:
    """Prophet, yearly seasonality (with >= 52 weeks of training), LBFGS, no sampling."""
    if np.ptp(y) == 0:
        return np.full(horizon, float(y[-1]))
    _quiet_prophet_logs()
    from prophet import Prophet

    _quiet_prophet_logs()  # importing prophet resets its logger to INFO

    model = Prophet(
        yearly_seasonality=len(y) >= SEASON,
        weekly_seasonality=False,
        daily_seasonality=False,
        uncertainty_samples=0,
    )
    future_dates = dates[-1] + pd.to_timedelta(7 * np.arange(1, horizon + 1), unit="D")
    history = pd.DataFrame({"ds": dates, "y": y})
    future = pd.DataFrame({"ds": future_dates})
    train_features = holiday_features([d.date() for d in dates])
    future_features = holiday_features([d.date() for d in future_dates])
    for name, column in train_features.items():
        if np.ptp(column) == 0:  # the holiday is not in the training weeks: nothing to learn
            continue
        model.add_regressor(name, standardize=False)
        history[name] = column
        future[name] = future_features[name]
    model.fit(history, algorithm="LBFGS")
    return prophet_point_forecast(model, future)


def prophet_point_forecast(model: Any, future: pd.DataFrame) -> FloatArray:
    """``model.predict(future)["yhat"]`` of a fitted additive, linear-growth Prophet without
    its per-component pandas bookkeeping (about a third of a fit's cost on weekly data): the
    piecewise-linear trend plus the Fourier and regressor columns times their coefficients, in
    Prophet's own column order (seasonalities, then regressors). A unit test holds it to
    ``predict``."""
    from prophet import Prophet

    if model.growth != "linear" or model.holidays is not None:
        raise ValueError("fast predict covers linear growth without a holidays table only")
    ds = pd.Series(pd.to_datetime(future["ds"]))
    t = np.asarray((ds - model.start) / model.t_scale, dtype=float)
    params = model.params
    trend = Prophet.piecewise_linear(
        t,
        np.asarray(params["delta"], dtype=float).mean(axis=0),
        float(np.nanmean(params["k"])),
        float(np.nanmean(params["m"])),
        model.changepoints_t,
    )
    columns: list[FloatArray] = []
    for props in model.seasonalities.values():
        if props["mode"] != "additive" or props["condition_name"] is not None:
            raise ValueError("fast predict covers unconditional additive seasonalities only")
        columns.append(Prophet.fourier_series(ds, props["period"], props["fourier_order"]))
    for name, props in model.extra_regressors.items():
        if props["mode"] != "additive":
            raise ValueError("fast predict covers additive regressors only")
        values = np.asarray(future[name], dtype=float)
        columns.append(((values - props["mu"]) / props["std"])[:, None])
    beta = np.asarray(params["beta"], dtype=float).mean(axis=0)
    seasonal = np.hstack(columns) @ beta if columns else np.zeros(len(t))
    return np.asarray((trend + seasonal) * model.y_scale, dtype=float)


# --------------------------------------------------------------------------- arima

ARIMA_MIN_DIFF_POINTS = 8
LOG_OFFSET = 0.01
"""Added to the mean-rescaled series before the log (1% of the mean): zero weeks stay finite."""
ARIMA_ORDERS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (1, 0, 0),
    (2, 0, 0),
)
"""Orders searched on the log year-over-year ratio (intercept always on): constant growth and
short memory (AR 1-2). ARMA(1,1) was dropped for speed: on the Walmart benchmark it changed
neither origin's WAPE ratio (0.868 / 0.901, with the one-year scaled naive) and was the
costliest fit."""


def _single_threaded_blas() -> AbstractContextManager[object]:
    """Limit BLAS/OpenMP to one thread while statsmodels fits.

    The Kalman filter works on tiny matrices; a multi-threaded OpenBLAS only adds overhead, and
    on a busy machine it thrashes (measured here: 0.55 s -> 3.3 s per ARIMA member call on a
    loaded 2-core box). threadpoolctl ships with scikit-learn; without it nothing is limited.
    The limit is process-wide for the duration of the fits.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _fit_arima(
    diff: FloatArray, order: tuple[int, int, int], horizon: int, start: FloatArray | None
) -> tuple[float, FloatArray, FloatArray]:
    """One pmdarima fit: (AICc, forecast of the difference, fitted parameters)."""
    import pmdarima as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pm.ARIMA(
            order=order,
            with_intercept=True,
            suppress_warnings=True,
            method="lbfgs",
            maxiter=50,
            # sigma2 profiled out: one parameter less, ~25% faster, same fits
            concentrate_scale=True,
            start_params=start,
        ).fit(diff)
        aicc = float(model.aicc())
        pred = np.asarray(model.predict(n_periods=horizon), dtype=float)
        params = np.asarray(model.params(), dtype=float)
    return aicc, pred, params


def arima_member(
    y: FloatArray, dates: pd.DatetimeIndex, horizon: int, state: dict[str, object] | None = None
) -> FloatArray:
    """ARIMA on the log year-over-year ratio of the mean-rescaled series (small order search).

    ``state`` (one dict per series, passed along the backtest's origins in time order and then
    to the final fit) keeps the order the first call chose and the last fitted parameters:
    later calls refit only that order, starting from those parameters. The order is chosen on
    the earliest origin's training weeks, so no call sees weeks after its own training.
    """
    n = len(y)
    if n < SEASON + ARIMA_MIN_DIFF_POINTS:
        raise ValueError(f"needs {SEASON + ARIMA_MIN_DIFF_POINTS} weeks, got {n}")
    state = {} if state is None else state
    mean = float(np.mean(y))
    scale = mean if mean > 0 else 1.0
    ys = np.log(y / scale + LOG_OFFSET)
    diff = ys[SEASON:] - last_year(ys, dates, np.arange(SEASON, n))
    if np.ptp(diff) < 1e-12:
        dhat = np.full(horizon, float(np.mean(diff)))
    else:
        chosen = state.get("order")
        orders = [chosen] if isinstance(chosen, tuple) else list(ARIMA_ORDERS)
        start = state.get("params") if chosen is not None else None
        best: tuple[float, tuple[int, int, int], FloatArray, FloatArray] | None = None
        errors: list[str] = []
        with _single_threaded_blas():
            for order in orders:
                try:
                    warm = start if isinstance(start, np.ndarray) else None
                    try:
                        aicc, pred, params = _fit_arima(diff, order, horizon, warm)
                    except Exception:
                        if warm is None:
                            raise
                        aicc, pred, params = _fit_arima(diff, order, horizon, None)
                except Exception as exc:  # one order failing is not fatal
                    errors.append(f"{order}: {exc}")
                    continue
                if (
                    np.isfinite(aicc)
                    and np.all(np.isfinite(pred))
                    and (best is None or aicc < best[0])
                ):
                    best = (aicc, order, pred, params)
        if best is None:
            raise RuntimeError("no ARIMA order could be fitted: " + "; ".join(errors))
        state["order"], state["params"] = best[1], best[3]
        dhat = best[2]
    base = last_year(ys, dates, n + np.arange(horizon))
    out = np.exp(base + dhat) - LOG_OFFSET
    out[np.abs(out) < LOG_OFFSET * 1e-9] = 0.0  # exp(log(x)) round-off on zero weeks
    return np.asarray(out * scale, dtype=float)


# --------------------------------------------------------------------------- registry

MEMBERS: dict[str, Member] = {
    m.name: m
    for m in (
        Member("seasonal_naive", seasonal_naive, 1, "last year, holiday-aligned (lag 52)"),
        Member(
            "scaled_seasonal_naive",
            scaled_seasonal_naive,
            SEASON + LEVEL_WEEKS,
            "lag 52 x clamped recent level ratio (mean with lag 104 from 112 weeks)",
        ),
        Member(
            "prophet",
            prophet_member,
            1,
            "Prophet, yearly seasonality and holiday regressors",
            min_history=PROPHET_MIN_HISTORY,
        ),
        Member(
            "arima",
            arima_member,
            SEASON + ARIMA_MIN_DIFF_POINTS,
            "ARIMA on the log year-over-year ratio",
            stateful=True,
        ),
    )
}
"""Registered members by name. `forecast_demand` uses all of them unless told otherwise."""
