"""Reliability of the local runtime against a hostile client, by category, over HTTP.

Starts `fashion-forecast serve` in a subprocess on a fresh temporary data dir (the bundled
sample data; benchmarks/local_throughput.py's `serve`), prepares one completed Zara season of
womens_dresses with an accepted week-1 upload, then runs each category twice, with 1 client and
with 10 concurrent clients (threads here, one keep-alive connection each), and prints one line
per category: cases tried, passed, anything stored by a refused request, and the p50/p99
latency of every request the pass made.

- bounds: hostile JSON (booleans, NaN/Infinity, 1e40, numeric strings incl. full-width digits,
  400-digit integers, dates outside 1990..2099, nesting 5000 deep, non-JSON, non-UTF-8,
  oversize with Content-Length and chunked) against every POST route, odd numbers and ids in
  query strings and paths: each a 4xx (400/404/409/413/422) in the error shape.
- csv: history, store and weekly files with full-width digits, 5000-digit cells, nan/inf/1_000,
  formula cells, week sums past 10^9 and bad encodings: each a 422 naming the row (and the
  column where a cell is at fault).
- races: simultaneous manual re-forecasts of one forecast (exactly one 201) and approvals of
  the re-plan it starts (exactly one 200).
- faults: a category whose history file was damaged behind the API's back (garbage, non-UTF-8,
  a wrong header, deleted): the workflow is accepted, the Demand agent fails it with a readable
  message, its event stream ends with that error, and no read is a 5xx.
- restart: an unfinished workflow, then SIGTERM and a new `serve` on the same data dir:
  everything listed before (workflows with their events, forecasts, allocations, the upload,
  categories, stores) reads back the same, the unfinished workflow failed "interrupted by
  restart".
- fuzzing: schemathesis (positive and negative cases, derandomised, --fuzz-examples per
  operation and mode) against the served /openapi.json: no 5xx, every 4xx in the error shape.
- concurrency: --workflows pre-season workflows started, then approved, by the pass's clients;
  all complete, each with its own events 1..n.

"Stored by a refused request": around every refused request the counts of workflows,
executions (Step Functions) and upload records and the data bucket's history, store and upload
objects (keys and ETags: categories and stores) are read from the runtime's moto; any change is
counted. With 10 clients the requests of bounds and csv (all refused) are checked as one batch,
and fuzzing (whose valid cases may store) is checked in its 1-client pass only. Exits 1 when a
case fails or anything was stored.

    .venv/bin/python benchmarks/reliability.py [--workflows 10] [--fuzz-examples 20]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import boto3
import httpx
from local_throughput import Served, serve  # benchmarks/ is on sys.path when run as a script

from fashion_forecast_local import sample_data
from fashion_forecast_local.demo import weekly_files

CATEGORY = "womens_dresses"
ZARA = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",
    "replenishment_strategy": "none",
    "dc_holdback_percentage": 0.0,
    "markdown_checkpoint_week": 6,
}
INTERRUPTED = "interrupted by restart"
UNFINISHED = {"pending", "running", "awaiting_approval"}
TERMINAL = {"completed", "failed", "cancelled"}
ERROR_KEYS = {"error_code", "message", "details", "request_id"}
CATEGORIES = ["bounds", "csv", "races", "faults", "restart", "fuzzing", "concurrency"]
PASSES = (1, 10)
ANY_ID = "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c"


class CaseFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CaseFailed(message)


# -- the runtime and its moto --------------------------------------------------------------------


@dataclass
class Fingerprint:
    workflows: int
    executions: int
    uploads: int
    objects: str  # digest of the history/, stores/ and uploads/ keys with their ETags


class Moto:
    """The served runtime's AWS (its moto endpoint), read directly."""

    def __init__(self, endpoint: str) -> None:
        def client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )

        self.ddb, self.s3, self.sfn = client("dynamodb"), client("s3"), client("stepfunctions")
        (self.table,) = self.ddb.list_tables()["TableNames"]
        (bucket,) = self.s3.list_buckets()["Buckets"]
        self.bucket = str(bucket["Name"])
        (machine,) = self.sfn.list_state_machines()["stateMachines"]
        self.machine = str(machine["stateMachineArn"])
        self._lock = threading.Lock()

    def fingerprint(self) -> Fingerprint:
        with self._lock:  # boto3 clients are thread-safe; this keeps the reads together
            counts = {"workflow": 0, "upload": 0}
            scan: dict[str, Any] = {
                "TableName": self.table,
                "FilterExpression": "entity IN (:w, :u)",
                "ProjectionExpression": "entity",
                "ExpressionAttributeValues": {":w": {"S": "workflow"}, ":u": {"S": "upload"}},
            }
            while True:
                page = self.ddb.scan(**scan)
                for item in page.get("Items", []):
                    counts[item["entity"]["S"]] += 1
                if "LastEvaluatedKey" not in page:
                    break
                scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            executions = 0
            for page in self.sfn.get_paginator("list_executions").paginate(
                stateMachineArn=self.machine
            ):
                executions += len(page["executions"])
            digest = hashlib.sha256()
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for obj in page.get("Contents", []):
                    if obj["Key"].startswith(("history/", "stores/", "uploads/")):
                        digest.update(f"{obj['Key']} {obj['ETag']}\n".encode())
            return Fingerprint(counts["workflow"], executions, counts["upload"], digest.hexdigest())

    def put(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)


# -- the clients ---------------------------------------------------------------------------------


