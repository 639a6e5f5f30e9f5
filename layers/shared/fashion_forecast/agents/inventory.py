"""The Inventory agent: manufacturing order and store allocation, replenishment, re-plan.

An approver's modify override arrives as {safety_stock_pct} or {manufacturing_qty}. In a
re-forecast, manufacturing_qty is the new total order (original + extra), so the extra order is
what it adds. A re-plan without store-level actuals (a manual re-forecast through the API) has
no store velocities, so the DC holdback stays where it is.
"""

from __future__ import annotations

import uuid
from typing import Any

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.agents.progress import agent_step, report_progress
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.inventory import (
    allocate_initial,
    plan_manufacturing,
    plan_replenishment,
    replan_after_reforecast,
)
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    AllocationRecord,
    ForecastRecord,
)
from fashion_forecast.services import Services

AGENT = "inventory"


def _override(event: dict[str, Any]) -> dict[str, Any]:
    override = event.get("override") or {}
    return {k: v for k, v in override.items() if v is not None}


@agent_step(AGENT, "sizing the manufacturing order and allocating it to stores")
def plan(
    services: Services, workflow_id: str, forecast_id: str, override: dict[str, Any]
) -> dict[str, Any]:
    report_progress(services, workflow_id, AGENT, 50, "Sizing the manufacturing order")
    forecast = services.records.get(FORECAST, forecast_id, ForecastRecord)
    params = forecast.parameters
    manufacturing = plan_manufacturing(
        forecast.total_demand,
        replenishment_strategy=params.replenishment_strategy,
        dc_holdback_percentage=params.dc_holdback_percentage,
        safety_stock_pct=override.get("safety_stock_pct"),
        manufacturing_qty=override.get("manufacturing_qty"),
    )
    allocation = allocate_initial(
        manufacturing.initial_allocation,
        forecast.stores,
        {c.cluster_id: c.share for c in forecast.clusters},
        first_two_weeks_forecast=sum(w.forecast for w in forecast.weekly[:2]),
    )
    record = AllocationRecord(
        allocation_id=str(uuid.uuid4()),
        forecast_id=forecast_id,
        workflow_id=workflow_id,
        created_at=utcnow(),
        season_demand=forecast.total_demand,
        safety_stock_pct=manufacturing.safety_stock_pct,
        manufacturing_qty=manufacturing.manufacturing_qty,
        holdback=manufacturing.holdback_qty,
        initial_allocation=manufacturing.initial_allocation,
        store_allocations=[
            {"store_id": s.store_id, "cluster": s.cluster_id, "quantity": s.quantity}
            for s in allocation.stores
        ],
        clusters=[c.model_dump(mode="json") for c in allocation.clusters],
        override=override,
    )
    _store(services, workflow_id, forecast, record)
    report_progress(services, workflow_id, AGENT, 65, "Order sized and allocated to stores")
    return {"allocation_id": record.allocation_id, "manufacturing_qty": record.manufacturing_qty}


@agent_step(AGENT, "planning replenishment from the DC holdback")
def replenishment(services: Services, workflow_id: str, allocation_id: str) -> dict[str, Any]:
    report_progress(services, workflow_id, AGENT, 70, "Planning replenishment from the DC holdback")
    allocation = services.records.get(ALLOCATION, allocation_id, AllocationRecord)
    forecast = services.records.get(FORECAST, allocation.forecast_id, ForecastRecord)
    shares = {c.cluster_id: c.share for c in forecast.clusters}
    weights = {s.store_id: shares[s.cluster_id] * s.store_factor for s in forecast.stores}
    result = plan_replenishment(
        forecast.parameters.replenishment_strategy,
        weekly_forecast=[w.forecast for w in forecast.weekly],
        store_weights=weights,
        initial_on_hand={s["store_id"]: int(s["quantity"]) for s in allocation.store_allocations},
        dc_stock=allocation.holdback,
    )
    if result is None:
        raise DomainError("replenishment strategy is none: there is no plan to make")
    updated = allocation.model_copy(
        update={
            "replenishment": result.model_dump(mode="json"),
            "revision": allocation.revision + 1,
        }
    )
    services.records.replace(ALLOCATION, allocation_id, updated)
    report_progress(services, workflow_id, AGENT, 75, "Replenishment plan stored")
    return {"allocation_id": allocation_id, "total_shipped": result.total_shipped}


