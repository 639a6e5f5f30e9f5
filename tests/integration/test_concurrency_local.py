"""Many pre-season workflows at once through the local runtime served over HTTP (uvicorn on
127.0.0.1, moto executing the real state machine, every Lambda in-process): started together
from threads, approved together once each waits, all complete, and each workflow's event log
is its own 1..n, without a gap, a duplicate or another workflow's event.

Twenty Zara-style forecasts take about 35-45 s on the 2-core machine (the Demand step, Prophet
and ARIMA with their backtest, is CPU-bound and the workflows share the cores), so the test is
in the default run; the deadlines below are generous (a minute per workflow to reach its
approval) and nothing here measures time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fashion_forecast_local.runtime import LocalRuntime, free_port
from tests.integration.flows import SCENARIOS

CATEGORY = "womens_dresses"
TERMINAL = {"completed", "failed", "cancelled"}
API_KEY = "concurrency-test-key"
AUTH = {"x-api-key": API_KEY}  # every client sends the runtime's key


@pytest.fixture
def served() -> Iterator[str]:
    """The runtime, per test: it points the environment at its moto, which the autouse
    aws_env fixture resets before every test."""
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    port = free_port()
    with LocalRuntime(api_port=port, extra_environment=quiet, api_key=API_KEY) as runtime:
        runtime.serve_in_thread()
        yield f"http://127.0.0.1:{port}"


def at_once(calls: list[Callable[[], Any]], timeout: float) -> list[Any]:
    """Run the calls in threads released together by a barrier; their results in call order
    (an exception in a call is its result)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a request did not come back in time"
    return results


def post(base: str, path: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=120, headers=AUTH) as client:  # its own connection
        return client.post(path, json=body)


def wait_all(api: httpx.Client, ids: list[str], status: str, timeout: float) -> dict[str, Any]:
    """Poll every workflow until each is `status`; fails at once on a terminal status that is
    not it, and after `timeout` naming the ones that are not there yet."""
    deadline = time.monotonic() + timeout
    views: dict[str, Any] = {}
    waiting = list(ids)
    while waiting:
        for workflow_id in list(waiting):
            view = api.get(f"/api/workflows/{workflow_id}").raise_for_status().json()
            if view["status"] == status:
                views[workflow_id] = view
                waiting.remove(workflow_id)
            elif view["status"] in TERMINAL:
                pytest.fail(f"{workflow_id} ended {view['status']}: {view['error_message']}")
        if waiting and time.monotonic() > deadline:
            stuck = {w: api.get(f"/api/workflows/{w}").json()["status"] for w in waiting}
            pytest.fail(f"{len(waiting)} of {len(ids)} never reached {status}: {stuck}")
        if waiting:
            time.sleep(0.25)
    return views


def events_of(api: httpx.Client, workflow_id: str) -> list[dict[str, Any]]:
    """The workflow's whole event log, page by page."""
    events: list[dict[str, Any]] = []
    since = 0
    while True:
        page = api.get(f"/api/workflows/{workflow_id}/events?since={since}&limit=50")
        body = page.raise_for_status().json()
        assert body["workflow_id"] == workflow_id
        events += body["events"]
        since = body["last_sequence"]
        if not body["has_more"]:
            return events


def run_concurrently(base: str, count: int) -> None:
    request = {"category_id": CATEGORY, "parameters": SCENARIOS["zara"]}
    started = at_once([lambda: post(base, "/api/workflows/forecast", request)] * count, 300)
    for response in started:
        assert isinstance(response, httpx.Response), response
        assert response.status_code == 201, response.text
    ids = [str(r.json()["workflow_id"]) for r in started]
    assert len(set(ids)) == count

    with httpx.Client(base_url=base, timeout=60, headers=AUTH) as api:
        waiting = wait_all(api, ids, "awaiting_approval", timeout=60 * count)
        for view in waiting.values():
            assert view["pending_approval"]["kind"] == "manufacturing", view
            assert view["pending_approval"]["data"]["manufacturing_qty"] > 0, view

        decided = at_once(
            [
                lambda w=w: post(
                    base, "/api/approvals/manufacturing", {"workflow_id": w, "action": "accept"}
                )
                for w in ids
            ],
            300,
        )
        for response in decided:
            assert isinstance(response, httpx.Response), response
            assert response.status_code == 200, response.text

        done = wait_all(api, ids, "completed", timeout=10 * count + 120)
        forecasts = set()
        for workflow_id in ids:
            assert done[workflow_id]["error_message"] is None
            results = api.get(f"/api/workflows/{workflow_id}/results").raise_for_status().json()
            assert results["output_data"]["manufacturing_qty"] > 0, results
            forecasts.add(results["forecast_id"])

            events = events_of(api, workflow_id)
            sequences = [e["sequence"] for e in events]
            assert sequences == list(range(1, len(events) + 1)), (workflow_id, sequences)
            strays = [e for e in events if e["workflow_id"] != workflow_id]
            assert not strays, (workflow_id, strays)
            kinds = [e["type"] for e in events]
            assert "human_input_required" in kinds, kinds
            assert kinds.count("workflow_complete") == 1, kinds
        assert len(forecasts) == count  # each workflow made its own forecast


@pytest.mark.timeout(1800)
def test_twenty_workflows_started_and_approved_at_once_keep_their_own_events(
    served: str,
) -> None:
    run_concurrently(served, 20)
