"""Requests per second of the local runtime (`fashion-forecast serve`) with 1 and 10 clients.

`serve` runs in a subprocess on a free port and a fresh temporary data dir (the bundled sample
data), so the clients here do not share its interpreter; 30 workflow rows are written to its
DynamoDB (moto) first, so a listing returns a full page of 20. Each client is a thread of this
process with one keep-alive HTTP/1.1 connection (http.client: little client-side work), sending
one request after another for `--seconds` per case; `serve CPU` is the CPU time serve's process
used meanwhile per second of wall time (1.00 = one core busy). Cases: GET /api/health (no AWS call),
GET /api/health/ready (DescribeTable and DescribeStateMachine), GET /api/workflows?limit=20 (a
GSI query and 20 rows shaped, then a probe for more), GET /api/workflows/{id} (one GetItem),
GET /api/categories (an S3 listing and one summary object per category).

    .venv/bin/python benchmarks/local_throughput.py [--seconds 4] [--clients 1,10]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx

from fashion_forecast.adapters.workflow_store import WorkflowStore
from fashion_forecast.models.workflows import WorkflowType
from fashion_forecast_local.runtime import free_port

PATHS = [
    "/api/health",
    "/api/health/ready",
    "/api/workflows?limit=20",
    "/api/workflows/{workflow}",
    "/api/categories",
]
ROWS = 30


@dataclass
class Served:
    base: str
    port: int
    moto: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    output: list[str] = field(default_factory=list)
    api_key: str = ""  # FF_API_KEY of the served runtime

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}


@contextmanager
def serve(data_dir: Path | None = None, timeout: float = 120) -> Iterator[Served]:
    """`fashion-forecast serve --log-level warning` in a subprocess (no access line per request);
    stopped with SIGTERM (its drain and last snapshot) when the context ends."""
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as scratch:
        where = data_dir or Path(scratch)
        port = free_port()
        api_key = secrets.token_urlsafe(24)
        env = dict(
            os.environ, AWS_EC2_METADATA_DISABLED="true", PYTHONUNBUFFERED="1", FF_API_KEY=api_key
        )
        command = [sys.executable, "-m", "fashion_forecast_local.cli", "serve"]
        command += ["--port", str(port), "--data-dir", str(where), "--log-level", "warning"]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        output: list[str] = []
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(
            target=lambda: output.extend(line.decode(errors="replace") for line in stream),
            daemon=True,
        ).start()
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("serve did not come up:\n" + "".join(output))
                time.sleep(0.2)
            banner = next(line for line in output if "AWS services (moto) on" in line)
            moto = re.search(r"\(moto\) on (http://\S+)", banner)
            assert moto is not None, banner
            yield Served(base, port, moto.group(1), process, where, output, api_key)
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def seed_workflows(moto: str, rows: int) -> list[str]:
    """`rows` pending workflow rows, written through the product's adapter to serve's moto."""
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=moto,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    store = WorkflowStore("DataTable", ddb)
    ids = [str(uuid.uuid4()) for _ in range(rows)]
    for workflow_id in ids:
        store.create(
            workflow_id=workflow_id,
            workflow_type=WorkflowType.FORECAST,
            category_id="womens_dresses",
            input={"category_id": "womens_dresses", "parameters": {"forecast_horizon_weeks": 12}},
        )
    return ids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def load(port: int, path: str, clients: int, seconds: float, headers: dict[str, str]) -> Result:
    """`clients` threads, each on its own keep-alive connection, for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "GET", path, headers=headers
        )  # connect and warm up outside the measured window
        connection.getresponse().read()
        barrier.wait()
        while True:
            started = time.perf_counter()
            if started >= stop_at[0]:
                break
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies[i].append(time.perf_counter() - started)
            statuses[i][response.status] = statuses[i].get(response.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600
    barrier.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    merged: dict[int, int] = {}
    for counted in statuses:
        for code, n in counted.items():
            merged[code] = merged.get(code, 0) + n
    flat = [x for per_client in latencies for x in per_client]
    return Result(len(flat), elapsed, flat, merged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", default="1,10")
    parser.add_argument("--paths", default=",".join(PATHS))
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    with serve() as served:
        ids = seed_workflows(served.moto, ROWS)
        print(f"serve on {served.base}, {os.cpu_count()} CPUs, {args.seconds:g} s per case")
        for template in args.paths.split(","):
            path = template.format(workflow=ids[0])
            for clients in counts:
                cpu = cpu_seconds(served.process.pid)
                result = load(served.port, path, clients, args.seconds, served.headers)
                cores = (cpu_seconds(served.process.pid) - cpu) / result.seconds
                codes = ",".join(f"{c}x{n}" for c, n in sorted(result.statuses.items()))
                print(
                    f"GET {template:<26} {clients:>2} client(s) {result.rate:7.1f} req/s  "
                    f"p50 {result.quantile(0.5):6.1f} ms  p99 {result.quantile(0.99):6.1f} ms"
                    f"  mean {statistics.fmean(result.latencies) * 1000:6.1f} ms"
                    f"  serve CPU {cores:4.2f} cores  [{codes}]"
                )


if __name__ == "__main__":
    main()
