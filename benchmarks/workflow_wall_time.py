"""Wall time of a pre-season workflow in the local runtime, approval answered at once.

Runs the Zara-style season on the bundled sample data through the HTTP API of
`fashion-forecast serve`'s stack (moto server + in-process Lambdas), accepts the
manufacturing approval the moment it is asked, and splits the time per state from the
execution history. The first run pays the one-off imports (prophet, pmdarima) and moto's ASL
parser; later runs are what a warm container does. Target: under 10 s end to end.

    .venv/bin/python benchmarks/workflow_wall_time.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import httpx

os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"

from fashion_forecast_local.demo import CATEGORY, PARAMETERS
from fashion_forecast_local.runtime import LocalRuntime, free_port


def state_durations(sfn: Any, execution_arn: str) -> list[tuple[str, float]]:
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    entered: dict[str, Any] = {}
    out = []
    for event in events:
        if "stateEnteredEventDetails" in event:
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            out.append((name, (event["timestamp"] - entered[name]).total_seconds()))
    return out


def run_once(api: httpx.Client, sfn: Any) -> tuple[float, list[tuple[str, float]]]:
    started = time.perf_counter()
    workflow_id = (
        api.post(
            "/api/workflows/forecast",
            json={"category_id": CATEGORY, "parameters": PARAMETERS},
        )
        .raise_for_status()
        .json()["workflow_id"]
    )
    while True:
        status = api.get(f"/api/workflows/{workflow_id}").json()["status"]
        if status == "awaiting_approval":
            api.post(
                "/api/approvals/manufacturing",
                json={"workflow_id": workflow_id, "action": "accept"},
            ).raise_for_status()
        elif status in {"completed", "failed", "cancelled"}:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if status != "completed":
        raise SystemExit(f"workflow {workflow_id} ended {status}")
    machine = os.environ["STATE_MACHINE_ARN"]
    arn = f"{machine.replace(':stateMachine:', ':execution:')}:{workflow_id}"
    return elapsed, state_durations(sfn, arn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    port = free_port()
    with LocalRuntime(api_port=port, extra_environment=quiet) as runtime:
        runtime.serve_in_thread()
        sfn = runtime.client("stepfunctions")
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60, headers=runtime.auth_headers) as api:
            for run in range(1, args.runs + 1):
                elapsed, steps = run_once(api, sfn)
                label = "cold" if run == 1 else "warm"
                print(f"run {run} ({label}): {elapsed:.2f} s end to end (target < 10 s)")
                for name, seconds in steps:
                    if seconds >= 0.005:
                        print(f"    {name:<24} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