def store_velocity_inputs(
    services: Services, forecast: ForecastRecord, observed: int
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """Units each store sold in weeks 1..observed (from the weekly uploads) and what it was
    expected to sell: its cluster share x store factor of the category forecast of those weeks.
    None when the uploads do not cover every observed week (a manual re-forecast)."""
    actuals = services.in_season.list_actuals(forecast.forecast_id)
    weeks = range(1, observed + 1)
    if observed == 0 or any(week not in actuals for week in weeks):
        return None, None
    sold: dict[str, float] = {}
    for week in weeks:
        for store_id, units in actuals[week].store_units.items():
            sold[store_id] = sold.get(store_id, 0.0) + units
    shares = {c.cluster_id: c.share for c in forecast.clusters}
    category_expected = sum(w.forecast for w in forecast.weekly[:observed])
    expected = {
        s.store_id: shares.get(s.cluster_id, 0.0) * s.store_factor * category_expected
        for s in forecast.stores
    }
    return {store: sold.get(store, 0.0) for store in expected}, expected


@agent_step(AGENT, "re-planning the order after the re-forecast")
def replan(
    services: Services, workflow_id: str, forecast_id: str, override: dict[str, Any]
) -> dict[str, Any]:
    report_progress(services, workflow_id, AGENT, 50, "Re-planning the order for the new forecast")
    forecast = services.records.get(FORECAST, forecast_id, ForecastRecord)
    if forecast.allocation_id is None:
        raise DomainError(f"forecast {forecast_id} has no allocation to re-plan")
    previous = services.records.get(ALLOCATION, forecast.allocation_id, AllocationRecord)
    observed = len(forecast.actuals)
    safety = override.get("safety_stock_pct", previous.safety_stock_pct)
    store_sold, store_expected = store_velocity_inputs(services, forecast, observed)
    result = replan_after_reforecast(
        manufacturing_qty=previous.manufacturing_qty,
        safety_stock_pct=safety,
        actual_to_date=sum(forecast.actuals.values()),
        new_remaining_forecast=[w.forecast for w in forecast.weekly[observed:]],
        dc_stock=previous.holdback,
        store_sold=store_sold,
        store_expected=store_expected,
    )
    extra = result.extra_order_qty
    if "manufacturing_qty" in override:
        extra = max(0, int(override["manufacturing_qty"]) - previous.manufacturing_qty)
    record = previous.model_copy(
        update={
            "allocation_id": str(uuid.uuid4()),
            "workflow_id": workflow_id,
            "created_at": utcnow(),
            "season_demand": result.need,
            "safety_stock_pct": float(safety),
            "replan": result.model_dump(mode="json"),
            "extra_order_qty": extra,
            "override": override,
            "revision": 1,
        }
    )
    _store(services, workflow_id, forecast, record)
    report_progress(services, workflow_id, AGENT, 65, "Re-plan stored")
    return {"allocation_id": record.allocation_id, "extra_order_qty": extra}


def _store(
    services: Services, workflow_id: str, forecast: ForecastRecord, record: AllocationRecord
) -> None:
    services.records.put(ALLOCATION, record.allocation_id, record)
    services.records.replace(
        FORECAST,
        forecast.forecast_id,
        forecast.model_copy(
            update={"allocation_id": record.allocation_id, "revision": forecast.revision + 1}
        ),
    )
    services.workflows.set_fields(workflow_id, allocation_id=record.allocation_id)


def handle(services: Services, event: dict[str, Any]) -> dict[str, Any]:
    mode = event.get("mode")
    workflow_id = str(event["workflow_id"])
    if mode == "plan":
        return plan(services, workflow_id, str(event["forecast_id"]), _override(event))
    if mode == "replenishment":
        return replenishment(services, workflow_id, str(event["allocation_id"]))
    if mode == "replan":
        return replan(services, workflow_id, str(event["forecast_id"]), _override(event))
    raise ValueError(f"unknown inventory mode {mode!r}")
