"""Forecast accuracy benchmark on the Walmart department data (see benchmarks/README.md).

Department-level weekly sales summed over all stores; the 20 departments with the largest total
sales among those with all 143 weeks present and no non-positive week; horizon 26; two origins:

* ``last``: train on everything before 2012-05-04, test 2012-05-04..2012-10-26;
* ``holiday``: train 2010-02-05..2011-07-29, test 2011-08-05..2012-01-27.

Methods: seasonal naive (lag 52), Prophet alone, pmdarima ARIMA alone (the ensemble's members,
called directly), the ensemble (the whole ``forecast_demand`` call, backtest included) and
statsforecast AutoETS (season 52) as an outside reference. Metrics: pooled WAPE
(sum |err| / sum actual), mean MASE (scale: mean |y_t - y_{t-52}| on the training data), bias
((sum forecast - sum actual) / sum actual) and wall seconds per series. Imports and JIT warm-up
happen before timing. Nothing here looks at the test windows except to score.

Run from the repo root, on one core:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \\
        taskset -c 0 .venv/bin/python benchmarks/forecast_walmart.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fashion_forecast.domain import forecast_members as fm
from fashion_forecast.domain.demand import forecast_demand

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / ".." / "shared" / "data" / "walmart"
HORIZON = 26
N_DEPTS = 20
N_WEEKS = 143

# origin name -> (first training week, last training week); the test is the next HORIZON weeks
ORIGINS: dict[str, tuple[str, str]] = {
    "last": ("2010-02-05", "2012-04-27"),
    "holiday": ("2010-02-05", "2011-07-29"),
}
TARGETS = {"last": 0.95, "holiday": 1.0}
MAX_SECONDS_PER_SERIES = 2.0

Forecaster = Callable[[np.ndarray, pd.DatetimeIndex, int], np.ndarray]


def load_departments(data_dir: Path) -> pd.DataFrame:
    """Weekly sales per department (columns), summed over stores, the top-20 eligible ones."""
    raw = pd.read_csv(data_dir / "train.csv.gz", parse_dates=["Date"])
    weekly = raw.groupby(["Dept", "Date"])["Weekly_Sales"].sum().unstack("Dept").sort_index()
    if len(weekly) != N_WEEKS:
        raise SystemExit(f"expected {N_WEEKS} weeks, found {len(weekly)}")
    complete = weekly.notna().sum() == N_WEEKS
    positive = weekly.min() > 0
    eligible = weekly.loc[:, complete & positive]
    top = eligible.sum().sort_values(ascending=False).index[:N_DEPTS]
    return eligible[top]


def ets_forecast(y: np.ndarray, dates: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    from statsforecast.models import AutoETS

    model = AutoETS(season_length=52)
    return np.asarray(model.forecast(y=y.astype(float), h=horizon)["mean"], dtype=float)


def ensemble_forecast(y: np.ndarray, dates: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    result = forecast_demand([d.date() for d in dates], y.tolist(), horizon)
    ensemble_forecast.last = result  # type: ignore[attr-defined]
    return np.array([w.forecast for w in result.weekly])


METHODS: dict[str, Forecaster] = {
    "seasonal_naive": fm.seasonal_naive,
    "prophet": fm.prophet_member,
    "arima": fm.arima_member,
    "ensemble": ensemble_forecast,
    "autoets": ets_forecast,
}


@dataclass
class Score:
    abs_err: float = 0.0
    actual: float = 0.0
    fc_sum: float = 0.0
    mase: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, train: np.ndarray, actual: np.ndarray, fc: np.ndarray, secs: float) -> None:
        err = np.abs(actual - fc)
        self.abs_err += float(err.sum())
        self.actual += float(actual.sum())
        self.fc_sum += float(fc.sum())
        scale = float(np.mean(np.abs(train[52:] - train[:-52])))
        self.mase.append(float(err.mean()) / scale)
        self.seconds.append(secs)

    @property
    def wape(self) -> float:
        return self.abs_err / self.actual

    @property
    def bias(self) -> float:
        return (self.fc_sum - self.actual) / self.actual


def warm_up() -> None:
    """Import prophet/pmdarima/statsforecast and compile numba code before anything is timed."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2010-02-05", periods=110, freq="7D")
    y = 100 + 10 * np.sin(np.arange(110) * 2 * np.pi / 52) + rng.normal(0, 1, 110)
    for fn in METHODS.values():
        fn(y, dates, HORIZON)


