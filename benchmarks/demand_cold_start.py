"""The first Demand step in a fresh process: what a cold Demand container pays.

Each run starts a new Python process that imports the Demand Lambda's module, then runs what
the step computes on the bundled sample data (`womens_dresses`, 156 weeks, 12-week season:
the ensemble forecast with its backtest, then the store clusters), and reports wall and CPU
seconds (the process and its children: Prophet's cmdstan) for the import, the libraries the
first forecast imports lazily (prophet, pmdarima) and the computing. No AWS: the step's reads
and writes are left out (benchmarks/workflow_wall_time.py measures the whole step in the local
runtime). The child's environment says it runs in Lambda (``LAMBDA_TASK_ROOT``, which a Lambda
container sets), because the tracing libraries behave differently there: in Lambda the X-Ray
SDK (which Powertools' Tracer imports) samples locally, and Tracer patches the libraries X-Ray
supports (botocore among them); outside Lambda the SDK builds an X-Ray API client at import for
central sampling (about 0.1 s) and Tracer stays off. CPU seconds move little with other jobs on
the machine; wall seconds do, so the load average is printed beside them. Target: first step
under 3 s.

    taskset -c 1 .venv/bin/python benchmarks/demand_cold_start.py [--runs 11]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time

def cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system

marks = [("start", time.perf_counter(), cpu())]
def mark(name):
    marks.append((name, time.perf_counter(), cpu()))

sys.path.insert(0, os.path.join(sys.argv[1], "functions", "demand"))
import app  # noqa: F401  the Demand Lambda's module, as its INIT phase imports it
mark("import handler")
import prophet  # noqa: F401
mark("import prophet")
import pmdarima  # noqa: F401
mark("import pmdarima")
import csv, datetime as dt
from fashion_forecast.domain.clusters import cluster_stores
from fashion_forecast.domain.demand import forecast_demand
from fashion_forecast.domain.history import aggregate_weekly, category_series
data = os.path.join(sys.argv[1], "local", "fashion_forecast_local", "sample_data")
rows = list(csv.DictReader(open(os.path.join(data, "historical_sales.csv"))))
for r in rows:
    r["date"] = dt.date.fromisoformat(r["date"])
    r["quantity_sold"] = float(r["quantity_sold"])
weeks, units = category_series(aggregate_weekly(rows)["womens_dresses"])
stores = list(csv.DictReader(open(os.path.join(data, "store_attributes.csv"))))
for s in stores:
    s["store_size_sqft"] = int(s["store_size_sqft"])
    s["median_income"] = float(s["median_income"])
mark("read sample data")
forecast_demand(weeks, units, 12)
mark("forecast (first)")
cluster_stores(stores, rows, "womens_dresses")
mark("clusters (first)")
print(json.dumps([(n, w, c) for n, w, c in marks]))
"""

ENV = {
    "TABLE_NAME": "cold-start",
    "DATA_BUCKET": "cold-start",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "LAMBDA_TASK_ROOT": str(REPO_ROOT / "functions" / "demand"),
    "AWS_LAMBDA_FUNCTION_NAME": "fashion-forecast-demand",
}


def one_run() -> list[tuple[str, float, float]]:
    env = {**os.environ, **ENV}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT / "layers" / "shared"), env.get("PYTHONPATH", "")]
    )
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO_ROOT)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    marks = json.loads(out.strip().splitlines()[-1])
    return [
        (name, wall - marks[i][1], cpu - marks[i][2])
        for i, (name, wall, cpu) in enumerate(marks[1:])
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    walls: list[float] = []
    cpus: list[float] = []
    for run in range(1, args.runs + 1):
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        steps = one_run()
        wall = sum(w for n, w, _ in steps if n != "read sample data")
        cpu = sum(c for n, _, c in steps if n != "read sample data")
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"run {run}: first Demand step {wall:.2f} s wall, {cpu:.2f} s cpu "
            f"(target < 3 s; load average {load})"
        )
        for name, w, c in steps:
            print(f"    {name:<18} {w:6.2f} s wall {c:6.2f} s cpu")
    print(
        f"median of {args.runs} runs: first Demand step {statistics.median(walls):.2f} s wall "
        f"({min(walls):.2f}-{max(walls):.2f}), {statistics.median(cpus):.2f} s cpu "
        f"({min(cpus):.2f}-{max(cpus):.2f}); target < 3 s"
    )


if __name__ == "__main__":
    main()
