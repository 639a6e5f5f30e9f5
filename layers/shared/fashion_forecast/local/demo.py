"""`fashion-forecast demo`: a season on the bundled sample data, end to end, over HTTP.

It starts the local runtime and the API on a free port, then plays the planner: a pre-season
forecast (Zara-style parameters) whose manufacturing order is accepted, and a manual
re-forecast from the first in-season weeks of the bundled demand-shock scenario.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn

from fashion_forecast import sample_data
from fashion_forecast.api.app import create_app
from fashion_forecast.domain.variance import cumulative_variance
from fashion_forecast.local.runtime import LocalRuntime, free_port
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.services import Services
from fashion_forecast.settings import get_settings

CATEGORY = "womens_dresses"
PARAMETERS = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",
    "replenishment_strategy": "none",
    "dc_holdback_percentage": 0.0,
    "markdown_checkpoint_week": 6,
}
OBSERVED_WEEKS = 7
TERMINAL = {"completed", "failed", "cancelled"}

Say = Callable[[str], None]


class DemoError(RuntimeError):
    pass


def _serve(port: int) -> uvicorn.Server:
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise DemoError("the API did not start")
        time.sleep(0.05)
    return server


def _follow(api: httpx.Client, workflow_id: str, say: Say, until: set[str]) -> dict[str, Any]:
    """Print each change of status, agent or progress until a status in `until`."""
    last: tuple[Any, ...] = ()
    deadline = time.monotonic() + 300
    while True:
        workflow = api.get(f"/api/workflows/{workflow_id}").raise_for_status().json()
        state = (workflow["status"], workflow["current_agent"], workflow["progress_pct"])
        if state != last:
            agent = workflow["current_agent"] or "-"
            say(f"    {workflow['progress_pct']:>3}%  {workflow['status']:<17} agent: {agent}")
            last = state
        if workflow["status"] in until:
            if workflow["status"] in {"failed", "cancelled"}:
                raise DemoError(f"workflow {workflow['status']}: {workflow['error_message']}")
            return dict(workflow)
        if time.monotonic() > deadline:
            raise DemoError(f"workflow {workflow_id} did not finish in time")
        time.sleep(0.1)


def _approve(api: httpx.Client, workflow: dict[str, Any], say: Say) -> None:
    approval = workflow["pending_approval"]
    data = approval["data"]
    if "extra_order_qty" in data:
        say(
            f"    approval needed ({approval['kind']}): extra order {data['extra_order_qty']:,} "
            f"units (need {data['season_demand']:,.0f} incl. actuals + "
            f"{data['safety_stock_pct']:.0%} safety stock, {data['manufacturing_qty']:,} ordered)"
        )
    else:
        say(
            f"    approval needed ({approval['kind']}): order {data['manufacturing_qty']:,} units "
            f"(demand {data['season_demand']:,.0f} + {data['safety_stock_pct']:.0%} safety stock)"
        )
    say("    -> planner accepts")
    api.post(
        f"/api/approvals/{approval['kind']}",
        json={"workflow_id": workflow["workflow_id"], "action": "accept"},
    ).raise_for_status()


def _run_workflow(api: httpx.Client, path: str, body: dict[str, Any], say: Say) -> dict[str, Any]:
    created = api.post(path, json=body)
    if created.status_code != 201:
        raise DemoError(f"POST {path} answered {created.status_code}: {created.text}")
    workflow_id = created.json()["workflow_id"]
    say(f"    workflow {workflow_id}")
    workflow = _follow(api, workflow_id, say, {"awaiting_approval", *TERMINAL})
    while workflow["status"] == "awaiting_approval":
        _approve(api, workflow, say)
        workflow = _follow(api, workflow_id, say, {"awaiting_approval", *TERMINAL})
    return dict(api.get(f"/api/workflows/{workflow_id}/results").raise_for_status().json())


def _weekly_actuals(scenario: str) -> list[float]:
    totals: dict[int, float] = defaultdict(float)
    for row in sample_data.load_sample_weekly_sales(scenario):
        totals[int(row["week_number"])] += float(row["units_sold"])
    return [totals[w] for w in sorted(totals)]


def run_demo(say: Say = print) -> dict[str, Any]:
    started = time.perf_counter()
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with LocalRuntime(extra_environment=quiet) as runtime:
        port = free_port()
        server = _serve(port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
                say(f"Local runtime up: API http://127.0.0.1:{port}, moto {runtime.endpoint}")
                say(f"\n1. Pre-season forecast for {CATEGORY}, Zara-style season: {PARAMETERS}")
                season = _run_workflow(
                    api,
                    "/api/workflows/forecast",
                    {"category_id": CATEGORY, "parameters": PARAMETERS},
                    say,
                )
                forecast = stored_forecast(season["forecast_id"])
                output = season["output_data"]
                say(
                    f"    forecast: {output['total_season_demand']:,.0f} units over 12 weeks; "
                    f"weights {_fmt_weights(forecast['method_weights'])}"
                )
                say(f"    clusters: {_fmt_clusters(forecast['clusters'])}")
                say(
                    f"    order {output['manufacturing_qty']:,} units, "
                    f"{output['initial_allocation']:,} to 50 stores, {output['holdback']:,} held "
                    f"at the DC ({output['duration_seconds']:.1f} s)"
                )

                weekly = [w["forecast"] for w in forecast["weekly"]]
                actual = _weekly_actuals("shock_up")[:OBSERVED_WEEKS]
                variance = cumulative_variance(actual, weekly[:OBSERVED_WEEKS])
                say(
                    f"\n2. In season, weeks 1-{OBSERVED_WEEKS} sell {sum(actual):,.0f} units vs "
                    f"{sum(weekly[:OBSERVED_WEEKS]):,.0f} forecast ({variance.display}): "
                    "manual re-forecast"
                )
                replan = _run_workflow(
                    api,
                    "/api/workflows/reforecast",
                    {
                        "forecast_id": season["forecast_id"],
                        "actual_sales_week_1_to_n": [round(a) for a in actual],
                        "forecasted_week_1_to_n": weekly[:OBSERVED_WEEKS],
                        "remaining_weeks": len(weekly) - OBSERVED_WEEKS,
                        "variance_pct": variance.variance_rounded,
                    },
                    say,
                )
                re_output = replan["output_data"]
                say(
                    f"    re-forecast (version {re_output['forecast_version']}): season demand "
                    f"{re_output['total_season_demand']:,.0f}; extra order "
                    f"{re_output['extra_order_qty']:,} units"
                )
        finally:
            server.should_exit = True
    elapsed = time.perf_counter() - started
    say(
        f"\nSummary: forecast {season['forecast_id']}, order {output['manufacturing_qty']:,} "
        f"+ {re_output['extra_order_qty']:,} extra after the re-forecast; "
        f"demo took {elapsed:.1f} s"
    )
    return {"season": season, "reforecast": replan}


def stored_forecast(forecast_id: str) -> dict[str, Any]:
    """The stored forecast record (the forecast endpoints arrive with the sales-data API)."""
    services = Services.from_settings(get_settings())
    return services.records.get(FORECAST, forecast_id, ForecastRecord).model_dump(mode="json")


def _fmt_weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{name} {w:.2f}" for name, w in sorted(weights.items(), key=lambda x: -x[1]))


def _fmt_clusters(clusters: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c['name']} {c['store_count']} stores {c['share']:.0%}" for c in clusters)
