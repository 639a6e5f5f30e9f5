"""Weekly sales upload -> variance row: latency in the local runtime, memory of the handler.

1. Latency: in the local runtime (moto server, the bucket notification from template.yaml, the
   variance Lambda in-process), a 5,000-row weekly file (50 stores x 10 categories x weeks
   1..10) is PUT to S3 under a forecast's upload key; the clock stops when the variance row of
   week 10 written from that upload can be read back. moto delivers the notification inside the
   PUT, so this is S3 + the handler's whole work (read, validate, 10 weeks of actuals, 10
   variance rows) + the read back; in AWS add S3's asynchronous delivery (typically well under
   a second). Two cases, each on fresh forecasts: within the threshold (no flow), and over it
   (the re-forecast execution is started before the row is written).
2. Memory: the handler (functions/variance/app.handler with an S3 event) on a 50 stores x 52
   weeks x 10 categories file (26,000 rows) for a 52-week season, under tracemalloc (peak of
   Python allocations during the call; the process's RSS growth is shown too).

The seasons are stored directly (a flat 1,000-unit weekly forecast of womens_dresses, no
Demand run), so only the upload path is measured.

    .venv/bin/python benchmarks/variance_latency.py [--runs 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import time
import tracemalloc
import uuid

os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # before any Logger is built at import

from fashion_forecast.adapters.aws import client, utcnow
from fashion_forecast.app.in_season import new_upload_id
from fashion_forecast.container import build as build_container
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    AllocationRecord,
    ForecastRecord,
    ForecastVersion,
    ForecastWeek,
)
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.sales import WeeklyUploadKey
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import Container, NotFoundError
from fashion_forecast.settings import get_settings
from fashion_forecast_local.lambdas import LambdaContext, load_handler
from fashion_forecast_local.runtime import LocalRuntime

STORES = [f"S{i:03d}" for i in range(1, 51)]
CATEGORIES = ["womens_dresses", *(f"category_{i:02d}" for i in range(2, 11))]


def seed_season(container: Container, weeks: int) -> str:
    """A forecast (flat 1,000 units a week) whose order is approved, stored directly."""
    parameters = SeasonParameters(
        forecast_horizon_weeks=weeks,
        season_start_date=dt.date(2025, 3, 3),
        replenishment_strategy="none",
        dc_holdback_percentage=0.0,
    )
    workflow_id, forecast_id, allocation_id = (str(uuid.uuid4()) for _ in range(3))
    now = utcnow()
    curve = [
        ForecastWeek(
            week=w,
            week_start=parameters.season_start_date + dt.timedelta(weeks=w - 1),
            forecast=1000.0,
            lower=800.0,
            upper=1200.0,
        )
        for w in range(1, weeks + 1)
    ]
    container.workflows.create(
        workflow_id=workflow_id,
        workflow_type=WorkflowType.FORECAST,
        category_id="womens_dresses",
        input={"parameters": parameters.model_dump(mode="json")},
    )
    container.workflows.transition(workflow_id, WorkflowStatus.RUNNING)
    container.workflows.transition(workflow_id, WorkflowStatus.COMPLETED)
    container.records.put(
        ALLOCATION,
        allocation_id,
        AllocationRecord(
            allocation_id=allocation_id,
            forecast_id=forecast_id,
            workflow_id=workflow_id,
            created_at=now,
            season_demand=1000.0 * weeks,
            safety_stock_pct=0.25,
            manufacturing_qty=1250 * weeks,
            holdback=0,
            initial_allocation=1250 * weeks,
        ),
    )
    container.records.put(
        FORECAST,
        forecast_id,
        ForecastRecord(
            forecast_id=forecast_id,
            workflow_id=workflow_id,
            category_id="womens_dresses",
            parameters=parameters,
            created_at=now,
            weekly=curve,
            total_demand=1000.0 * weeks,
            allocation_id=allocation_id,
            versions=[
                ForecastVersion(
                    version=1,
                    created_at=now,
                    workflow_id=workflow_id,
                    reason="pre-season forecast",
                    total_demand=1000.0 * weeks,
                    weekly=curve,
                )
            ],
        ),
    )
    return forecast_id


def weekly_file(weeks: int, per_store: int) -> bytes:
    lines = ["store_id,week_number,units_sold,category"]
    for week in range(1, weeks + 1):
        for category in CATEGORIES:
            for store in STORES:
                lines.append(f"{store},{week},{per_store},{category}")
    return ("\n".join(lines) + "\n").encode()


def latency(container: Container, runs: int, per_store: int) -> list[float]:
    s3 = client("s3")
    data = weekly_file(10, per_store)
    assert data.count(b"\n") == 5001
    times = []
    for _ in range(runs):
        forecast_id = seed_season(container, 12)
        key = WeeklyUploadKey(forecast_id, 10, new_upload_id(container))
        started = time.perf_counter()
        s3.put_object(Bucket=container.sales.bucket, Key=key.key, Body=data)
        deadline = started + 60
        while True:
            if time.perf_counter() > deadline:
                upload = container.in_season.get_upload(forecast_id, key.upload_id)
                raise RuntimeError(f"no variance row after 60 s; upload: {upload}")
            try:
                row = container.in_season.get_variance(forecast_id, 10)
                if row.upload_id == key.upload_id:
                    break
            except NotFoundError:
                pass
            time.sleep(0.002)
        times.append(time.perf_counter() - started)
    return times


def memory(runtime: LocalRuntime, container: Container) -> tuple[int, float, float, int]:
    """(file bytes, tracemalloc peak MiB, RSS growth MiB, weeks evaluated)."""
    forecast_id = seed_season(container, 52)
    data = weekly_file(52, 20)
    key = WeeklyUploadKey(forecast_id, 52, new_upload_id(container))
    s3 = client("s3")
    # store the object without the notification, then run the handler here, measured
    s3.put_bucket_notification_configuration(
        Bucket=container.sales.bucket, NotificationConfiguration={}
    )
    etag = s3.put_object(Bucket=container.sales.bucket, Key=key.key, Body=data)["ETag"]
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": container.sales.bucket},
                    "object": {"key": key.key, "size": len(data), "eTag": etag.strip('"')},
                },
            }
        ]
    }
    assert runtime.lambdas is not None
    handler = load_handler(runtime.lambdas.template, "VarianceFunction")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    result = handler(event, LambdaContext("VarianceFunction"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    evaluated = result["results"][0]["evaluated_weeks"]
    return len(data), peak / 2**20, (rss_after - rss_before) / 1024, len(evaluated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with LocalRuntime(extra_environment=quiet) as runtime:
        container = build_container(get_settings())
        latency(container, 1, 20)  # warm-up: handler import, first clients
        for label, per_store in (("within threshold", 20), ("over threshold", 30)):
            times = latency(container, args.runs, per_store)
            print(
                f"S3 put of a 5,000-row weekly file -> variance row ({label}, {args.runs} runs): "
                f"median {statistics.median(times) * 1000:.0f} ms, "
                f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
            )
        size, peak, rss, weeks = memory(runtime, container)
        print(
            f"variance handler, 50 stores x 52 weeks x 10 categories ({size / 2**20:.2f} MiB, "
            f"26,000 rows, {weeks} weeks evaluated): peak Python allocations {peak:.1f} MiB "
            f"(tracemalloc), process max RSS grew {rss:.1f} MiB"
        )


if __name__ == "__main__":
    main()
