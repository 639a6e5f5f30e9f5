"""An assortment plan through the local runtime: N synthetic categories, approvals answered at
once.

The runtime (moto server + in-process Lambdas, as `fashion-forecast serve` runs them) starts
with the bundled sample data; N categories are added, each a bundled category's store-level
history scaled by its own factor (0.6 to 1.4) with 5% multiplicative noise per row (seeded, so
every run plans the same data). One POST /api/workflows/forecast with the N as `category_ids`
plans them all; each child's manufacturing approval is accepted as soon as the parent's view
shows it waiting. Printed: wall time from the POST to every child completed, wall per category,
the children's own durations (created to completed: median and max), the parent's time to
complete (every category planned up to its approval), the Demand step's own duration (from each
child's steps), and the peak resident memory of this process plus that of its largest child
process (cmdstan).

    .venv/bin/python benchmarks/assortment.py [--categories 50] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import resource
import statistics
import time
from typing import Any

import httpx

os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"

from fashion_forecast.app import store_totals
from fashion_forecast_local.demo import PARAMETERS
from fashion_forecast_local.runtime import LocalRuntime, free_port

TERMINAL = {"completed", "failed", "cancelled"}


def add_synthetic_categories(runtime: LocalRuntime, count: int) -> list[str]:
    """`count` categories made from the bundled ones; returns their names."""
    sales = runtime.container().sales
    bundled = {name: sales.category_history(name) for name in sales.categories()}
    sources = sorted(bundled)
    rng = random.Random(20261207)
    names = []
    for i in range(count):
        name = f"synthetic_{i:03d}"
        factor = 0.6 + 0.8 * i / max(count - 1, 1)
        rows = [
            dataclasses.replace(
                row,
                category=name,
                quantity_sold=round(row.quantity_sold * factor * rng.uniform(0.95, 1.05)),
                revenue=None,
            )
            for row in bundled[sources[i % len(sources)]]
        ]
        sales.save_category_history(name, rows)
        names.append(name)
    store_totals.rebuild(sales)  # as a history upload does after storing its categories
    return names


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024  # Linux: KiB


def plan(api: httpx.Client, categories: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    parent_id = (
        api.post(
            "/api/workflows/forecast", json={"category_ids": categories, "parameters": PARAMETERS}
        )
        .raise_for_status()
        .json()["workflow_id"]
    )
    accepted: set[str] = set()
    parent_done = None
    while True:
        view = api.get(f"/api/workflows/{parent_id}").raise_for_status().json()
        if parent_done is None and view["status"] in TERMINAL:
            parent_done = time.perf_counter() - started
        children = view["assortment"]["children"]
        for child in children:
            if child["status"] == "awaiting_approval" and child["workflow_id"] not in accepted:
                api.post(
                    "/api/approvals/manufacturing",
                    json={"workflow_id": child["workflow_id"], "action": "accept"},
                ).raise_for_status()
                accepted.add(child["workflow_id"])
        if parent_done is not None and all(c["status"] in TERMINAL for c in children):
            break
        time.sleep(0.5)  # the runtime shares this process: polling must not compete with it
    wall = time.perf_counter() - started
    durations, demand = [], []
    for child in children:
        own = api.get(f"/api/workflows/{child['workflow_id']}").json()
        created = dt.datetime.fromisoformat(own["created_at"])
        completed = dt.datetime.fromisoformat(own["completed_at"])
        durations.append((completed - created).total_seconds())
        steps = api.get(f"/api/workflows/{child['workflow_id']}/steps").json()["steps"]
        demand += [s["duration_seconds"] for s in steps if s["name"] == "Demand"]
    return {
        "parent": view,
        "wall": wall,
        "parent_done": parent_done,
        "durations": durations,
        "demand": demand,
        "statuses": view["assortment"]["counts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--categories", type=int, default=50)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="AssortmentMaxConcurrency (Map slots)"
    )
    args = parser.parse_args()
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    port = free_port()
    overrides = {"AssortmentMaxConcurrency": str(args.concurrency)}
    with LocalRuntime(
        api_port=port, extra_environment=quiet, parameter_overrides=overrides
    ) as runtime:
        runtime.serve_in_thread()
        categories = add_synthetic_categories(runtime, args.categories)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=120, headers=runtime.auth_headers) as api:
            result = plan(api, categories)
    n = len(categories)
    durations = result["durations"]
    print(f"{n} categories, Map concurrency {args.concurrency}, {os.cpu_count()} CPUs")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"children by status: {result['statuses']}")
    print(f"wall time, POST to every child completed: {result['wall']:.1f} s")
    print(f"wall time per category: {result['wall'] / n:.2f} s")
    print(f"parent completed (every category at its approval) after {result['parent_done']:.1f} s")
    print(
        f"child created -> completed: median {statistics.median(durations):.1f} s, "
        f"max {max(durations):.1f} s"
    )
    print(
        f"Demand step: median {statistics.median(result['demand']):.2f} s, "
        f"max {max(result['demand']):.2f} s"
    )
    print(f"order total: {result['parent']['assortment']['manufacturing_qty']:,} units")
    print(f"peak resident memory (this process + its largest child): {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
