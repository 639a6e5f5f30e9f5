"""Shared helpers of the use-case unit tests (tests/unit/app): seasons stored straight into the
fakes, weekly sales files, the bundled sample data, the variance step wired to the fake bucket."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from fashion_forecast.app import in_season
from fashion_forecast.domain.history import WeeklySales, aggregate_weekly
from fashion_forecast.domain.inventory import largest_remainder
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    AllocationRecord,
    AllocationStatus,
    ClusterShare,
    ForecastRecord,
    ForecastVersion,
    ForecastWeek,
    StoreFactor,
)
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.sales import WeeklyUploadKey
from fashion_forecast.models.workflows import Workflow, WorkflowStatus, WorkflowType
from fashion_forecast.ports import Container
from fashion_forecast_local import sample_data
from tests.fakes import Fakes

# -- in-season seasons (test_in_season, test_planning) -------------------------------------------

SEASON_START = dt.date(2025, 3, 3)
SEASON_CATEGORY = "womens_dresses"
SAMPLE_STORE_IDS = [f"S{i:03d}" for i in range(1, 51)]
WEEKLY_HEADER = "store_id,week_number,units_sold,category\n"


def one_cluster_stores(store_ids: Sequence[str] = SAMPLE_STORE_IDS) -> list[StoreFactor]:
    """Every store in cluster 0 with the same factor (so each gets 1/n of the category)."""
    return [
        StoreFactor(
            store_id=s, cluster_id=0, cluster_name="Mainstream", store_factor=1 / len(store_ids)
        )
        for s in store_ids
    ]


def store_allocations(
    initial_allocation: int, clusters: Sequence[ClusterShare], stores: Sequence[StoreFactor]
) -> list[dict[str, Any]]:
    """The initial allocation split by store weight (cluster share x store factor), as the
    Inventory step stores it."""
    shares = {cl.cluster_id: cl.share for cl in clusters}
    weights = {s.store_id: shares.get(s.cluster_id, 0.0) * s.store_factor for s in stores}
    units = largest_remainder(initial_allocation, weights)
    return [
        {
            "store_id": s.store_id,
            "cluster_id": s.cluster_id,
            "cluster_name": s.cluster_name,
            "weight": weights[s.store_id],
            "quantity": units[s.store_id],
        }
        for s in stores
    ]


def seed_fake_season(
    c: Container,
    *,
    weekly: Sequence[float] | None = None,
    checkpoint: int | None = None,
    manufacturing_qty: int = 15_000,
    holdback: int = 0,
    status: WorkflowStatus = WorkflowStatus.COMPLETED,
    clusters: list[ClusterShare] | None = None,
    stores: list[StoreFactor] | None = None,
    replenishment: str = "none",
    dc_holdback_percentage: float = 0.0,
    variance_threshold: float = 0.2,
    markdown_threshold: float = 0.6,
    actuals: Mapping[int, float] | None = None,
    category: str = SEASON_CATEGORY,
) -> ForecastRecord:
    """A forecast (flat 1,000 units a week over 12 weeks unless `weekly` says otherwise) whose
    pre-season workflow is `status`, with its allocation (approved when the workflow completed,
    else proposed), stored straight into the fakes (no Demand run, so every number is exact).
    Stores: the 50 sample ids in one cluster."""
    weekly = list(weekly or [1000.0] * 12)
    parameters = SeasonParameters(
        forecast_horizon_weeks=len(weekly),
        season_start_date=SEASON_START,
        replenishment_strategy=replenishment,
        dc_holdback_percentage=dc_holdback_percentage,
        markdown_checkpoint_week=checkpoint,
        variance_threshold=variance_threshold,
        markdown_threshold=markdown_threshold,
    )
    workflow_id, forecast_id, allocation_id = (c.ids.new_id() for _ in range(3))
    now = c.clock.now()
    weeks = [
        ForecastWeek(
            week=i + 1,
            week_start=SEASON_START + dt.timedelta(weeks=i),
            forecast=v,
            lower=round(0.8 * v, 2),
            upper=round(1.2 * v, 2),
        )
        for i, v in enumerate(weekly)
    ]
    total = round(sum(weekly), 2)
    clusters = clusters or [
        ClusterShare(cluster_id=0, name="Mainstream", store_count=50, share=1.0)
    ]
    stores = stores or one_cluster_stores()
    c.workflows.create(
        workflow_id=workflow_id,
        workflow_type=WorkflowType.FORECAST,
        category_id=category,
        input={"parameters": parameters.model_dump(mode="json")},
    )
    if status is not WorkflowStatus.PENDING:
        c.workflows.transition(workflow_id, WorkflowStatus.RUNNING)
        c.workflows.set_fields(workflow_id, forecast_id=forecast_id, allocation_id=allocation_id)
        if status is not WorkflowStatus.RUNNING:
            c.workflows.transition(workflow_id, status)
    c.records.put(
        ALLOCATION,
        allocation_id,
        AllocationRecord(
            allocation_id=allocation_id,
            forecast_id=forecast_id,
            workflow_id=workflow_id,
            created_at=now,
            season_demand=total,
            safety_stock_pct=0.25,
            manufacturing_qty=manufacturing_qty,
            holdback=holdback,
            initial_allocation=manufacturing_qty - holdback,
            store_allocations=store_allocations(manufacturing_qty - holdback, clusters, stores),
            status=AllocationStatus.APPROVED
            if status is WorkflowStatus.COMPLETED
            else AllocationStatus.PROPOSED,
        ),
    )
    record = ForecastRecord(
        forecast_id=forecast_id,
        workflow_id=workflow_id,
        category_id=category,
        parameters=parameters,
        created_at=now,
        weekly=weeks,
        total_demand=total,
        allocation_id=allocation_id,
        allocation_ids=[allocation_id],
        clusters=clusters,
        stores=stores,
        actuals=dict(actuals or {}),
        versions=[
            ForecastVersion(
                version=1,
                created_at=now,
                workflow_id=workflow_id,
                reason="pre-season forecast",
                total_demand=total,
                weekly=weeks,
            )
        ],
    )
    c.records.put(FORECAST, forecast_id, record)
    return record


def stored_forecast(c: Container, forecast_id: str) -> ForecastRecord:
    return c.records.get(FORECAST, forecast_id, ForecastRecord)


def weekly_sales_csv(
    week: int,
    per_store: int | Mapping[str, int],
    *,
    stores: Sequence[str] = SAMPLE_STORE_IDS,
    category: str = SEASON_CATEGORY,
) -> bytes:
    """A weekly sales file of one week: `per_store` units in every store (or per store id)."""
    rows = "".join(
        f"{s},{week},{per_store if isinstance(per_store, int) else per_store[s]},{category}\n"
        for s in stores
    )
    return (WEEKLY_HEADER + rows).encode()


def weekly_sales_weeks(per_week: Mapping[int, int], **kwargs: Any) -> bytes:
    """One file carrying several weeks: week -> units per store."""
    body = b"".join(
        weekly_sales_csv(week, units, **kwargs).removeprefix(WEEKLY_HEADER.encode())
        for week, units in per_week.items()
    )
    return WEEKLY_HEADER.encode() + body


def s3_etag(data: bytes) -> str:
    """What S3 reports as the ETag of a single-part object."""
    return hashlib.md5(data).hexdigest()


def wire_variance_step(c: Container, fakes: Fakes) -> list[dict[str, Any]]:
    """Play the bucket's ObjectCreated notification: every weekly file stored through
    put_weekly_upload runs the variance step synchronously. Returns the step's summaries."""
    results: list[dict[str, Any]] = []

    def notify(key: WeeklyUploadKey, data: bytes) -> None:
        stored = fakes.sales.objects[key.key]
        results.append(
            in_season.process_upload(
                c,
                bucket=fakes.sales.bucket,
                key=key.key,
                etag=s3_etag(stored),
                size=len(stored),
            )
        )

    fakes.sales.on_weekly_upload = notify
    return results


