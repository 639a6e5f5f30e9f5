"""The forecast ensemble against seasonal naive on the real Walmart department data (slow:
run with `python3 .ci/dev.py test -m slow`). The same set-up as benchmarks/forecast_walmart.py,
held to regression bounds (GUARD: the benchmark's targets, met since the scaled seasonal naive
reads two years back, see benchmarks/README.md); skipped where the data is not beside the
repo."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

GUARD = {"last": 0.85, "holiday": 0.93}
"""Ensemble / seasonal-naive WAPE no worse than this (measured 0.833 and 0.901; `last` was
0.868 with the one-year scaled naive: this bound would fail it)."""
BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "forecast_walmart.py"


def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("forecast_walmart", BENCHMARK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("origin", ["last", "holiday"])
def test_ensemble_beats_seasonal_naive_on_walmart(origin: str) -> None:
    bench = benchmark()
    if not (bench.DEFAULT_DATA_DIR / "train.csv.gz").exists():
        pytest.skip(f"no Walmart data at {bench.DEFAULT_DATA_DIR}")
    departments = bench.load_departments(bench.DEFAULT_DATA_DIR)
    first, last = bench.ORIGINS[origin]
    train_mask = (departments.index >= first) & (departments.index <= last)
    end = int(np.flatnonzero(train_mask)[-1]) + 1
    starts = departments.index - pd.Timedelta(days=6)  # the engine takes each week's first day
    errors = {"seasonal_naive": 0.0, "ensemble": 0.0}
    actual_total = 0.0
    for dept in departments.columns:
        series = departments[dept]
        train = series[train_mask]
        actual = series.iloc[end : end + bench.HORIZON].to_numpy()
        for name in errors:
            fc = bench.METHODS[name](train.to_numpy(), starts[train_mask], bench.HORIZON)
            errors[name] += float(np.abs(actual - fc).sum())
        actual_total += float(actual.sum())
    ratio = errors["ensemble"] / errors["seasonal_naive"]
    assert ratio <= GUARD[origin], f"{origin}: ensemble/seasonal-naive WAPE {ratio:.3f}"
    assert errors["ensemble"] / actual_total < 0.07
