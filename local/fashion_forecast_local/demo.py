"""`fashion-forecast demo`: a season on the bundled sample data, end to end, over HTTP.

It starts the local runtime on a fresh temporary data dir (so it always starts from the
bundled sample data) and the API on a free port, then plays the planner: a pre-season forecast
(Zara-style parameters) whose manufacturing order is accepted, then the season itself: the
weekly sales of one bundled scenario (``--scenario``: normal, shock_up (the default),
shock_down) are uploaded week by week through POST /api/data/upload-weekly-sales. Each upload
lands in S3 and the variance Lambda answers with the week's cumulative variance; when it breaks
the 20% threshold the re-forecast starts on its own (its extra order, if any, is accepted), and
at the markdown checkpoint (week 6) the markdown flow runs and any recommendation is accepted.
It ends with a one-line verdict read from the season's stored inventory position
(GET /api/forecasts/{id}/position): units sold of units ordered and approved, the re-forecasts,
the markdown, and where the stock left is.

Every request carries a credential, as a front end's would: the runtime's API key
(`x-api-key`, api_key mode) or, with `auth_mode="cognito"`, the id token of a local user in the
viewer, planner and approver groups (`Authorization: Bearer`).
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from fashion_forecast_local import sample_data
from fashion_forecast_local.runtime import LocalRuntime, free_port

CATEGORY = "womens_dresses"
SCENARIO = "shock_up"
SCENARIOS = sample_data.SCENARIOS
PARAMETERS = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",
    "replenishment_strategy": "none",
    "dc_holdback_percentage": 0.0,
    "markdown_checkpoint_week": 6,
}
TERMINAL = {"completed", "failed", "cancelled"}

Say = Callable[[str], None]


class DemoError(RuntimeError):
    pass


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
    if approval["kind"] == "markdown":
        say(
            f"    approval needed (markdown): {data['markdown_pct']:.0%} off from week "
            f"{data['checkpoint_week'] + 1} (sell-through {data['sell_through']:.1%} vs "
            f"{data['sell_through'] + data['markdown_threshold_gap']:.0%} target; expected lift "
            f"{data['expected_lift']:+.0%})"
        )
    elif "extra_order_qty" in data:
        say(
            f"    approval needed ({approval['kind']}): extra order {data['extra_order_qty']:,} "
            f"units (season demand {data['season_demand']:,.0f} = sold + remaining; "
            f"{data['ordered_approved_qty']:,} ordered and approved so far, "
            f"{data['manufacturing_qty']:,} in all)"
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
    return _see_through(api, workflow_id, say)


def _see_through(api: httpx.Client, workflow_id: str, say: Say) -> dict[str, Any]:
    """Follow a workflow, accepting every approval it asks for, until it has finished."""
    workflow = _follow(api, workflow_id, say, {"awaiting_approval", *TERMINAL})
    while workflow["status"] == "awaiting_approval":
        _approve(api, workflow, say)
        workflow = _follow(api, workflow_id, say, {"awaiting_approval", *TERMINAL})
    return dict(api.get(f"/api/workflows/{workflow_id}/results").raise_for_status().json())


def weekly_files(scenario: str = SCENARIO) -> dict[int, bytes]:
    """The bundled weekly sales of `scenario`, one CSV file per season week."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for row in sample_data.load_sample_weekly_sales(scenario):
        rows.setdefault(int(row["week_number"]), []).append(row)
    files = {}
    for week, week_rows in sorted(rows.items()):
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer,
            fieldnames=["store_id", "week_number", "units_sold", "category"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(week_rows)
        files[week] = buffer.getvalue().encode()
    return files


def _upload_week(api: httpx.Client, forecast_id: str, week: int, data: bytes) -> dict[str, Any]:
    """Upload one week's file; the answer once the variance Lambda has evaluated it."""
    response = api.post(
        "/api/data/upload-weekly-sales",
        data={"forecast_id": forecast_id, "week_number": str(week)},
        files={"file": (f"week-{week:02d}.csv", data, "text/csv")},
    )
    if response.status_code not in {201, 202}:
        raise DemoError(f"upload of week {week} answered {response.status_code}: {response.text}")
    body = dict(response.json())
    deadline = time.monotonic() + 60
    while body["status"] not in {"accepted", "rejected"}:  # 202: poll where it says
        if time.monotonic() > deadline:
            raise DemoError(f"week {week} was not processed in time")
        time.sleep(0.2)
        body = dict(api.get(body["status_url"]).raise_for_status().json())
    if body["status"] == "rejected":
        raise DemoError(f"week {week} was refused: {body['error']}")
    return body


def _in_season(
    api: httpx.Client, forecast_id: str, scenario: str, say: Say
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Upload every week of the scenario; follow the flows they start. Returns the variance
    rows and the results of the flows."""
    rows, flows = [], []
    for week, data in weekly_files(scenario).items():
        body = _upload_week(api, forecast_id, week, data)
        row = body["variance"]
        mark = "OVER " if row["threshold_exceeded"] else ""
        say(
            f"    week {week:>2}: {body['units_by_week'][str(week)]:>6,} sold; cumulative "
            f"{row['actual_cumulative']:>8,.0f} vs plan {row['forecasted_cumulative']:>8,.0f} "
            f"= {row['display']:>6} {mark}-> {row['action_taken']}"
        )
        rows.append(row)
        for workflow_id in body["workflows_started"]:
            kind = "re-forecast" if workflow_id.startswith("reforecast-") else "markdown"
            say(f"    {kind} started automatically: {workflow_id}")
            result = _see_through(api, workflow_id, say)
            output = result["output_data"]
            if kind == "re-forecast":
                say(
                    f"    re-forecast (version {output['forecast_version']}): season demand "
                    f"{output['total_season_demand']:,.0f} (sold + remaining); extra order "
                    f"{output.get('extra_order_qty', 0):,} units"
                )
                for warning in output.get("warnings", []):
                    say(f"    warning: {warning}")
            elif output.get("markdown_pct"):
                lifted = api.get(f"/api/forecasts/{forecast_id}").raise_for_status().json()
                say(
                    f"    markdown {output['markdown_pct']:.0%} applied: forecast version "
                    f"{lifted['version']}, season demand {lifted['total_demand']:,.0f}"
                )
            else:
                say("    markdown checked: none needed")
            flows.append(result)
    return rows, flows


def _credential(runtime: LocalRuntime) -> tuple[dict[str, str], str]:
    """The headers every request sends, and how to say it (the secret is never printed)."""
    if runtime.pool is not None:
        token = runtime.pool.add_user("demo-planner", ["viewer", "planner", "approver"])
        return {"Authorization": f"Bearer {token}"}, "Authorization: Bearer <demo-planner's token>"
    return runtime.auth_headers, "x-api-key: <the runtime's API key>"


def run_demo(
    say: Say = print, scenario: str = SCENARIO, auth_mode: str = "api_key"
) -> dict[str, Any]:
    """The demo: a fresh local runtime serving the API on a free port, one season played."""
    if scenario not in SCENARIOS:
        raise DemoError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    started = time.perf_counter()
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="fashion-forecast-demo-") as data_dir,
        LocalRuntime(
            api_port=port, extra_environment=quiet, data_dir=Path(data_dir), auth_mode=auth_mode
        ) as runtime,
    ):
        runtime.serve_in_thread()
        headers, shown = _credential(runtime)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60, headers=headers) as api:
            say(f"Local runtime up: API {base}, moto {runtime.endpoint}; requests send {shown}")
            played = play_season(api, scenario, say)
    say(f"    demo took {time.perf_counter() - started:.1f} s")
    say(f"\nVerdict ({scenario}): {played['verdict']}")
    return played


def play_season(api: httpx.Client, scenario: str, say: Say) -> dict[str, Any]:
    """Plan the Zara-style season over `api`, accept its order, upload the scenario's weeks
    one by one (accepting every approval the flows ask for) and read back where it ended."""
    say(f"\n1. Pre-season forecast for {CATEGORY}, Zara-style season: {PARAMETERS}")
    season = _run_workflow(
        api,
        "/api/workflows/forecast",
        {"category_id": CATEGORY, "parameters": PARAMETERS},
        say,
    )
    forecast_id = season["forecast_id"]
    forecast = api.get(f"/api/forecasts/{forecast_id}").raise_for_status().json()
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
    say(
        f"\n2. In season: the {scenario} scenario's weekly sales, uploaded week by "
        "week (S3 -> variance Lambda; re-forecast over 20%, markdown at week 6)"
    )
    rows, flows = _in_season(api, forecast_id, scenario, say)
    final = api.get(f"/api/forecasts/{forecast_id}").raise_for_status().json()
    position = api.get(f"/api/forecasts/{forecast_id}/position").raise_for_status().json()
    answer = api.get(f"/api/markdowns/{forecast_id}")
    markdown = answer.json() if answer.status_code == 200 else None
    breaches = [r["week"] for r in rows if r["threshold_exceeded"]]
    say(f"\nSummary: forecast {forecast_id}")
    say(f"    weeks over the threshold: {breaches or 'none'}; flows run: {len(flows)}")
    for v in final["versions"]:
        say(
            f"    v{v['version']} {v['reason']} ({v['status']}): season demand "
            f"{v['total_demand']:,.0f}"
        )
    for order in position["orders"]:
        say(f"    order {order['kind']}: {order['units']:,} units, {order['status']}")
    say(
        f"    position after week {position['through_week']}: {position['ordered_approved']:,} "
        f"ordered and approved = {position['at_dc']:,} at the DC + {position['shipped']:,} "
        f"shipped; shipped = {position['store_on_hand']:,} in stores + {position['sold']:,} sold"
    )
    for warning in position["warnings"]:
        say(f"    warning: {warning}")
    return {
        "season": season,
        "variance": rows,
        "flows": flows,
        "forecast": final,
        "position": position,
        "markdown": markdown,
        "verdict": verdict(position, final, markdown),
    }


def verdict(
    position: dict[str, Any], forecast: dict[str, Any], markdown: dict[str, Any] | None
) -> str:
    """One line a planner can check against the stored position and the forecast's versions:
    units sold of units ordered and approved, the re-forecasts in effect (and those whose
    order was rejected), the markdown, and the stock left at the DC and in the stores."""
    reforecasts = [v for v in forecast["versions"] if v["reason"].startswith("re-forecast")]
    applied = [v for v in reforecasts if v["status"] == "approved"]
    counts = {0: "no re-forecast", 1: "one re-forecast", 2: "two re-forecasts"}
    parts = [
        f"sold {position['sold']:,} of {position['ordered_approved']:,} ordered",
        counts.get(len(applied), f"{len(applied)} re-forecasts"),
    ]
    if len(reforecasts) > len(applied):
        parts.append(f"{len(reforecasts) - len(applied)} re-forecast order(s) not approved")
    extras = [o for o in position["orders"] if o["kind"] == "extra" and o["status"] == "approved"]
    extra_units = sum(o["units"] for o in extras)
    parts.append(f"{extra_units:,} extra ordered" if extra_units else "no extra order")
    if markdown is not None and markdown["status"] == "applied":
        parts.append(
            f"markdown {markdown['markdown_pct']:.0%} from week {markdown['checkpoint_week'] + 1}"
        )
    else:
        parts.append("no markdown")
    in_stores = position["store_on_hand"]
    parts.append(
        (
            f"{in_stores:,} left in stores"
            if in_stores >= 0
            else f"stores sold {-in_stores:,} more than they were shipped"
        )
        + f", {position['at_dc']:,} at the DC"
    )
    return "; ".join(parts)


def _fmt_weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{name} {w:.2f}" for name, w in sorted(weights.items(), key=lambda x: -x[1]))


def _fmt_clusters(clusters: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c['name']} {c['store_count']} stores {c['share']:.0%}" for c in clusters)
