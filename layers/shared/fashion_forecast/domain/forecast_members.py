"""Ensemble members for the weekly demand forecast (see `demand.py` for the ensemble).

Every member is a plain function ``fn(y, dates, horizon) -> np.ndarray`` that takes the weekly
history ``y`` (non-negative floats, oldest first), the matching week-start dates and the number of
weeks to forecast, and returns ``horizon`` point forecasts. A member may raise; the ensemble then
drops it and records why. Members are registered in :data:`MEMBERS` by name, together with the
shortest training history (weeks) they accept; the registry is a plain dict so tests can
monkeypatch it (e.g. register a member that raises).

Members and their short-history rules:

* ``seasonal_naive`` - same week last year (lag 52). With fewer than 52 weeks of history there is
  no "last year": it falls back to the mean of the last 4 weeks, flat over the horizon.
* ``scaled_seasonal_naive`` - lag-52 value times the recent level ratio: the sum of the last
  8 weeks over the sum of the same 8 weeks a year before, clamped to [0.8, 1.25] (a ratio whose
  base is zero counts as 1). Needs 60 weeks (52 + 8) of training.
* ``prophet`` - Prophet with yearly seasonality (only when the training covers at least 52 weeks;
  below that trend only), no weekly/daily seasonality, ``fit(algorithm="LBFGS")``,
  ``uncertainty_samples=0``. A constant series is returned as that constant without fitting.
* ``arima`` - pmdarima ARIMA on the seasonal difference (lag 52) of the series rescaled by its
  mean; a handful of small (p, 0, q) orders with intercept, the one with the lowest AICc wins.
  The forecast is last year's value plus the forecast year-over-year change. Needs 60 weeks
  (at least 8 differenced points; AICc keeps the order small on few points). Never a seasonal
  (m=52) model: far too slow.

prophet and pmdarima are imported lazily inside the members: importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import pandas as pd

SEASON = 52
"""Season length in weeks."""

FloatArray = np.ndarray
MemberFn = Callable[[FloatArray, pd.DatetimeIndex, int], FloatArray]


@dataclass(frozen=True)
class Member:
    """A registered ensemble member."""

    name: str
    fn: MemberFn
    min_weeks: int
    """Shortest training history (weeks) the member accepts."""
    description: str = ""


# --------------------------------------------------------------------------- seasonal naive

SN_FALLBACK_WEEKS = 4
"""With under a year of history, seasonal naive forecasts the mean of this many last weeks."""


def seasonal_naive(y: FloatArray, dates: pd.DatetimeIndex, horizon: int) -> FloatArray:
    """Same week last year; mean of the last 4 weeks, flat, when there is no full year."""
    n = len(y)
    if n < SEASON:
        return np.full(horizon, float(np.mean(y[-SN_FALLBACK_WEEKS:])))
    # horizon <= 52, so week n + i - 52 is always inside the history.
    idx = n - SEASON + np.arange(horizon)
    return np.asarray(y[idx], dtype=float)


# --------------------------------------------------------------------------- scaled naive

LEVEL_WEEKS = 8
"""Weeks compared (recent vs the same weeks a year before) by the scaled seasonal naive."""
LEVEL_CLAMP = (0.8, 1.25)
"""Bounds of the year-over-year level ratio."""


def level_ratio(y: FloatArray) -> float:
    """Last 8 weeks over the same 8 weeks a year before, clamped; 1 when the base is zero."""
    recent = float(np.sum(y[-LEVEL_WEEKS:]))
    base = float(np.sum(y[-SEASON - LEVEL_WEEKS : -SEASON]))
    if base <= 0:
        return 1.0 if recent <= 0 else LEVEL_CLAMP[1]
    return float(np.clip(recent / base, *LEVEL_CLAMP))


def scaled_seasonal_naive(y: FloatArray, dates: pd.DatetimeIndex, horizon: int) -> FloatArray:
    """Seasonal naive times the clamped recent year-over-year level ratio."""
    if len(y) < SEASON + LEVEL_WEEKS:
        raise ValueError(f"needs {SEASON + LEVEL_WEEKS} weeks, got {len(y)}")
    return seasonal_naive(y, dates, horizon) * level_ratio(y)


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
    model.fit(pd.DataFrame({"ds": dates, "y": y}), algorithm="LBFGS")
    future = pd.DataFrame(
        {"ds": dates[-1] + pd.to_timedelta(7 * np.arange(1, horizon + 1), unit="D")}
    )
    return np.asarray(model.predict(future)["yhat"].to_numpy(), dtype=float)


# --------------------------------------------------------------------------- arima

ARIMA_MIN_DIFF_POINTS = 8
ARIMA_ORDERS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (1, 0, 0),
    (2, 0, 0),
    (1, 0, 1),
)
"""Orders searched on the rescaled seasonal difference (intercept always on): constant drift of
the year-over-year change, short memory (AR 1-2) and a slowly moving level (ARMA(1,1)). MA(1)
alone is left out: over a multi-week horizon it forecasts like AR(1) and costs a fit."""


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


def arima_member(y: FloatArray, dates: pd.DatetimeIndex, horizon: int) -> FloatArray:
    """ARIMA on the seasonal difference of the mean-rescaled series (small order search)."""
    n = len(y)
    if n < SEASON + ARIMA_MIN_DIFF_POINTS:
        raise ValueError(f"needs {SEASON + ARIMA_MIN_DIFF_POINTS} weeks, got {n}")
    mean = float(np.mean(y))
    scale = mean if mean > 0 else 1.0
    ys = y / scale
    diff = ys[SEASON:] - ys[:-SEASON]
    if np.ptp(diff) < 1e-12:
        dhat = np.full(horizon, float(np.mean(diff)))
    else:
        import pmdarima as pm

        best: tuple[float, FloatArray] | None = None
        errors: list[str] = []
        with _single_threaded_blas():
            for order in ARIMA_ORDERS:
                try:
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
                        ).fit(diff)
                        aicc = float(model.aicc())
                        pred = np.asarray(model.predict(n_periods=horizon), dtype=float)
                except Exception as exc:  # one order failing is not fatal
                    errors.append(f"{order}: {exc}")
                    continue
                if (
                    np.isfinite(aicc)
                    and np.all(np.isfinite(pred))
                    and (best is None or aicc < best[0])
                ):
                    best = (aicc, pred)
        if best is None:
            raise RuntimeError("no ARIMA order could be fitted: " + "; ".join(errors))
        dhat = best[1]
    base = ys[n - SEASON + np.arange(horizon)]
    return np.asarray((base + dhat) * scale, dtype=float)


# --------------------------------------------------------------------------- registry

MEMBERS: dict[str, Member] = {
    m.name: m
    for m in (
        Member("seasonal_naive", seasonal_naive, 1, "same week last year (lag 52)"),
        Member(
            "scaled_seasonal_naive",
            scaled_seasonal_naive,
            SEASON + LEVEL_WEEKS,
            "lag 52 x clamped recent level ratio",
        ),
        Member("prophet", prophet_member, 1, "Prophet, yearly seasonality"),
        Member(
            "arima",
            arima_member,
            SEASON + ARIMA_MIN_DIFF_POINTS,
            "ARIMA on the rescaled seasonal difference",
        ),
    )
}
"""Registered members by name. `forecast_demand` uses all of them unless told otherwise."""