class Api:
    """HTTP to the served API from any number of threads (one keep-alive connection each);
    every request's latency is kept in `latencies`."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base = base
        self.headers = headers  # the served runtime's API key
        self.latencies: list[float] = []
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.base, timeout=180, headers=self.headers)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        response = self._client().request(method, path, **kwargs)
        elapsed = time.perf_counter() - started
        with self._lock:
            self.latencies.append(elapsed)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def ok(self, path: str) -> Any:
        response = self.get(path)
        check(response.status_code == 200, f"GET {path}: {response.status_code} {response.text}")
        return response.json()

    def close(self) -> None:
        for client in self._clients:
            client.close()


def error_shape(response: httpx.Response) -> str | None:
    """Why the response is not a 4xx in the error shape, or None."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}: {response.text[:200]}"
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} not JSON: {response.text[:200]}"
    if not isinstance(body, dict) or not set(body) >= ERROR_KEYS:
        return f"{response.status_code} not the error shape: {response.text[:200]}"
    if not (
        isinstance(body["error_code"], str)
        and isinstance(body["message"], str)
        and body["message"]
        and isinstance(body["details"], list)
        and isinstance(body["request_id"], str)
    ):
        return f"{response.status_code} error shape with wrong types: {response.text[:200]}"
    return None


# -- tallies -------------------------------------------------------------------------------------


@dataclass
class Tally:
    tried: int = 0
    passed: int = 0
    stored: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: dict[int, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def outcome(self, name: str, failure: str | None, stored: int = 0) -> None:
        with self.lock:
            self.tried += 1
            self.stored += stored
            if failure is None:
                self.passed += 1
            else:
                self.failures.append(f"{name}: {failure}")
            if stored:
                self.failures.append(f"{name}: a refused request stored something")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class Case:
    """One request expected to be refused: `expect` statuses, optional extra check."""

    name: str
    method: str
    path: str
    kwargs: dict[str, Any]
    expect: frozenset[int]
    detail: tuple[int | None, str | None] | None = None  # (row, column) a detail must name
    # other rows accepted for it: a record whose quoted cell holds a line break is numbered by
    # the last line the CSV reader consumed (domain/sales_files.py uses reader.line_num)
    also_rows: tuple[int, ...] = ()
    code: str | None = None  # the error_code it must carry


def judge(case: Case, response: httpx.Response) -> str | None:
    if not case.expect and response.status_code < 400:
        return None
    if case.expect and response.status_code not in case.expect:
        return f"expected {sorted(case.expect)}, got {response.status_code}: {response.text[:300]}"
    problem = error_shape(response)
    if problem is not None:
        return problem
    body = response.json()
    if case.code is not None and body["error_code"] != case.code:
        return f"error_code {body['error_code']}, expected {case.code}: {response.text[:300]}"
    if case.detail is not None:
        row, column = case.detail
        named = [
            (d.get("row"), (d.get("column") or None) and str(d.get("column")).lower())
            for d in body["details"]
            if isinstance(d, dict)
        ]
        wanted = [(r, column.lower() if column else None) for r in (row, *case.also_rows)]
        if not any(w in named for w in wanted):
            return f"no detail naming row {row}, column {column}: {body['details'][:5]}"
    return None


def run_refused(ctx: Context, tally: Tally, cases: list[Case], clients: int) -> None:
    """Send the cases with `clients` threads; each must be refused as expected and store
    nothing (1 client: checked around each request; 10: around the whole batch)."""
    api = Api(ctx.served.base, ctx.served.headers)

    def one(case: Case) -> None:
        before = ctx.moto.fingerprint() if clients == 1 else None
        try:
            response = api.request(case.method, case.path, **case.kwargs)
        except httpx.HTTPError as exc:
            tally.outcome(case.name, f"transport error {exc!r}")
            return
        stored = 0
        if before is not None and response.status_code >= 400:
            stored = int(ctx.moto.fingerprint() != before)
        tally.outcome(case.name, judge(case, response), stored)

    batch_before = ctx.moto.fingerprint()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, cases))
    if clients > 1 and ctx.moto.fingerprint() != batch_before:
        tally.stored += 1
        tally.failures.append(f"a batch of {len(cases)} refused requests stored something")
    tally.latencies[clients] = api.latencies
    api.close()


# -- shared state --------------------------------------------------------------------------------


@dataclass
class Context:
    served: Served
    moto: Moto
    forecast_id: str = ""  # an in-season forecast of CATEGORY (order approved)
    upload_id: str = ""  # its accepted week-1 upload


