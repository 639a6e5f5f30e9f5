"""Seasons stored directly (no Demand run) so in-season tests have exact numbers: a flat
1,000-unit weekly forecast of womens_dresses from 2025-03-03, 15,000 units ordered, and weekly
files for the 50 sample stores."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.api.app import create_app
from fashion_forecast.container import build as build_container
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
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import Container
from fashion_forecast.settings import get_settings
from fashion_forecast_local.runtime import LocalRuntime
from tests.auth import as_caller

STORES = [f"S{i:03d}" for i in range(1, 51)]
HEADER = "store_id,week_number,units_sold,category\n"


def seed_season(
    container: Container,
    *,
    weekly: list[float] | None = None,
    checkpoint: int | None = None,
    manufacturing_qty: int = 15_000,
    status: WorkflowStatus = WorkflowStatus.COMPLETED,
    clusters: list[ClusterShare] | None = None,
    stores: list[StoreFactor] | None = None,
    silhouette: float | None = None,
    holdback: int = 0,
    replenishment: str = "none",
    safety_stock_pct: float = 0.25,
) -> str:
    """A forecast whose pre-season workflow is `status`, with its allocation (approved when the
    workflow completed, else proposed), stored directly.

    `holdback` units of the order stay at the DC; `replenishment` is the strategy."""
    weekly = weekly or [1000.0] * 12
    parameters = SeasonParameters(
        forecast_horizon_weeks=len(weekly),
        season_start_date=dt.date(2025, 3, 3),
        replenishment_strategy=replenishment,
        dc_holdback_percentage=round(holdback / manufacturing_qty, 4),
        markdown_checkpoint_week=checkpoint,
    )
    workflow_id, forecast_id, allocation_id = (str(uuid.uuid4()) for _ in range(3))
    now = utcnow()
    weeks = [
        ForecastWeek(
            week=i + 1,
            week_start=parameters.season_start_date + dt.timedelta(weeks=i),
            forecast=v,
            lower=0.8 * v,
            upper=1.2 * v,
        )
        for i, v in enumerate(weekly)
    ]
    total = sum(weekly)
    container.workflows.create(
        workflow_id=workflow_id,
        workflow_type=WorkflowType.FORECAST,
        category_id="womens_dresses",
        input={"parameters": parameters.model_dump(mode="json")},
    )
    container.workflows.transition(workflow_id, WorkflowStatus.RUNNING)
    container.workflows.set_fields(
        workflow_id, forecast_id=forecast_id, allocation_id=allocation_id
    )
    if status is not WorkflowStatus.RUNNING:
        container.workflows.transition(workflow_id, status)
    container.records.put(
        ALLOCATION,
        allocation_id,
        AllocationRecord(
            allocation_id=allocation_id,
            forecast_id=forecast_id,
            workflow_id=workflow_id,
            created_at=now,
            season_demand=total,
            safety_stock_pct=safety_stock_pct,
            manufacturing_qty=manufacturing_qty,
            holdback=holdback,
            initial_allocation=manufacturing_qty - holdback,
            store_allocations=_store_allocations(manufacturing_qty - holdback, clusters, stores),
            status=AllocationStatus.APPROVED
            if status is WorkflowStatus.COMPLETED
            else AllocationStatus.PROPOSED,
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
            weekly=weeks,
            total_demand=total,
            allocation_id=allocation_id,
            allocation_ids=[allocation_id],
            clusters=clusters or [],
            stores=stores or [],
            silhouette=silhouette,
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
        ),
    )
    return forecast_id


def _store_allocations(
    initial_allocation: int, clusters: list[ClusterShare] | None, stores: list[StoreFactor] | None
) -> list[dict[str, Any]]:
    """The initial allocation split by store weight (cluster share x store factor), as the
    Inventory step stores it; without stores, equally over the 50 sample stores."""
    if stores:
        shares = {cl.cluster_id: cl.share for cl in clusters or []}
        weights = {s.store_id: shares.get(s.cluster_id, 0.0) * s.store_factor for s in stores}
    else:
        weights = {s: 1 / len(STORES) for s in STORES}
    units = largest_remainder(initial_allocation, weights)
    return [
        {"store_id": s, "cluster_id": 0, "cluster_name": "", "weight": w, "quantity": units[s]}
        for s, w in weights.items()
    ]


@contextmanager
def runtime_api() -> Iterator[tuple[LocalRuntime, Container, TestClient]]:
    """The local runtime (moto in server mode, the template's resources, the Lambdas
    in-process, the sample data) and the API over it."""
    with LocalRuntime() as runtime:
        container = build_container(get_settings())
        app = as_caller(create_app(container))  # every role (tests.auth)
        with TestClient(app, raise_server_exceptions=False) as api:
            yield runtime, container, api


def settled(container: Container, workflow_id: str, *statuses: str, timeout: float = 120) -> Any:
    """The workflow once it is in one of `statuses` (fails the test after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        workflow = container.workflows.get(workflow_id)
        if workflow.status.value in statuses:
            return workflow
        assert time.monotonic() < deadline, (
            f"workflow {workflow_id} is {workflow.status.value} ({workflow.error_message}), "
            f"expected {statuses}"
        )
        time.sleep(0.05)


def week_file(week: int, per_store: int, *, stores: list[str] = STORES) -> bytes:
    rows = "".join(f"{s},{week},{per_store},womens_dresses\n" for s in stores)
    return (HEADER + rows).encode()
