"""The Demand agent: season forecast + store clusters, re-forecasts, and the markdown lift.

Season weeks are mapped onto the history's weekly grid: the model forecasts from the week
after the last history week up to the season's last week, and the season's weeks are the last
`forecast_horizon_weeks` of that. So the season must start after the history ends and end
within the forecaster's maximum horizon of it (else a DomainError says what to upload).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.adapters.errors import NotFoundError
from fashion_forecast.agents import engine
from fashion_forecast.agents.progress import agent_step, report_progress
from fashion_forecast.domain.clusters import cluster_stores
from fashion_forecast.domain.demand import MAX_HORIZON_WEEKS, forecast_demand
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.history import category_series
from fashion_forecast.domain.pricing import apply_lift
from fashion_forecast.domain.variance import reforecast_remaining
from fashion_forecast.models.forecasts import (
    FORECAST,
    MARKDOWN,
    ClusterShare,
    ForecastRecord,
    ForecastVersion,
    ForecastWeek,
    MarkdownRecord,
    StoreFactor,
)
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.services import Services

logger = Logger(service="fashion-forecast-demand")

AGENT = "demand"


def season_offset(last_history_week: dt.date, parameters: SeasonParameters) -> int:
    """Weeks between the first forecast week (after the history) and the season's week 1."""
    first_forecast_week = last_history_week + dt.timedelta(weeks=1)
    days = (parameters.season_start_date - first_forecast_week).days
    if days < 0:
        raise DomainError(
            f"the season starts on {parameters.season_start_date}, before the history ends "
            f"({last_history_week}); plan a season that starts after the history"
        )
    offset = -(-days // 7)  # a season starting mid-week uses the model week it falls in
    if offset + parameters.forecast_horizon_weeks > MAX_HORIZON_WEEKS:
        raise DomainError(
            f"the history ends on {last_history_week}, {offset} weeks before the season: "
            f"forecasting {offset + parameters.forecast_horizon_weeks} weeks ahead exceeds "
            f"{MAX_HORIZON_WEEKS}; upload more recent sales history"
        )
    return offset


@agent_step(AGENT, "forecasting season demand and clustering stores")
def forecast_season(services: Services, workflow_id: str) -> dict[str, Any]:
    workflow = services.workflows.get(workflow_id)
    parameters = SeasonParameters.model_validate(workflow.input["parameters"])
    category = workflow.category_id
    report_progress(services, workflow_id, AGENT, 10, "Reading the category's sales history")
    try:
        rows = services.sales.category_history(category)
    except NotFoundError as exc:
        known = ", ".join(services.sales.categories()) or "none"
        raise DomainError(f"no sales history for category {category} (known: {known})") from exc
    weeks, units = category_series(rows)
    if not weeks:
        raise DomainError(f"the sales history of category {category} is empty")
    offset = season_offset(weeks[-1], parameters)
    horizon = parameters.forecast_horizon_weeks
    result = forecast_demand(weeks, units, offset + horizon)
    season = result.weekly[offset : offset + horizon]
    weekly = [
        ForecastWeek(
            week=i + 1,
            week_start=parameters.season_start_date + dt.timedelta(weeks=i),
            forecast=round(w.forecast, 2),
            lower=round(w.lower, 2),
            upper=round(w.upper, 2),
        )
        for i, w in enumerate(season)
    ]
    report_progress(services, workflow_id, AGENT, 25, "Season forecast ready; clustering stores")
    attributes = services.sales.store_attributes()
    if not attributes:
        raise DomainError("no store attributes on record; upload the store attributes CSV")
    all_history = [
        {
            "date": r.week_start,
            "store_id": r.store_id,
            "category": r.category,
            "quantity_sold": r.quantity_sold,
        }
        for r in services.sales.all_history()
    ]
    clustering = cluster_stores(attributes, all_history, category)
    now = utcnow()
    total = round(sum(w.forecast for w in weekly), 2)
    record = ForecastRecord(
        forecast_id=str(uuid.uuid4()),
        workflow_id=workflow_id,
        category_id=category,
        parameters=parameters,
        created_at=now,
        weekly=weekly,
        total_demand=total,
        method_weights=result.method_weights,
        backtest=result.backtest,
        dropped_methods=result.dropped,
        history_weeks=result.history_weeks,
        clusters=[
            ClusterShare(
                cluster_id=c.cluster_id, name=c.name, store_count=c.store_count, share=c.share
            )
            for c in clustering.clusters
        ],
        silhouette=clustering.silhouette,
        stores=[
            StoreFactor(
                store_id=s.store_id,
                cluster_id=s.cluster_id,
                cluster_name=s.cluster_name,
                store_factor=s.store_factor,
            )
            for s in clustering.stores
        ],
        versions=[
            ForecastVersion(
                version=1,
                created_at=now,
                workflow_id=workflow_id,
                reason="pre-season forecast",
                total_demand=total,
                weekly=weekly,
            )
        ],
    )
    services.records.put(FORECAST, record.forecast_id, record)
    services.workflows.set_fields(workflow_id, forecast_id=record.forecast_id)
    report_progress(services, workflow_id, AGENT, 40, "Forecast and store clusters stored")
    logger.info("forecast stored", extra={"workflow_id": workflow_id, "total": total})
    return {"forecast_id": record.forecast_id, "total_demand": total}


def new_version(
    forecast: ForecastRecord,
    workflow_id: str,
    reason: str,
    values: list[float],
    details: dict[str, Any],
) -> ForecastRecord:
    """The forecast with `values` as its current weekly curve (intervals scaled alongside)."""
    weekly = []
    for week, value in zip(forecast.weekly, values, strict=True):
        scale = value / week.forecast if week.forecast > 0 else 1.0
        weekly.append(
            week.model_copy(
                update={
                    "forecast": round(value, 2),
                    "lower": round(week.lower * scale, 2),
                    "upper": round(week.upper * scale, 2),
                }
            )
        )
    total = round(sum(w.forecast for w in weekly), 2)
    version = forecast.version + 1
    return forecast.model_copy(
        update={
            "weekly": weekly,
            "total_demand": total,
            "version": version,
            "revision": forecast.revision + 1,
            "versions": [
                *forecast.versions,
                ForecastVersion(
                    version=version,
                    created_at=utcnow(),
                    workflow_id=workflow_id,
                    reason=reason,
                    total_demand=total,
                    weekly=weekly,
                    details=details,
                ),
            ],
        }
    )


@agent_step(AGENT, "re-forecasting the remaining weeks from actuals")
def reforecast(services: Services, workflow_id: str) -> dict[str, Any]:
    """Keep the season's weekly shape and move the remaining weeks toward the actuals."""
    workflow = services.workflows.get(workflow_id)
    report_progress(services, workflow_id, AGENT, 10, "Re-forecasting from the in-season actuals")
    forecast = services.records.get(FORECAST, str(workflow.input["forecast_id"]), ForecastRecord)
    actual = [float(v) for v in workflow.input["actual_sales_week_1_to_n"]]
    n = len(actual)
    if n + int(workflow.input["remaining_weeks"]) != len(forecast.weekly):
        raise DomainError("observed + remaining weeks do not match the forecast's horizon")
    original = [w.forecast for w in forecast.weekly]
    update = reforecast_remaining(original, actual)
    values = original[:n] + list(update.remaining_forecast)
    details = {
        "observed_weeks": n,
        "observed_ratio": update.observed_ratio,
        "consistency": update.consistency,
        "weight": update.weight,
        "factor": update.factor,
        "variance_pct": workflow.input.get("variance_pct"),
        "forecasted_week_1_to_n": workflow.input.get("forecasted_week_1_to_n"),
    }
    updated = new_version(forecast, workflow_id, f"re-forecast after week {n}", values, details)
    updated = updated.model_copy(
        update={"actuals": {**forecast.actuals, **{i + 1: v for i, v in enumerate(actual)}}}
    )
    services.records.replace(FORECAST, forecast.forecast_id, updated)
    services.workflows.set_fields(workflow_id, forecast_id=forecast.forecast_id)
    report_progress(services, workflow_id, AGENT, 40, "Re-forecast stored")
    return {
        "forecast_id": forecast.forecast_id,
        "version": updated.version,
        "factor": update.factor,
    }


@agent_step(AGENT, "applying the approved markdown to the forecast")
def markdown_lift(services: Services, workflow_id: str, markdown_id: str) -> dict[str, Any]:
    """Re-forecast the weeks after the checkpoint with the approved markdown's lift."""
    report_progress(services, workflow_id, AGENT, 85, "Applying the markdown's expected lift")
    markdown = services.records.get(MARKDOWN, markdown_id, MarkdownRecord)
    forecast = services.records.get(FORECAST, markdown.forecast_id, ForecastRecord)
    if any(v.details.get("markdown_id") for v in forecast.versions):
        raise DomainError(f"forecast {forecast.forecast_id} already has its one markdown")
    values = apply_lift(
        [w.forecast for w in forecast.weekly],
        after_week=markdown.checkpoint_week,
        lift=markdown.expected_lift,
    )
    updated = new_version(
        forecast,
        workflow_id,
        f"markdown {markdown.markdown_pct:.0%} at week {markdown.checkpoint_week}",
        values,
        {"markdown_id": markdown_id, "expected_lift": markdown.expected_lift},
    )
    services.records.replace(FORECAST, forecast.forecast_id, updated)
    services.records.replace(
        MARKDOWN,
        markdown_id,
        markdown.model_copy(update={"applied": True, "revision": markdown.revision + 1}),
    )
    return {"forecast_id": forecast.forecast_id, "version": updated.version}


def handle(services: Services, event: dict[str, Any]) -> dict[str, Any]:
    mode = event.get("mode")
    if mode in {"engine_forecast", "engine_allocate"}:
        return engine.handle(services, event)
    workflow_id = str(event["workflow_id"])
    if mode == "forecast":
        return forecast_season(services, workflow_id)
    if mode == "reforecast":
        return reforecast(services, workflow_id)
    if mode == "markdown_lift":
        return markdown_lift(services, workflow_id, str(event["markdown_id"]))
    raise ValueError(f"unknown demand mode {mode!r}")
