"""Forecast accuracy benchmark on the Walmart department data (see benchmarks/README.md).

Department-level weekly sales summed over all stores; the 20 departments with the largest total
sales among those with all 143 weeks present and no non-positive week; horizon 26; two origins:

* ``last``: train on everything before 2012-05-04, test 2012-05-04..2012-10-26;
* ``holiday``: train 2010-02-05..2011-07-29, test 2011-08-05..2012-01-27.

Methods: seasonal naive (plain lag 52: the baseline), the ensemble's members called directly
(holiday-aligned naive, scaled naive, Prophet, pmdarima ARIMA), the ensemble (the whole
``forecast_demand`` call, backtest included) and statsforecast AutoETS and AutoARIMA (season 52)
as outside references. The engine gets each week's first day (Walmart dates a week by its last
day, a Friday). Metrics: pooled WAPE (sum |err| / sum actual), mean MASE (scale: mean
|y_t - y_{t-52}| on the training data), bias ((sum forecast - sum actual) / sum actual), CPU
seconds per series (this process and its children, i.e. Prophet's cmdstan: what one core
spends, little moved by other jobs on the machine) and, for the ensemble, wall seconds too.
Imports and JIT warm-up happen before timing. Nothing here looks at the test windows except to
score. The load average is printed beside the times.

Run from the repo root, on one core:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \\
        taskset -c 1 .venv/bin/python benchmarks/forecast_walmart.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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
TARGETS = {"last": 0.85, "holiday": 0.93}
COVERAGE_TARGET = (0.75, 0.85)
MAX_SECONDS_PER_SERIES = 0.4
"""Median CPU seconds per series of the whole ensemble call (backtest included)."""

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


def seasonal_naive(y: np.ndarray, dates: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """The baseline: the same week last year (lag 52), no holiday alignment."""
    return np.asarray(y[len(y) - 52 + np.arange(horizon)], dtype=float)


def ets_forecast(y: np.ndarray, dates: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    from statsforecast.models import AutoETS

    model = AutoETS(season_length=52)
    return np.asarray(model.forecast(y=y.astype(float), h=horizon)["mean"], dtype=float)


def arima_reference(y: np.ndarray, dates: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    from statsforecast.models import AutoARIMA

    model = AutoARIMA(season_length=52)
    return np.asarray(model.forecast(y=y.astype(float), h=horizon)["mean"], dtype=float)


def ensemble_forecast(y: np.ndarray, dates: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    result = forecast_demand([d.date() for d in dates], y.tolist(), horizon)
    ensemble_forecast.last = result  # type: ignore[attr-defined]
    return np.array([w.forecast for w in result.weekly])


METHODS: dict[str, Forecaster] = {
    "seasonal_naive": seasonal_naive,
    "aligned_naive": fm.seasonal_naive,
    "scaled_naive": fm.scaled_seasonal_naive,
    "prophet": fm.prophet_member,
    "arima": fm.arima_member,
    "ensemble": ensemble_forecast,
    "autoets": ets_forecast,
    "autoarima": arima_reference,
}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Prophet's cmdstan runs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class Score:
    abs_err: float = 0.0
    actual: float = 0.0
    fc_sum: float = 0.0
    mase: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def add(
        self, train: np.ndarray, actual: np.ndarray, fc: np.ndarray, secs: float, wall: float
    ) -> None:
        err = np.abs(actual - fc)
        self.abs_err += float(err.sum())
        self.actual += float(actual.sum())
        self.fc_sum += float(fc.sum())
        scale = float(np.mean(np.abs(train[52:] - train[:-52])))
        self.mase.append(float(err.mean()) / scale)
        self.seconds.append(secs)
        self.wall.append(wall)

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


def run(data_dir: Path, origins: list[str], methods: list[str]) -> int:
    for name in list(METHODS):
        if name not in methods:
            del METHODS[name]
    depts = load_departments(data_dir)
    print(
        f"data: {data_dir / 'train.csv.gz'}; {depts.shape[1]} departments "
        f"{list(depts.columns)}; horizon {HORIZON}"
    )
    warnings.simplefilter("ignore")
    warm_up()
    labels = pd.DatetimeIndex(depts.index)
    # Walmart dates the week by its last day (a Friday); the engine takes each week's first day
    dates_all = labels - pd.Timedelta(days=6)
    ok = True
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = (
        f"{'origin':<8} {'method':<15} {'WAPE':>7} {'MASE':>7} {'bias':>8} {'cpu s':>7} "
        f"{'(median)':>8}"
    )
    lines = [header, "-" * len(header)]
    ratios: list[str] = []
    extras: list[str] = []
    for origin in origins:
        start, end = (pd.Timestamp(x) for x in ORIGINS[origin])
        train_mask = (labels >= start) & (labels <= end)
        n_train = int(train_mask.sum())
        first = int(np.argmax(train_mask))
        tr = slice(first, first + n_train)
        te = slice(first + n_train, first + n_train + HORIZON)
        test_dates = labels[te]
        scores = {name: Score() for name in METHODS}
        covered_by_lead = np.zeros(HORIZON, dtype=int)
        totals_covered = 0
        weights_sum: dict[str, float] = {}
        for dept in depts.columns:
            y = depts[dept].to_numpy(dtype=float)
            train, actual, dtrain = y[tr], y[te], dates_all[tr]
            for name, fn in METHODS.items():
                t0, c0 = time.perf_counter(), cpu_seconds()
                fc = np.asarray(fn(train, dtrain, HORIZON), dtype=float)
                secs, wall = cpu_seconds() - c0, time.perf_counter() - t0
                scores[name].add(train, actual, fc, secs, wall)
                if name == "ensemble":
                    res = ensemble_forecast.last  # type: ignore[attr-defined]
                    lo = np.array([w.lower for w in res.weekly])
                    hi = np.array([w.upper for w in res.weekly])
                    covered_by_lead += (actual >= lo) & (actual <= hi)
                    totals_covered += int(lo.sum() <= actual.sum() <= hi.sum())
                    for m, w in res.method_weights.items():
                        weights_sum[m] = weights_sum.get(m, 0.0) + w
        print(
            f"origin {origin}: train {labels[tr][0].date()}..{labels[tr][-1].date()} "
            f"({n_train} weeks), "
            f"test {test_dates[0].date()}..{test_dates[-1].date()}",
            file=sys.stderr,
        )
        for name, s in scores.items():
            lines.append(
                f"{origin:<8} {name:<15} {s.wape:>7.4f} {float(np.mean(s.mase)):>7.3f} "
                f"{s.bias:>+8.4f} {float(np.mean(s.seconds)):>7.3f} "
                f"{float(np.median(s.seconds)):>8.3f}"
            )
        ratio = scores["ensemble"].wape / scores["seasonal_naive"].wape
        target = TARGETS[origin]
        secs = float(np.median(scores["ensemble"].seconds))
        wall = float(np.median(scores["ensemble"].wall))
        n_series = depts.shape[1]
        coverage = int(covered_by_lead.sum()) / (n_series * HORIZON)
        passed = (
            ratio <= target
            and secs <= MAX_SECONDS_PER_SERIES
            and COVERAGE_TARGET[0] <= coverage <= COVERAGE_TARGET[1]
        )
        ok &= passed
        ratios.append(
            f"{origin:<8} ensemble/seasonal-naive WAPE = {ratio:.3f} (target <= {target:.2f}); "
            f"80% coverage {coverage:.3f} (target {COVERAGE_TARGET[0]:.2f}..."
            f"{COVERAGE_TARGET[1]:.2f}); median {secs:.3f} cpu s/series "
            f"(target <= {MAX_SECONDS_PER_SERIES:.1f}), {wall:.3f} wall s -> "
            f"{'PASS' if passed else 'FAIL'}"
        )
        mean_w = ", ".join(f"{m} {v / n_series:.2f}" for m, v in sorted(weights_sum.items()))
        extras.append(
            f"{origin:<8} season totals inside the summed weekly intervals: {totals_covered} of "
            f"{n_series}; mean weights: {mean_w}"
        )
        by_lead = " ".join(f"{c / n_series:.2f}" for c in covered_by_lead)
        extras.append(f"{origin:<8} 80% coverage by lead 1..{HORIZON}: {by_lead}")
    # speed on the whole history (143 weeks), as the product runs it
    full_dates = [d.date() for d in dates_all]
    secs_full, wall_full = [], []
    for dept in depts.columns:
        t0, c0 = time.perf_counter(), cpu_seconds()
        forecast_demand(full_dates, depts[dept].to_numpy(dtype=float).tolist(), HORIZON)
        secs_full.append(cpu_seconds() - c0)
        wall_full.append(time.perf_counter() - t0)
    extras.append(
        f"all      ensemble on the full {N_WEEKS} weeks: median {np.median(secs_full):.3f} cpu "
        f"s/series ({np.max(secs_full):.3f} max), median {np.median(wall_full):.3f} wall s"
    )
    extras.append(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\n".join([*lines, "", *ratios, "", *extras]))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR.resolve())
    parser.add_argument("--origins", nargs="+", choices=list(ORIGINS), default=list(ORIGINS))
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=list(METHODS),
        default=list(METHODS),
        help="methods to run (seasonal_naive and ensemble are always kept)",
    )
    args = parser.parse_args(argv)
    args.methods = list(dict.fromkeys(["seasonal_naive", "ensemble", *args.methods]))
    t0 = dt.datetime.now()
    code = run(args.data_dir, args.origins, args.methods)
    print(f"\ntotal wall time {(dt.datetime.now() - t0).total_seconds():.0f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
