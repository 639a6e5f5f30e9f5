"""Progress stream latency and throughput in the local runtime.

Starts the local runtime (embedded moto, the WebSocket function in-process) and serves its app
(REST + the local WebSocket API + @connections) with uvicorn on a free port, then:

1. latency: one client follows a workflow; 1,000 events are published one after another
   through the product's publisher (append to the DynamoDB event log, look up the workflow's
   connections, post each through the apigatewaymanagementapi client to @connections, which
   hands it to the socket). Latency = publish call start -> the client has the message.
2. throughput: 50 clients follow one workflow; events are published back to back, and
   events/s = events / (first publish start -> last client has the last event).

Clients are websockets (asyncio) connections on their own thread in the same process, so the
figures include the contention of everything sharing one Python process (moto, uvicorn, the
clients), as `fashion-forecast serve` does.

    .venv/bin/python benchmarks/websocket_latency.py [--events 1000] [--clients 50]
        [--throughput-events 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import threading
import time
from collections import defaultdict
from typing import Any

from websockets.asyncio.client import connect

os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"

from fashion_forecast.container import build as build_container
from fashion_forecast.models.events import AgentProgress
from fashion_forecast.models.workflows import WorkflowType
from fashion_forecast.ports import Container
from fashion_forecast.settings import get_settings
from fashion_forecast_local.runtime import LocalRuntime, free_port


class Clients:
    """`count` WebSocket clients of one workflow on an event loop of their own thread; records
    when each received each sequence."""

    def __init__(self, url: str, count: int) -> None:
        self.url, self.count = url, count
        self.received: dict[int, dict[int, float]] = defaultdict(dict)  # client -> seq -> t
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Clients:
        self._thread.start()
        if not self._ready.wait(60):
            raise SystemExit("clients did not connect")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        sockets = [await connect(self.url, max_queue=None) for _ in range(self.count)]
        tasks = [asyncio.create_task(self._read(i, ws)) for i, ws in enumerate(sockets)]
        self._ready.set()
        await self._stop.wait()
        for ws in sockets:
            await ws.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self, index: int, ws: Any) -> None:
        mine = self.received[index]
        async for raw in ws:
            now = time.perf_counter()
            message = json.loads(raw)
            if "sequence" in message:
                mine[message["sequence"]] = now

    def wait_for(self, last: int, timeout: float = 120) -> float:
        """Until every client has `last`; returns when the last one got it."""
        deadline = time.monotonic() + timeout
        while not all(last in self.received[i] for i in range(self.count)):
            if time.monotonic() > deadline:
                raise SystemExit(f"clients did not receive sequence {last}")
            time.sleep(0.002)
        return max(self.received[i][last] for i in range(self.count))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def publish(container: Container, workflow_id: str, count: int) -> tuple[dict[int, float], float]:
    """Publish `count` events; sequence -> publish start, and the time spent appending."""
    started: dict[int, float] = {}
    appending = 0.0
    log = container.event_log
    original = log.append

    def timed_append(event: Any) -> Any:
        nonlocal appending
        t = time.perf_counter()
        try:
            return original(event)
        finally:
            appending += time.perf_counter() - t

    log.append = timed_append  # type: ignore[method-assign]
    try:
        for i in range(count):
            t = time.perf_counter()
            stored = container.publisher.publish(
                AgentProgress(
                    workflow_id=workflow_id,
                    agent="demand",
                    message=f"benchmark event {i + 1}",
                    progress_pct=min(99, i % 100),
                )
            )
            if stored is None:
                raise SystemExit("an event could not be appended")
            started[stored.sequence] = t
    finally:
        log.append = original  # type: ignore[method-assign]
    return started, appending


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--throughput-events", type=int, default=200)
    args = parser.parse_args()
    port = free_port()
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with LocalRuntime(seed=False, api_port=port, extra_environment=quiet) as runtime:
        runtime.serve_in_thread()
        container = build_container(get_settings())
        socket_url = runtime.environment["WEBSOCKET_URL"]
        credential = f"api_key={runtime.auth_headers['x-api-key']}"
        try:
            for name in ("latency", "throughput"):
                container.workflows.create(
                    workflow_id=name,
                    workflow_type=WorkflowType.FORECAST,
                    category_id="womens_dresses",
                    input={},
                )

            # warm-up: first boto3 calls, the first post, the handler import
            with Clients(f"{socket_url}?workflow_id=latency&{credential}", 1) as clients:
                started, _ = publish(container, "latency", 20)
                clients.wait_for(max(started))

                started, appending = publish(container, "latency", args.events)
                clients.wait_for(max(started))
                latencies = [clients.received[0][seq] - t for seq, t in started.items()]
            print(f"latency, 1 client, {len(latencies)} events published one after another:")
            print(
                f"    publish -> client receipt  p50 {ms(percentile(latencies, 50))}  "
                f"p99 {ms(percentile(latencies, 99))}  max {ms(max(latencies))}  "
                f"mean {ms(statistics.fmean(latencies))}"
            )
            print(f"    of which the event log append  mean {ms(appending / len(latencies))}")

            throughput_url = f"{socket_url}?workflow_id=throughput&{credential}"
            with Clients(throughput_url, args.clients) as clients:
                warm, _ = publish(container, "throughput", 5)
                clients.wait_for(max(warm))
                begin = time.perf_counter()
                started, _ = publish(container, "throughput", args.throughput_events)
                published = time.perf_counter()
                done = clients.wait_for(max(started))
                per_client = [
                    clients.received[c][seq] - t
                    for c in range(args.clients)
                    for seq, t in started.items()
                ]
            elapsed = done - begin
            count = len(started)
            print(f"throughput, {args.clients} clients on one workflow, {count} events:")
            print(
                f"    {count / elapsed:.1f} events/s, {count * args.clients / elapsed:.0f} "
                f"deliveries/s ({elapsed:.2f} s; publishing took {published - begin:.2f} s)"
            )
            print(
                f"    publish -> receipt per client  p50 {ms(percentile(per_client, 50))}  "
                f"p99 {ms(percentile(per_client, 99))}"
            )
        finally:
            # let the $disconnect invocations finish before the runtime goes away
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(
                container.connections.for_workflow(name) for name in ("latency", "throughput")
            ):
                time.sleep(0.05)


if __name__ == "__main__":
    main()
