"""Engine calls without a workflow (the API's /api/agents/* debug endpoints), run by the
Demand Lambda because they need pandas, Prophet or scikit-learn.

Domain errors come back as {"error": {code, message, details}} instead of a Lambda failure, so
the API can answer 422 with the engine's own message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fashion_forecast import sample_data
from fashion_forecast.domain.clusters import cluster_stores
from fashion_forecast.domain.demand import forecast_demand
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.inventory import allocate_initial, plan_manufacturing
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.services import Services

SYNTHETIC_WEEK = dt.date(2000, 1, 3)  # the one week given stores' weekly_sales stand for


def forecast(event: dict[str, Any]) -> dict[str, Any]:
    history = event["history"]
    result = forecast_demand(
        [dt.date.fromisoformat(str(h["week_start"])) for h in history],
        [float(h["units"]) for h in history],
        int(event["horizon_weeks"]),
    )
    return {
        "weekly": [w.model_dump(mode="json") for w in result.weekly],
        "total": result.total,
        "method_weights": result.method_weights,
        "backtest": result.backtest,
        "dropped": result.dropped,
    }


def _stores_and_sales(
    services: Services, event: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """Stores given in the request (their weekly_sales as a one-week history), else the stores
    on record with their history, else the bundled sample stores."""
    if event.get("stores"):
        stores = [{k: v for k, v in s.items() if k != "weekly_sales"} for s in event["stores"]]
        sales = [
            {
                "date": SYNTHETIC_WEEK,
                "store_id": s["store_id"],
                "category": "request",
                "quantity_sold": s["weekly_sales"],
            }
            for s in event["stores"]
        ]
        return stores, sales, "request"
    attributes = services.sales.store_attributes()
    if attributes:
        history = services.sales.all_history()
        if history:
            category = event.get("category_id") or history[0].category
            sales = [
                {
                    "date": r.week_start,
                    "store_id": r.store_id,
                    "category": r.category,
                    "quantity_sold": r.quantity_sold,
                }
                for r in history
            ]
            return attributes, sales, category
    rows = sample_data.load_sample_history()
    category = event.get("category_id") or rows[0]["category"]
    return sample_data.load_sample_store_attributes(), rows, category


def allocate(services: Services, event: dict[str, Any]) -> dict[str, Any]:
    parameters = SeasonParameters.model_validate(event["parameters"])
    weekly = event.get("weekly_forecast")
    if weekly is not None:
        if len(weekly) != parameters.forecast_horizon_weeks:
            raise DomainError(
                f"weekly_forecast has {len(weekly)} weeks; the horizon is "
                f"{parameters.forecast_horizon_weeks}"
            )
        season_demand = float(sum(weekly))
        first_two = float(sum(weekly[:2]))
    else:
        season_demand = float(event["season_demand"])
        # no curve: the first two weeks get their even share of the season
        first_two = (
            season_demand
            * min(2, parameters.forecast_horizon_weeks)
            / (parameters.forecast_horizon_weeks)
        )
    stores, sales, category = _stores_and_sales(services, event)
    clustering = cluster_stores(stores, sales, category)
    manufacturing = plan_manufacturing(
        season_demand,
        replenishment_strategy=parameters.replenishment_strategy,
        dc_holdback_percentage=parameters.dc_holdback_percentage,
        safety_stock_pct=event.get("safety_stock_pct"),
    )
    allocation = allocate_initial(
        manufacturing.initial_allocation,
        clustering.stores,
        clustering.cluster_shares(),
        first_two_weeks_forecast=first_two,
    )
    names: dict[int | str, str] = {c.cluster_id: c.name for c in clustering.clusters}
    return {
        "season_demand": season_demand,
        "manufacturing_qty": manufacturing.manufacturing_qty,
        "safety_stock_pct": manufacturing.safety_stock_pct,
        "initial_allocation": manufacturing.initial_allocation,
        "holdback": manufacturing.holdback_qty,
        "store_allocations": [
            {"store_id": s.store_id, "cluster": names[s.cluster_id], "quantity": s.quantity}
            for s in allocation.stores
        ],
        "clusters": [c.model_dump(mode="json") for c in clustering.clusters],
        "silhouette": clustering.silhouette,
        "stores_source": "request" if event.get("stores") else "stores on record or sample",
    }


def handle(services: Services, event: dict[str, Any]) -> dict[str, Any]:
    try:
        if event["mode"] == "engine_forecast":
            return forecast(event)
        return allocate(services, event)
    except DomainError as exc:
        return {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