def run(data_dir: Path, origins: list[str]) -> int:
    depts = load_departments(data_dir)
    print(
        f"data: {data_dir / 'train.csv.gz'}; {depts.shape[1]} departments "
        f"{list(depts.columns)}; horizon {HORIZON}"
    )
    warnings.simplefilter("ignore")
    warm_up()
    dates_all = pd.DatetimeIndex(depts.index)
    ok = True
    header = f"{'origin':<8} {'method':<15} {'WAPE':>7} {'MASE':>7} {'bias':>8} {'s/series':>9}"
    lines = [header, "-" * len(header)]
    ratios: list[str] = []
    extras: list[str] = []
    for origin in origins:
        start, end = (pd.Timestamp(x) for x in ORIGINS[origin])
        train_mask = (dates_all >= start) & (dates_all <= end)
        n_train = int(train_mask.sum())
        first = int(np.argmax(train_mask))
        tr = slice(first, first + n_train)
        te = slice(first + n_train, first + n_train + HORIZON)
        test_dates = dates_all[te]
        scores = {name: Score() for name in METHODS}
        covered = 0
        weights_sum: dict[str, float] = {}
        for dept in depts.columns:
            y = depts[dept].to_numpy(dtype=float)
            train, actual, dtrain = y[tr], y[te], dates_all[tr]
            for name, fn in METHODS.items():
                t0 = time.perf_counter()
                fc = np.asarray(fn(train, dtrain, HORIZON), dtype=float)
                secs = time.perf_counter() - t0
                scores[name].add(train, actual, fc, secs)
                if name == "ensemble":
                    res = ensemble_forecast.last  # type: ignore[attr-defined]
                    lo = np.array([w.lower for w in res.weekly])
                    hi = np.array([w.upper for w in res.weekly])
                    covered += int(np.sum((actual >= lo) & (actual <= hi)))
                    for m, w in res.method_weights.items():
                        weights_sum[m] = weights_sum.get(m, 0.0) + w
        print(
            f"origin {origin}: train {dtrain[0].date()}..{dtrain[-1].date()} ({n_train} weeks), "
            f"test {test_dates[0].date()}..{test_dates[-1].date()}",
            file=sys.stderr,
        )
        for name, s in scores.items():
            lines.append(
                f"{origin:<8} {name:<15} {s.wape:>7.4f} {float(np.mean(s.mase)):>7.3f} "
                f"{s.bias:>+8.4f} {float(np.mean(s.seconds)):>9.3f}"
            )
        ratio = scores["ensemble"].wape / scores["seasonal_naive"].wape
        target = TARGETS[origin]
        secs = float(np.mean(scores["ensemble"].seconds))
        passed = ratio <= target and secs <= MAX_SECONDS_PER_SERIES
        ok &= passed
        ratios.append(
            f"{origin:<8} ensemble/seasonal-naive WAPE = {ratio:.3f} (target <= {target:.2f}); "
            f"ensemble {secs:.3f} s/series (target <= {MAX_SECONDS_PER_SERIES:.1f}) -> "
            f"{'PASS' if passed else 'FAIL'}"
        )
        n_series = depts.shape[1]
        mean_w = ", ".join(f"{m} {v / n_series:.2f}" for m, v in sorted(weights_sum.items()))
        extras.append(
            f"{origin:<8} ensemble 80% interval coverage {covered / (n_series * HORIZON):.2f}; "
            f"mean weights: {mean_w}"
        )
    # speed on the whole history (143 weeks), as the product runs it
    full_dates = [d.date() for d in dates_all]
    secs_full = []
    for dept in depts.columns:
        t0 = time.perf_counter()
        forecast_demand(full_dates, depts[dept].to_numpy(dtype=float).tolist(), HORIZON)
        secs_full.append(time.perf_counter() - t0)
    extras.append(
        f"all      ensemble on the full {N_WEEKS} weeks: {np.mean(secs_full):.3f} s/series mean, "
        f"{np.max(secs_full):.3f} s max"
    )
    print("\n".join([*lines, "", *ratios, "", *extras]))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR.resolve())
    parser.add_argument("--origins", nargs="+", choices=list(ORIGINS), default=list(ORIGINS))
    args = parser.parse_args(argv)
    t0 = dt.datetime.now()
    code = run(args.data_dir, args.origins)
    print(f"\ntotal wall time {(dt.datetime.now() - t0).total_seconds():.0f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