def wait_status(api: Api, workflow_id: str, statuses: set[str], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        view = api.ok(f"/api/workflows/{workflow_id}")
        if view["status"] in statuses:
            return view
        check(
            view["status"] not in TERMINAL,
            f"{workflow_id} ended {view['status']}: {view['error_message']}",
        )
        check(time.monotonic() < deadline, f"{workflow_id} still {view['status']}")
        time.sleep(0.2)


def start_forecast(api: Api, category: str = CATEGORY) -> str:
    response = api.post(
        "/api/workflows/forecast", json={"category_id": category, "parameters": ZARA}
    )
    check(response.status_code == 201, f"start: {response.status_code} {response.text}")
    return str(response.json()["workflow_id"])


def approve(api: Api, workflow_id: str) -> httpx.Response:
    return api.post(
        "/api/approvals/manufacturing", json={"workflow_id": workflow_id, "action": "accept"}
    )


def prepare(ctx: Context) -> None:
    """A completed Zara season of CATEGORY and its accepted week-1 upload."""
    api = Api(ctx.served.base, ctx.served.headers)
    workflow_id = start_forecast(api)
    wait_status(api, workflow_id, {"awaiting_approval"}, 600)
    check(approve(api, workflow_id).status_code == 200, "approval of the prepared season")
    wait_status(api, workflow_id, {"completed"}, 300)
    ctx.forecast_id = api.ok(f"/api/workflows/{workflow_id}/results")["forecast_id"]
    response = api.post(
        "/api/data/upload-weekly-sales",
        data={"forecast_id": ctx.forecast_id, "week_number": "1"},
        files={"file": ("week-1.csv", weekly_files("normal")[1], "text/csv")},
    )
    check(response.status_code in {201, 202}, f"week 1: {response.status_code} {response.text}")
    body = response.json()
    deadline = time.monotonic() + 120
    while body["status"] not in {"accepted", "rejected"}:
        check(time.monotonic() < deadline, f"week 1 upload stayed {body['status']}")
        time.sleep(0.2)
        body = api.ok(body["status_url"])
    check(body["status"] == "accepted", f"week 1 upload {body}")
    ctx.upload_id = body["upload_id"]
    api.close()


# -- bounds --------------------------------------------------------------------------------------

JSON = {"content-type": "application/json"}
# route -> a valid body; (route, path to a number in it); (route, path to a date in it)
BODIES: dict[str, dict[str, Any]] = {
    "/api/workflows/forecast": {"category_id": "womens_outerwear", "parameters": dict(ZARA)},
    "/api/workflows/reforecast": {
        "forecast_id": ANY_ID,
        "actual_sales_week_1_to_n": [700, 820],
        "forecasted_week_1_to_n": [600.0, 640.0],
        "remaining_weeks": 10,
        "variance_pct": 0.2,
    },
    "/api/approvals/manufacturing": {
        "workflow_id": ANY_ID,
        "action": "modify",
        "safety_stock_pct": 0.3,
    },
    "/api/approvals/markdown": {"workflow_id": ANY_ID, "action": "modify", "markdown_pct": 0.1},
    "/api/data/upload-url": {"forecast_id": ANY_ID, "week_number": 3},
    "/api/agents/demand/forecast": {
        "history": [{"week_start": f"2024-01-{1 + 7 * i:02d}", "units": 10} for i in range(4)],
        "horizon_weeks": 4,
    },
    "/api/agents/inventory/allocate": {"season_demand": 8000, "safety_stock_pct": 0.2},
    "/api/agents/pricing/analyze": {
        "sold_to_date": 5500,
        "manufacturing_qty": 10000,
        "markdown_threshold": 0.6,
        "elasticity": 2.0,
    },
    "/api/parameters/extract": {"text": "12 weeks from March 3rd 2025", "today": "2025-02-01"},
}
NUMBERS: list[tuple[str, tuple[str | int, ...]]] = [
    ("/api/workflows/forecast", ("parameters", "forecast_horizon_weeks")),
    ("/api/workflows/forecast", ("parameters", "dc_holdback_percentage")),
    ("/api/workflows/forecast", ("parameters", "markdown_checkpoint_week")),
    ("/api/workflows/reforecast", ("actual_sales_week_1_to_n", 0)),
    ("/api/workflows/reforecast", ("forecasted_week_1_to_n", 1)),
    ("/api/workflows/reforecast", ("remaining_weeks",)),
    ("/api/workflows/reforecast", ("variance_pct",)),
    ("/api/approvals/manufacturing", ("safety_stock_pct",)),
    ("/api/approvals/markdown", ("markdown_pct",)),
    ("/api/data/upload-url", ("week_number",)),
    ("/api/agents/demand/forecast", ("history", 2, "units")),
    ("/api/agents/demand/forecast", ("horizon_weeks",)),
    ("/api/agents/inventory/allocate", ("season_demand",)),
    ("/api/agents/inventory/allocate", ("safety_stock_pct",)),
    ("/api/agents/pricing/analyze", ("sold_to_date",)),
    ("/api/agents/pricing/analyze", ("manufacturing_qty",)),
    ("/api/agents/pricing/analyze", ("elasticity",)),
]
HOSTILE_NUMBERS = {
    "true": "true",
    "false": "false",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "1e40": "1e40",
    "-1e40": "-1e40",
    "400 digits": "1" + "0" * 400,
    "numeric string": '"12"',
    "full-width string": '"\\uff11\\uff12"',
}
DATES: list[tuple[str, tuple[str | int, ...]]] = [
    ("/api/workflows/forecast", ("parameters", "season_start_date")),
    ("/api/agents/demand/forecast", ("history", 0, "week_start")),
    ("/api/parameters/extract", ("today",)),
]
HOSTILE_DATES = ["0001-01-01", "1989-12-31", "2100-01-04", "9999-12-27", "\uff12025-03-03"]
MARKER = "__HOSTILE__"
MULTIPART = [
    "/api/data/upload-historical-sales",
    "/api/data/upload-store-attributes",
    "/api/data/upload-weekly-sales",
]
REFUSED = frozenset({400, 413, 422})
ANY: frozenset[int] = frozenset()  # any status below 500 (and a 4xx in the error shape)


def with_token(route: str, path: tuple[str | int, ...], token: str) -> bytes:
    body = json.loads(json.dumps(BODIES[route]))
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = MARKER
    return json.dumps(body).replace(f'"{MARKER}"', token).encode()


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"text": "'
    for _ in range(total // size + 1):
        yield b"x" * size
    yield b'"}'


def bounds_cases() -> list[Case]:
    cases: list[Case] = []
    for route, path in NUMBERS:
        for name, token in HOSTILE_NUMBERS.items():
            body = with_token(route, path, token)
            label = f"POST {route} {'.'.join(map(str, path))}={name}"
            cases.append(Case(label, "POST", route, {"content": body, "headers": JSON}, REFUSED))
    for route, path in DATES:
        for day in HOSTILE_DATES:
            body = with_token(route, path, json.dumps(day))
            label = f"POST {route} {'.'.join(map(str, path))}={day}"
            cases.append(Case(label, "POST", route, {"content": body, "headers": JSON}, REFUSED))
    deep_list = b"[" * 5000 + b"]" * 5000
    deep_map = b'{"a":' * 5000 + b"1" + b"}" * 5000
    raw = {
        "nested 5000 deep (lists)": deep_list,
        "nested 5000 deep (objects)": deep_map,
        "not JSON": b"this is not json",
        "truncated JSON": b'{"category_id": "womens_dresses", "parameters": {',
        "non-UTF-8": b'{"text": "caf\xe9"}',
        "empty": b"",
        "a JSON string": b'"just a string"',
        "a huge array": b"[" + b"1," * 200_000 + b"1]",
    }
    invalid_json = {"not JSON", "truncated JSON", "non-UTF-8"}  # 400 invalid_json, as documented
    for route in BODIES:
        for name, content in raw.items():
            cases.append(
                Case(
                    f"POST {route} {name}",
                    "POST",
                    route,
                    {"content": content, "headers": JSON},
                    frozenset({400}) if name in invalid_json else REFUSED,
                    code="invalid_json" if name in invalid_json else None,
                )
            )
        # UTF-16 JSON (RFC 8259 wants UTF-8; Python's json reads UTF-16 too): any answer but a
        # 5xx, a refusal in the error shape
        utf16 = '{"text": "12 weeks from March"}'.encode("utf-16")
        cases.append(
            Case(f"POST {route} UTF-16", "POST", route, {"content": utf16, "headers": JSON}, ANY)
        )
        big = b'{"text": "' + b"x" * (1024 * 1024 + 16) + b'"}'
        cases.append(
            Case(
                f"POST {route} oversize with Content-Length",
                "POST",
                route,
                {"content": big, "headers": JSON},
                frozenset({413}),
                code="payload_too_large",
            )
        )
        cases.append(
            Case(
                f"POST {route} oversize chunked",
                "POST",
                route,
                {"content": chunks(1024 * 1024 + 16), "headers": JSON},
                frozenset({413}),
                code="payload_too_large",
            )
        )
    for route in MULTIPART:
        huge = b"date,store_id,category,quantity_sold\n" + b"x" * (11 * 1024 * 1024)
        cases += [
            Case(
                f"POST {route} oversize file with Content-Length",
                "POST",
                route,
                {"files": {"file": ("big.csv", huge, "text/csv")}},
                frozenset({413}),
            ),
            Case(
                f"POST {route} JSON instead of a form",
                "POST",
                route,
                {"json": {"file": "x"}},
                REFUSED,
            ),
            Case(f"POST {route} no file", "POST", route, {"data": {"other": "x"}}, REFUSED),
            Case(
                f"POST {route} broken multipart",
                "POST",
                route,
                {
                    "content": b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nx',
                    "headers": {"content-type": "multipart/form-data; boundary=b"},
                },
                REFUSED,
            ),
        ]
    for route in ("/api/workflows", "/api/forecasts"):
        for value in [
            "true",
            "1e3",
            "%EF%BC%91%EF%BC%92",
            "9" * 5000,
            "-1",
            "0",
            "101",
            "NaN",
            "inf",
            "0x10",
            "",
            "%00",
            "1" + "0" * 400,
        ]:
            cases.append(
                Case(
                    f"GET {route}?limit={value[:20]}", "GET", f"{route}?limit={value}", {}, REFUSED
                )
            )
        cases.append(
            Case(f"GET {route}?cursor=garbage", "GET", f"{route}?cursor=%%%garbage", {}, REFUSED)
        )
    events = f"/api/workflows/{ANY_ID}/events"
    for query in [
        "since=-1",
        "since=1e3",
        "since=true",
        "limit=0",
        "limit=1001",
        "limit=" + "9" * 400,
    ]:
        cases.append(Case(f"GET events?{query[:20]}", "GET", f"{events}?{query}", {}, REFUSED))
    cases.append(
        Case(
            "GET events?since=400 digits",
            "GET",
            f"{events}?since={'9' * 400}",
            {},
            frozenset({404, 422}),
        )
    )
    for url in [
        "/api/workflows/" + "a" * 5000,
        "/api/workflows/%EF%BC%91",
        "/api/workflows/..%2F..%2Fetc",
        "/api/forecasts/" + "f" * 100,
        "/api/data/uploads/x/%00",
        f"/api/variance/{ANY_ID}/week/" + "9" * 400,
        f"/api/variance/{ANY_ID}/week/%EF%BC%91",
    ]:
        cases.append(Case(f"GET {url[:40]}", "GET", url, {}, frozenset({404, 422})))
    for url in ["/api/workflows/" + "a" * 500 + "/cancel", f"/api/workflows/{ANY_ID}/cancel"]:
        cases.append(Case(f"POST {url[:40]}", "POST", url, {}, frozenset({404, 422})))
    return cases


def run_bounds(ctx: Context, tally: Tally, clients: int) -> None:
    run_refused(ctx, tally, bounds_cases(), clients)


# -- csv -----------------------------------------------------------------------------------------

HISTORY_HEADER = "date,store_id,category,quantity_sold,revenue"
HISTORY_ROWS = [
    ["2025-01-06", "S001", "csv_probe", "5", "10.0"],
    ["2025-01-06", "S002", "csv_probe", "6", "12.0"],
    ["2025-01-13", "S001", "csv_probe", "7", "14.0"],
]
STORE_HEADER = (
    "store_id,store_name,region,store_size_sqft,median_income,location_tier,fashion_tier,"
    "store_format"
)
STORE_ROWS = [
    ["S001", "Alpha", "West", "1000", "50000", "A", "Premium", "Mall"],
    ["S002", "Beta", "West", "1200", "60000", "B", "Mainstream", "Outlet"],
    ["S003", "Gamma", "Midwest", "900", "40000", "C", "Value", "Standalone"],
]
WEEKLY_HEADER = "store_id,week_number,units_sold"
WEEKLY_ROWS = [[f"S{i:03d}", "2", "20"] for i in range(1, 51)]
HOSTILE_NUMBER_CELLS = ["\uff11\uff12", "9" * 5000, "nan", "inf", "-inf", "NaN", "1_000", "0x10"]


def csv_cell(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_file(
    header: str, rows: list[list[str]], row: int = 0, column: str = "", value: str = ""
) -> bytes:
    """The file with the cell at spreadsheet row `row` (header = 1), `column` set to value."""
    names = header.split(",")
    lines = [header]
    for n, cells in enumerate(rows, start=2):
        cells = list(cells)
        if n == row:
            cells[names.index(column)] = value
        lines.append(",".join(csv_cell(c) for c in cells))
    return ("\n".join(lines) + "\n").encode()


def csv_cases(ctx: Context) -> list[Case]:
    history = "/api/data/upload-historical-sales"
    stores = "/api/data/upload-store-attributes"
    weekly = "/api/data/upload-weekly-sales"
    invalid = frozenset({422})
    cases: list[Case] = []

    def upload(
        path: str,
        name: str,
        data: bytes,
        detail: tuple[int | None, str | None] | None,
        code: str | None = None,
        also_rows: tuple[int, ...] = (),
    ) -> None:
        form = {"forecast_id": ctx.forecast_id, "week_number": "2"} if path == weekly else {}
        cases.append(
            Case(
                f"{path.rsplit('-', 1)[-1]}: {name}",
                "POST",
                path,
                {"files": {"file": ("f.csv", data, "text/csv")}, "data": form},
                invalid,
                detail=detail,
                code=code,
                also_rows=also_rows,
            )
        )

    for column in ("quantity_sold", "revenue"):
        for value in [*HOSTILE_NUMBER_CELLS, "-1", "1e400"]:
            data = csv_file(HISTORY_HEADER, HISTORY_ROWS, 3, column, value)
            upload(history, f"{column}={value[:12]}", data, (3, column))
    for value in [
        "\uff12\uff10\uff12\uff15-01-06",
        "1989-12-25",
        "2100-01-04",
        "9" * 5000,
        "2025-02-30",
        "06/01/2025",
    ]:
        upload(
            history,
            f"date={value[:12]}",
            csv_file(HISTORY_HEADER, HISTORY_ROWS, 3, "date", value),
            (3, "date"),
        )
    for column in ("store_id", "category"):
        for value in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r@x", "x" * 70, "a b"]:
            data = csv_file(HISTORY_HEADER, HISTORY_ROWS, 3, column, value)
            spans = (4,) if "\r" in value else ()  # a quoted CR: the record spans 2 lines
            upload(history, f"{column}={value[:12]!r}", data, (3, column), also_rows=spans)
    over = [
        ["2025-01-06", "S001", "csv_probe", "600000000", ""],
        ["2025-01-06", "S002", "csv_probe", "600000000", ""],
    ]
    upload(
        history, "a week summing past 10^9", csv_file(HISTORY_HEADER, over), (2, "quantity_sold")
    )
    text = csv_file(HISTORY_HEADER, HISTORY_ROWS).decode()
    upload(
        history,
        "latin-1",
        text.replace("csv_probe,7", "caf\u00e9,7").encode("latin-1"),
        (4, None),
        "invalid_encoding",
    )
    upload(history, "UTF-16", text.encode("utf-16"), (1, None), "invalid_encoding")
    upload(
        history, "NUL byte", text.replace("S002", "S0\x002").encode(), (3, None), "invalid_encoding"
    )

    for column in ("store_name", "region"):
        for value in ['=HYPERLINK("http://x")', "+1", "-1", "@cmd", "\t=1+1", "\r+1", " =1"]:
            data = csv_file(STORE_HEADER, STORE_ROWS, 3, column, value)
            spans = (4,) if "\r" in value else ()
            upload(stores, f"{column}={value[:12]!r}", data, (3, column), also_rows=spans)
    for column in ("store_size_sqft", "median_income"):
        for value in [*HOSTILE_NUMBER_CELLS, "0", "-5", "1e400"]:
            data = csv_file(STORE_HEADER, STORE_ROWS, 3, column, value)
            upload(stores, f"{column}={value[:12]}", data, (3, column))
    upload(
        stores,
        "store_size_sqft=12.5",
        csv_file(STORE_HEADER, STORE_ROWS, 3, "store_size_sqft", "12.5"),
        (3, "store_size_sqft"),
    )
    stores_text = csv_file(STORE_HEADER, STORE_ROWS).decode()
    upload(
        stores,
        "latin-1",
        stores_text.replace("Beta", "B\u00e9ta").encode("latin-1"),
        (3, None),
        "invalid_encoding",
    )

    for value in [*HOSTILE_NUMBER_CELLS, "-1", "1.5", "1000000001"]:
        data = csv_file(WEEKLY_HEADER, WEEKLY_ROWS, 3, "units_sold", value)
        upload(weekly, f"units_sold={value[:12]}", data, (3, "units_sold"))
    for value in ["\uff12", "9" * 5000, "0", "13", "3", "nan"]:
        data = csv_file(WEEKLY_HEADER, WEEKLY_ROWS, 3, "week_number", value)
        upload(weekly, f"week_number={value[:12]}", data, (3, "week_number"))
    for value in ["=S002", "S999", "@S002"]:
        upload(
            weekly,
            f"store_id={value}",
            csv_file(WEEKLY_HEADER, WEEKLY_ROWS, 3, "store_id", value),
            (3, "store_id"),
        )
    heavy = [[f"S{i:03d}", "2", "30000000"] for i in range(1, 51)]
    upload(weekly, "a week summing past 10^9", csv_file(WEEKLY_HEADER, heavy), (35, "units_sold"))
    weekly_text = csv_file(WEEKLY_HEADER, WEEKLY_ROWS).decode()
    upload(
        weekly,
        "latin-1",
        weekly_text.replace("S004,2,20", "S004,2,2\u00b2").encode("latin-1"),
        (5, None),
        "invalid_encoding",
    )
    return cases


def run_csv(ctx: Context, tally: Tally, clients: int) -> None:
    api = Api(ctx.served.base, ctx.served.headers)
    before = (api.ok("/api/categories"), api.ok("/api/stores"))
    run_refused(ctx, tally, csv_cases(ctx), clients)
    after = (api.ok("/api/categories"), api.ok("/api/stores"))
    if after != before:
        tally.stored += 1
        tally.failures.append("csv: /api/categories or /api/stores changed")
        if after[1] != before[1]:  # put the bundled stores back, for the categories after this
            bundled = sample_data.sample_file("store_attributes.csv").read_bytes()
            api.post(
                "/api/data/upload-store-attributes",
                files={"file": ("stores.csv", bundled, "text/csv")},
            )
    api.close()


# -- races ---------------------------------------------------------------------------------------


def at_once(calls: list[Callable[[], httpx.Response]], clients: int) -> list[httpx.Response]:
    """The calls with `clients` threads, released together (1: one after another)."""
    if clients == 1:
        return [call() for call in calls]
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


RACE_ROUNDS = [0]  # re-plans so far: each asks for more than the last, so it needs approval


def run_races(ctx: Context, tally: Tally, clients: int, rounds: int = 2) -> None:
    api = Api(ctx.served.base, ctx.served.headers)
    for round_ in range(1, rounds + 1):
        RACE_ROUNDS[0] += 1
        units = 9000 * 2 ** (RACE_ROUNDS[0] - 1)  # the season selling ever faster
        body = {  # the plan and the variance are the product's to compute
            "forecast_id": ctx.forecast_id,
            "actual_sales_week_1_to_n": [units, units],
            "remaining_weeks": 10,
        }
        name = f"{clients} client(s), round {round_}"
        before = ctx.moto.fingerprint()
        responses = at_once(
            [functools.partial(api.post, "/api/workflows/reforecast", json=body)] * 10, clients
        )
        codes = sorted(r.status_code for r in responses)
        won = [r for r in responses if r.status_code == 201]
        failure = None
        if codes != [201] + [409] * 9:
            failure = f"re-forecasts answered {codes}"
        elif any(error_shape(r) for r in responses if r.status_code == 409):
            failure = "a refused re-forecast is not in the error shape"
        elif {r.json()["error_code"] for r in responses if r.status_code == 409} != {
            "replan_in_progress"
        }:
            failure = "a refused re-forecast is not replan_in_progress"
        after = ctx.moto.fingerprint()
        stored = int(
            (after.workflows - before.workflows, after.executions - before.executions)
            != (len(won), len(won))
        )
        tally.outcome(f"re-forecast race, {name}", failure, stored)
        if len(won) != 1:
            continue
        workflow_id = str(won[0].json()["workflow_id"])
        try:
            view = wait_status(api, workflow_id, {"awaiting_approval", "completed"}, 600)
        except CaseFailed as exc:
            tally.outcome(f"approval race, {name}", f"the re-forecast never asked: {exc}")
            continue
        if view["status"] == "completed":
            tally.outcome(f"approval race, {name}", "the re-plan needed no approval")
            continue
        before = ctx.moto.fingerprint()
        decided = at_once([functools.partial(approve, api, workflow_id)] * 10, clients)
        codes = sorted(r.status_code for r in decided)
        failure = None if codes == [200] + [409] * 9 else f"approvals answered {codes}"
        if failure is None and any(error_shape(r) for r in decided if r.status_code == 409):
            failure = "a refused approval is not in the error shape"
        try:
            wait_status(api, workflow_id, {"completed"}, 300)
            output = api.ok(f"/api/workflows/{workflow_id}/results")["output_data"]
            if failure is None and not output.get("extra_order_qty"):
                failure = f"completed without its extra order: {output}"
        except CaseFailed as exc:
            failure = failure or str(exc)
        after = ctx.moto.fingerprint()
        stored = int((after.workflows, after.executions) != (before.workflows, before.executions))
        tally.outcome(f"approval race, {name}", failure, stored)
    tally.latencies[clients] = api.latencies
    api.close()


# -- faults --------------------------------------------------------------------------------------

FAULTS: dict[str, bytes | None] = {
    "garbage": b"this is not a history file \x01\x02\n,,,\n",
    "non-UTF-8": b"\xff\xfe\x00\x00garbage",
    "wrong header": b"a,b,c\n1,2,3\n",
    "deleted": None,
}


def fault_history(categories: list[str]) -> bytes:
    """30 weeks (to the week of 2025-02-24) of two stores for each category."""
    lines = ["date,store_id,category,quantity_sold"]
    last = dt.date(2025, 2, 24)
    for category in categories:
        for week in range(30):
            day = (last - dt.timedelta(weeks=week)).isoformat()
            lines += [f"{day},S001,{category},{10 + week}", f"{day},S002,{category},{12 + week}"]
    return ("\n".join(lines) + "\n").encode()


def run_faults(ctx: Context, tally: Tally, clients: int) -> None:
    api = Api(ctx.served.base, ctx.served.headers)
    categories = {name: f"fault_{clients}_{i}" for i, name in enumerate(FAULTS)}
    response = api.post(
        "/api/data/upload-historical-sales",
        files={"file": ("faults.csv", fault_history(list(categories.values())), "text/csv")},
    )
    check(response.status_code == 201, f"fault histories: {response.status_code} {response.text}")

    def one(name: str) -> None:
        category = categories[name]
        key = f"history/weekly/{category}.csv"
        damage = FAULTS[name]
        if damage is None:
            ctx.moto.delete(key)
        else:
            ctx.moto.put(key, damage)
        try:
            workflow_id = start_forecast(api, category)
            view = wait_status(api, workflow_id, {"failed"}, 300)
            message = view["error_message"] or ""
            check(bool(message), "failed without a message")
            check(len(message) <= 500, f"a {len(message)}-character message")
            check("Traceback" not in message and 'File "' not in message, f"a traceback: {message}")
            check(
                category in message or "history" in message,
                f"says nothing of the history: {message}",
            )
            results = api.get(f"/api/workflows/{workflow_id}/results")
            check(results.status_code == 409, f"results: {results.status_code} {results.text}")
            events = api.ok(f"/api/workflows/{workflow_id}/events?limit=1000")["events"]
            check(events and events[-1]["type"] == "error", f"events end {events[-1:]}")
            check(events[-1].get("error_message") == message, f"error event {events[-1]}")
            for path in (
                f"/api/workflows/{workflow_id}",
                "/api/workflows?status=failed",
                "/api/categories",
            ):
                check(api.get(path).status_code == 200, f"GET {path} after the fault")
            tally.outcome(f"{name} history, {clients} client(s)", None)
            if clients == 1:
                print(f"  (faults: {name} history -> {message})", file=sys.stderr, flush=True)
        except CaseFailed as exc:
            tally.outcome(f"{name} history, {clients} client(s)", str(exc))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, FAULTS))
    tally.latencies[clients] = api.latencies
    api.close()


# -- concurrency ---------------------------------------------------------------------------------


def all_events(api: Api, workflow_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    since = 0
    while True:
        page = api.ok(f"/api/workflows/{workflow_id}/events?since={since}&limit=100")
        events += page["events"]
        since = page["last_sequence"]
        if not page["has_more"]:
            return events


def run_concurrency(ctx: Context, tally: Tally, clients: int, workflows: int) -> None:
    api = Api(ctx.served.base, ctx.served.headers)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        ids = list(pool.map(lambda _: start_forecast(api), range(workflows)))

        def until(status: str, timeout: float) -> Callable[[str], str | None]:
            def wait(workflow_id: str) -> str | None:
                try:
                    wait_status(api, workflow_id, {status}, timeout)
                    return None
                except CaseFailed as exc:
                    return str(exc)

            return wait

        problems = dict(
            zip(ids, pool.map(until("awaiting_approval", 60.0 * workflows), ids), strict=True)
        )
        decisions = list(
            pool.map(lambda w: approve(api, w), [w for w in ids if problems[w] is None])
        )
        for response in decisions:
            if response.status_code != 200:
                tally.failures.append(f"approval: {response.status_code} {response.text[:200]}")
        waiting = [w for w in ids if problems[w] is None]
        problems.update(
            zip(waiting, pool.map(until("completed", 300.0 + 10 * workflows), waiting), strict=True)
        )
    for workflow_id in ids:
        failure = problems[workflow_id]
        if failure is None:
            # workflow_complete is appended just after the status says completed
            deadline = time.monotonic() + 30
            events = all_events(api, workflow_id)
            while events[-1:] and events[-1]["type"] != "workflow_complete":
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
                events = all_events(api, workflow_id)
            sequences = [e["sequence"] for e in events]
            if sequences != list(range(1, len(events) + 1)):
                failure = f"sequences {sequences}"
            elif any(e["workflow_id"] != workflow_id for e in events):
                failure = "another workflow's event"
            elif [e["type"] for e in events].count("workflow_complete") != 1:
                failure = f"events {[e['type'] for e in events]}"
        tally.outcome(f"workflow {workflow_id}, {clients} client(s)", failure)
    tally.latencies[clients] = api.latencies
    api.close()


# -- restart -------------------------------------------------------------------------------------


def listed(api: Api, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.ok(f"{path}?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def views(api: Api, ctx: Context, clients: int) -> dict[str, Any]:
    """Everything a client can list, read with `clients` threads."""
    paths = ["/api/categories", "/api/stores", "/api/stores/clusters"]
    paths.append(f"/api/data/uploads/{ctx.forecast_id}/{ctx.upload_id}")
    paths.append(f"/api/variance/{ctx.forecast_id}")
    for workflow in listed(api, "/api/workflows"):
        paths += [f"/api/workflows/{workflow['workflow_id']}"]
        paths += [f"/api/workflows/{workflow['workflow_id']}/events?limit=1000"]
    for forecast in listed(api, "/api/forecasts"):
        paths += [f"/api/forecasts/{forecast['forecast_id']}"]
        paths += [f"/api/allocations/{forecast['forecast_id']}"]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        bodies = list(pool.map(lambda p: api.get(p), paths))
    return {p: (r.status_code, r.json()) for p, r in zip(paths, bodies, strict=True)}


def run_restart(ctx: Context, tally: Tally, clients: int, restart: Callable[[], None]) -> None:
    api = Api(ctx.served.base, ctx.served.headers)
    unfinished = start_forecast(api)
    wait_status(api, unfinished, {"awaiting_approval"}, 600)
    before = views(api, ctx, clients)
    # the interrupted workflow's own forecast and order: its proposal now reads rejected
    own = {
        path.rsplit("/", 1)[1]
        for path, (status, body) in before.items()
        if path.startswith("/api/forecasts/")
        and status == 200
        and isinstance(body, dict)
        and body.get("workflow_id") == unfinished
    }
    own_paths = {p for f in own for p in (f"/api/forecasts/{f}", f"/api/allocations/{f}")}
    api.close()
    restart()
    api = Api(ctx.served.base, ctx.served.headers)
    after = views(api, ctx, clients)
    for path, (status, body) in before.items():
        got = after.get(path)
        failure = None
        workflow = path.startswith("/api/workflows/") and not path.endswith("limit=1000")
        if got is None:
            failure = "missing after the restart"
        elif path in own_paths:
            if got[0] != 200 or '"rejected"' not in json.dumps(got[1]):
                failure = f"the interrupted proposal does not read rejected: {got[0]}"
        elif workflow and body["status"] in UNFINISHED:
            view = got[1]
            if (view["status"], view["error_message"]) != ("failed", INTERRUPTED):
                failure = f"unfinished workflow now {view['status']}: {view['error_message']}"
        elif path.endswith("/events?limit=1000") and status == 200:
            workflow_id = path.split("/")[3]
            was = before[f"/api/workflows/{workflow_id}"][1]["status"]
            events = got[1]["events"]
            if was in UNFINISHED:
                if events[:-1] != body["events"] or events[-1]["type"] != "error":
                    failure = f"events of the interrupted workflow: {events[-2:]}"
            elif got != (status, body):
                failure = "events changed"
        elif got != (status, body):
            failure = f"changed: {json.dumps(body)[:200]} -> {json.dumps(got[1])[:200]}"
        tally.outcome(f"{path[:60]}, {clients} client(s)", failure)
    before_late = ctx.moto.fingerprint()
    late = approve(api, unfinished)
    tally.outcome(
        f"late approval of the interrupted workflow, {clients} client(s)",
        None if late.status_code == 410 else f"{late.status_code} {late.text[:200]}",
        int(ctx.moto.fingerprint() != before_late),
    )
    tally.latencies[clients] = api.latencies
    api.close()


# -- fuzzing -------------------------------------------------------------------------------------


FUZZED_OPERATIONS = [0]


def fuzz_cases(base: str, examples: int) -> list[Any]:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.core.result import Ok

    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    cases: list[Any] = []
    FUZZED_OPERATIONS[0] = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise SystemExit(
                f"the served OpenAPI has an operation schemathesis cannot use: {result}"
            )
        operation = result.ok()
        FUZZED_OPERATIONS[0] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def collect(case: Any) -> None:
                cases.append(case)

            with contextlib.suppress(Exception):  # an operation with no negative cases
                collect()
    return cases


def run_fuzzing(ctx: Context, tally: Tally, clients: int, cases: list[Any]) -> None:
    import requests

    local = threading.local()
    latencies: list[float] = []
    lock = threading.Lock()

    def one(case: Any) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers.update(ctx.served.headers)
        label = f"{case.operation.label} {clients} client(s)"
        before = ctx.moto.fingerprint() if clients == 1 else None
        started = time.perf_counter()
        try:
            response = case.call(base_url=ctx.served.base, session=session, timeout=180)
        except Exception as exc:
            tally.outcome(label, f"transport error {exc!r}")
            return
        with lock:
            latencies.append(time.perf_counter() - started)
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        failure = None
        if response.status_code >= 500:
            failure = (
                f"{response.status_code}: {response.text[:200]} ({case.as_curl_command()[:300]})"
            )
        elif response.status_code >= 400:
            body: Any = None
            with contextlib.suppress(ValueError):
                body = response.json()
            if not isinstance(body, dict) or not set(body) >= ERROR_KEYS:
                failure = f"{response.status_code} not the error shape: {response.text[:200]}"
        stored = 0
        if before is not None and response.status_code >= 400:
            stored = int(ctx.moto.fingerprint() != before)
        tally.outcome(label, failure, stored)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, cases))
    tally.latencies[clients] = latencies


# -- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflows", type=int, default=10, help="concurrency: per pass")
    parser.add_argument("--fuzz-examples", type=int, default=20, help="per operation and mode")
    parser.add_argument("--only", default=",".join(CATEGORIES), help="categories to run")
    args = parser.parse_args()
    wanted = args.only.split(",")
    tallies = {name: Tally() for name in CATEGORIES}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="reliability-") as scratch:
        data_dir = Path(scratch)
        stack = contextlib.ExitStack()
        served = stack.enter_context(serve(data_dir))
        ctx = Context(served, Moto(served.moto))

        def restart() -> None:
            stack.close()  # SIGTERM: the drain and the last snapshot
            exit_code = ctx.served.process.returncode
            check(exit_code == 0, f"serve exited {exit_code}")
            ctx.served = stack.enter_context(serve(data_dir))
            ctx.moto = Moto(ctx.served.moto)
            check(any("restored from" in line for line in ctx.served.output), "not restored")

        try:
            print(
                f"serve on {served.base}, fresh data dir {data_dir}, {os.cpu_count()} CPUs",
                flush=True,
            )
            prepare(ctx)
            runners: dict[str, Callable[[Tally, int], None]] = {
                "bounds": lambda t, n: run_bounds(ctx, t, n),
                "csv": lambda t, n: run_csv(ctx, t, n),
                "races": lambda t, n: run_races(ctx, t, n),
                "faults": lambda t, n: run_faults(ctx, t, n),
                "concurrency": lambda t, n: run_concurrency(ctx, t, n, args.workflows),
                "restart": lambda t, n: run_restart(ctx, t, n, restart),
            }
            order = ["bounds", "csv", "races", "faults", "concurrency", "restart", "fuzzing"]
            for name in order:
                if name not in wanted:
                    continue
                began = time.monotonic()
                if name == "fuzzing":
                    cases = fuzz_cases(ctx.served.base, args.fuzz_examples)
                    for clients in PASSES:
                        run_fuzzing(ctx, tallies[name], clients, cases)
                else:
                    for clients in PASSES:
                        try:
                            runners[name](tallies[name], clients)
                        except Exception as exc:  # a defect here fails the category, not the run
                            tallies[name].outcome(f"{name}, {clients} client(s)", repr(exc))
                print(f"  ({name}: {time.monotonic() - began:.0f} s)", file=sys.stderr, flush=True)
        finally:
            stack.close()

    print(
        f"{'category':<12} {'cases':>6} {'passed':>6} {'stored':>6}   "
        f"{'1 client p50 / p99 ms':>22}   {'10 clients p50 / p99 ms':>24}"
    )
    failed = False
    for name in CATEGORIES:
        tally = tallies[name]
        if name not in wanted:
            continue
        one = tally.latencies.get(1, [])
        ten = tally.latencies.get(10, [])
        print(
            f"{name:<12} {tally.tried:>6} {tally.passed:>6} {tally.stored:>6}   "
            f"{quantile(one, 0.5):>9.1f} / {quantile(one, 0.99):>8.1f}   "
            f"{quantile(ten, 0.5):>11.1f} / {quantile(ten, 0.99):>8.1f}"
        )
        failed = failed or tally.passed != tally.tried or tally.stored > 0
    if tallies["fuzzing"].statuses:
        answered = ", ".join(f"{n} x {c}" for c, n in sorted(tallies["fuzzing"].statuses.items()))
        print(f"fuzzing: {FUZZED_OPERATIONS[0]} operations; answers {answered}")
    print(f"total {time.monotonic() - started:.0f} s; {'FAIL' if failed else 'PASS'}")
    for name in CATEGORIES:
        for failure in tallies[name].failures[:15]:
            print(f"  {name}: {failure}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