def put_weekly_object(
    fakes: Fakes, forecast_id: str, week: int, upload_id: str, data: bytes
) -> str:
    """A weekly file put into the bucket directly (no API, no notification); its key."""
    key = WeeklyUploadKey(forecast_id, week, upload_id).key
    fakes.sales.objects[key] = data
    return key


def process_object(c: Container, fakes: Fakes, key: str) -> dict[str, Any]:
    """Run the variance step on an object of the fake bucket, as its S3 event would."""
    data = fakes.sales.objects[key]
    return in_season.process_upload(
        c, bucket=fakes.sales.bucket, key=key, etag=s3_etag(data), size=len(data)
    )


def start_running_workflow(
    c: Container,
    workflow_type: WorkflowType,
    input: dict[str, Any],
    *,
    category_id: str = SEASON_CATEGORY,
    workflow_id: str | None = None,
) -> Workflow:
    """A workflow row created and marked running, as the state machine's first step leaves it
    (no execution: the test calls the agents' steps itself)."""
    workflow_id = workflow_id or c.ids.new_id()
    c.workflows.create(
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        category_id=category_id,
        input={"workflow_id": workflow_id, "workflow_type": workflow_type.value, **input},
    )
    return c.workflows.transition(workflow_id, WorkflowStatus.RUNNING)


def event_types(fakes: Fakes, workflow_id: str) -> list[str]:
    return [e.type.value for e in fakes.event_log.events.get(workflow_id, [])]


# -- the bundled sample data ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _sample_weekly_history() -> dict[str, list[WeeklySales]]:
    return aggregate_weekly(sample_data.load_sample_history())


def sample_weekly_history() -> dict[str, list[WeeklySales]]:
    """The bundled 3-year history summed per week and category (loaded once per session)."""
    return {category: list(rows) for category, rows in _sample_weekly_history().items()}


def sample_store_attributes_text() -> str:
    return sample_data.sample_file("store_attributes.csv").read_text()


def seed_sample_stores(fakes: Fakes) -> None:
    """The 50 sample stores as the store list (what an attributes upload stores)."""
    fakes.sales.save_store_attributes(sample_store_attributes_text())


def seed_sample_sales(fakes: Fakes) -> None:
    """History of every sample category and the store list, as the local runtime seeds them."""
    for category, rows in sample_weekly_history().items():
        fakes.sales.save_category_history(category, rows)
    seed_sample_stores(fakes)
