"""AWS calls per accepted weekly sales upload, on the API path (POST
/api/data/upload-weekly-sales) and in the variance Lambda it triggers.

In the local runtime (moto server, the bucket notification from template.yaml, the variance
Lambda in-process), a 50-store week-1 file within the threshold is uploaded for a fresh
forecast (a flat 1,000-unit weekly curve whose order is approved, stored directly as
benchmarks/variance_latency.py does); every botocore call made during the request is counted,
split by who made it (the API or the Lambda) and by operation. Reads: GetItem, Query,
GetObject, ListObjectsV2; writes: PutItem, UpdateItem, PutObject. Counts are deterministic
(moto delivers the notification inside the PUT, so the API's first poll finds the result).

    .venv/bin/python benchmarks/upload_io.py [--runs 5]
"""

from __future__ import annotations

import argparse
import collections
import os
import threading
from typing import Any

os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # before any Logger is built at import

import botocore.client
from fastapi.testclient import TestClient
from variance_latency import seed_season  # benchmarks/ is on sys.path when run as a script

from fashion_forecast_local.runtime import LocalRuntime

READS = {"GetItem", "Query", "GetObject", "ListObjectsV2", "DescribeTable"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "PutObject"}

_inside_lambda = threading.local()
_counting = [False]
counts: dict[str, collections.Counter[str]] = {
    "api": collections.Counter(),
    "lambda": collections.Counter(),
}
_make_api_call = botocore.client.BaseClient._make_api_call


def _counted(self: Any, operation: str, params: Any) -> Any:
    if _counting[0]:
        where = "lambda" if getattr(_inside_lambda, "on", False) else "api"
        counts[where][f"{self.meta.service_model.service_name}.{operation}"] += 1
    return _make_api_call(self, operation, params)


def week_one_file() -> bytes:
    lines = ["store_id,week_number,units_sold,category"]
    lines += [f"S{i:03d},1,20,womens_dresses" for i in range(1, 51)]
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    botocore.client.BaseClient._make_api_call = _counted
    quiet = {"POWERTOOLS_METRICS_DISABLED": "true"}
    with LocalRuntime(extra_environment=quiet) as runtime:
        assert runtime.lambdas is not None
        invoke = runtime.lambdas.invoke

        def invoke_marked(name: str, event: Any) -> Any:
            _inside_lambda.on = True
            try:
                return invoke(name, event)
            finally:
                _inside_lambda.on = False

        runtime.lambdas.invoke = invoke_marked  # type: ignore[method-assign,assignment]
        container = runtime.container()
        data = week_one_file()
        with TestClient(runtime.app(), headers=runtime.auth_headers) as api:
            for run in range(args.runs + 1):  # the first is a warm-up, not counted
                forecast_id = seed_season(container, 12)
                _counting[0] = run > 0
                response = api.post(
                    "/api/data/upload-weekly-sales",
                    data={"forecast_id": forecast_id, "week_number": "1"},
                    files={"file": ("week-01.csv", data, "text/csv")},
                )
                _counting[0] = False
                assert response.status_code == 201, response.text
    for where, counter in counts.items():
        reads = sum(n for op, n in counter.items() if op.split(".")[1] in READS)
        writes = sum(n for op, n in counter.items() if op.split(".")[1] in WRITES)
        print(
            f"{where:<7} {sum(counter.values()) / args.runs:4.1f} calls per accepted file: "
            f"{reads / args.runs:.1f} reads, {writes / args.runs:.1f} writes"
        )
        for operation, n in sorted(counter.items()):
            print(f"    {operation:<28} {n / args.runs:.1f}")


if __name__ == "__main__":
    main()
