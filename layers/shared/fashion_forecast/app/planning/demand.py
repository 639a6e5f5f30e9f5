"""The Demand agent's steps: season forecast + store clusters, re-forecasts, the markdown
lift, and the engine's debug calls (forecast a series, size and allocate an order).

Season weeks are mapped onto the history's weekly grid by domain.season: the model forecasts
from the week after the last history week up to the season's last week, and the season's
weeks are the last `forecast_horizon_weeks` of that (docs/domain.md, "Season start").

Runs only in the Demand function (a container image): it imports pandas, Prophet and
scikit-learn through the domain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.app import store_totals
from fashion_forecast.app.plan import curve_versions, plan_to_date, season_actuals, version_record
from fashion_forecast.app.progress import agent_step, report_progress
from fashion_forecast.domain.clusters import cluster_stores
from fashion_forecast.domain.demand import forecast_demand
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.history import (
    ALL_CATEGORIES,
    HistoryFileError,
    WeeklySales,
    category_series,
)
from fashion_forecast.domain.in_season import reforecast_from_plan
from fashion_forecast.domain.inventory import plan_inventory
from fashion_forecast.domain.pricing import apply_lift
from fashion_forecast.domain.season import season_offset
from fashion_forecast.models.forecasts import (
    FORECAST,
    MARKDOWN,
    ClusterShare,
    ForecastRecord,
    ForecastVersion,
    ForecastWeek,
    MarkdownRecord,
    MarkdownStatus,
    StoreFactor,
    VersionStatus,
)
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.sales import StoreWeekTotals
from fashion_forecast.ports import Container, NotFoundError

logger = Logger(service="fashion-forecast-demand")

AGENT = "demand"
SYNTHETIC_WEEK = dt.date(2000, 1, 3)  # the one week given stores' weekly_sales stand for


def sales_level_rows(
    totals: StoreWeekTotals, category: str | None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every store's units per week over every category (`totals`: app.store_totals.current),
    as the rows the stores' sales level is read from, and the categories left out with the
    reason: a stored file that cannot be read back is skipped, so one category's bad file never
    stops another category from being planned. The planned category's own file failing is the
    step's error."""
    if category is not None and category in totals.excluded:
        raise HistoryFileError(totals.excluded[category])
    rows = [
        {"date": week, "store_id": store, "category": ALL_CATEGORIES, "quantity_sold": units}
        for week, store, units in totals.weeks
    ]
    return rows, dict(totals.excluded)


def _sales_rows(rows: list[WeeklySales]) -> list[dict[str, Any]]:
    """History rows in the shape domain.clusters reads."""
    return [
        {
            "date": r.week_start,
            "store_id": r.store_id,
            "category": r.category,
            "quantity_sold": r.quantity_sold,
        }
        for r in rows
    ]


@agent_step(AGENT, "forecasting season demand and clustering stores")
def forecast_season(c: Container, workflow_id: str) -> dict[str, Any]:
    workflow = c.workflows.get(workflow_id)
    parameters = SeasonParameters.model_validate(workflow.input["parameters"])
    category = workflow.category_id
    report_progress(c, workflow_id, AGENT, 10, "Reading the category's sales history")
    try:
        rows = c.sales.category_history(category)
    except NotFoundError as exc:
        known = ", ".join(c.sales.categories()) or "none"
        raise DomainError(f"no sales history for category {category} (known: {known})") from exc
    weeks, units = category_series(rows)
    if not weeks:
        raise DomainError(f"the sales history of category {category} is empty")
    offset = season_offset(
        weeks[-1], parameters.season_start_date, parameters.forecast_horizon_weeks
    )
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
    report_progress(c, workflow_id, AGENT, 25, "Season forecast ready; clustering stores")
    attributes = c.sales.store_attributes()
    if not attributes:
        raise DomainError("no store attributes on record; upload the store attributes CSV")
    sales, excluded = sales_level_rows(store_totals.current(c), category)
    if excluded:
        report_progress(
            c,
            workflow_id,
            AGENT,
            30,
            f"Store sales level leaves out {', '.join(sorted(excluded))}: history unreadable",
        )
    clustering = cluster_stores(attributes, _sales_rows(rows), category, level_sales=sales)
    now = c.clock.now()
    total = round(sum(w.forecast for w in weekly), 2)
    record = ForecastRecord(
        forecast_id=c.ids.new_id(),
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
        sales_level_excluded=excluded,
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
                status=VersionStatus.PROPOSED,  # in effect once its order is approved
            )
        ],
    )
    c.records.put(FORECAST, record.forecast_id, record)
    c.workflows.set_fields(workflow_id, forecast_id=record.forecast_id)
    report_progress(c, workflow_id, AGENT, 40, "Forecast and store clusters stored")
    logger.info("forecast stored", extra={"workflow_id": workflow_id, "total": total})
    return {"forecast_id": record.forecast_id, "total_demand": total}


def new_version(
    forecast: ForecastRecord,
    created_at: dt.datetime,
    workflow_id: str,
    reason: str,
    values: list[float],
    details: dict[str, Any],
    *,
    base: list[ForecastWeek],
    status: VersionStatus,
    sold: Sequence[float] = (),
) -> ForecastRecord:
    """The forecast with `values` as its newest curve (intervals scaled from `base`, the curve
    the values were made from), numbered after every stored version. Its season demand is the
    plan's: `sold` (the units of weeks 1..k the version takes as sold) plus its curve after
    week k, the figure a re-plan sizes its order on."""
    weekly = []
    for week, value in zip(base, values, strict=True):
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
    total = round(sum(sold) + sum(w.forecast for w in weekly[len(sold) :]), 2)
    version = max([forecast.version, *(v.version for v in forecast.versions)]) + 1
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
                    created_at=created_at,
                    workflow_id=workflow_id,
                    reason=reason,
                    total_demand=total,
                    weekly=weekly,
                    details=details,
                    status=status,
                ),
            ],
        }
    )


@agent_step(AGENT, "re-forecasting the remaining weeks from actuals")
def reforecast(c: Container, workflow_id: str) -> dict[str, Any]:
    """Move the remaining weeks of the plan in effect toward the actuals (the workflow's input
    holds the actuals of weeks 1..n; app.workflows checked n fits). The new version is
    proposed: it is the plan once the workflow completes (domain.in_season rule 5)."""
    workflow = c.workflows.get(workflow_id)
    report_progress(c, workflow_id, AGENT, 10, "Re-forecasting from the in-season actuals")
    forecast = c.records.get(FORECAST, str(workflow.input["forecast_id"]), ForecastRecord)
    actual = [float(v) for v in workflow.input["actual_sales_week_1_to_n"]]
    n = len(actual)
    observed = {i + 1: v for i, v in enumerate(actual)}
    plan, update = reforecast_from_plan(curve_versions(forecast), observed, n)
    base = version_record(forecast, plan.version)
    values = list(plan.weekly[:n]) + list(update.remaining_forecast)
    details = {
        "observed_weeks": n,
        "plan_version": plan.version,
        "plan_anchor_week": update.anchor_week,
        "evidence_weeks": update.evidence_weeks,
        "method": update.method,
        "observed_ratio": update.observed_ratio,
        "consistency": update.consistency,
        "weight": update.weight,
        "factor": update.factor,
        "assumed_lift": update.assumed_lift,
        "observed_lift": update.observed_lift,
        "variance_pct": workflow.input.get("variance_pct"),
        "forecasted_week_1_to_n": workflow.input.get("forecasted_week_1_to_n"),
    }
    updated = new_version(
        forecast,
        c.clock.now(),
        workflow_id,
        f"re-forecast after week {n}",
        values,
        details,
        base=base.weekly,
        status=VersionStatus.PROPOSED,
        sold=actual,
    )
    updated = updated.model_copy(update={"actuals": {**forecast.actuals, **observed}})
    c.records.replace(FORECAST, forecast.forecast_id, updated)
    c.workflows.set_fields(workflow_id, forecast_id=forecast.forecast_id)
    report_progress(c, workflow_id, AGENT, 40, "Re-forecast stored")
    return {
        "forecast_id": forecast.forecast_id,
        "version": updated.version,
        "factor": update.factor,
    }


@agent_step(AGENT, "applying the approved markdown to the forecast")
def markdown_lift(c: Container, workflow_id: str, markdown_id: str) -> dict[str, Any]:
    """Lift the weeks after the checkpoint of the plan in effect for them by the approved
    markdown's lift; the new version is in effect at once (the markdown was approved)."""
    report_progress(c, workflow_id, AGENT, 85, "Applying the markdown's expected lift")
    markdown = c.records.get(MARKDOWN, markdown_id, MarkdownRecord)
    forecast = c.records.get(FORECAST, markdown.forecast_id, ForecastRecord)
    if any(v.details.get("markdown_id") for v in forecast.versions):
        raise DomainError(f"forecast {forecast.forecast_id} already has its one markdown")
    week = markdown.checkpoint_week
    horizon = forecast.parameters.forecast_horizon_weeks
    actuals = season_actuals(c, forecast)
    plan = plan_to_date(forecast, actuals, min(week, horizon))
    lifted = plan.after or plan.version
    base = version_record(forecast, lifted.version)
    values = apply_lift(
        [w.forecast for w in base.weekly], after_week=week, lift=markdown.expected_lift
    )
    updated = new_version(
        forecast,
        c.clock.now(),
        workflow_id,
        f"markdown {markdown.markdown_pct:.0%} at week {week}",
        values,
        {
            "markdown_id": markdown_id,
            "expected_lift": markdown.expected_lift,
            "checkpoint_week": week,
            "base_version": lifted.version,
            "anchor_week": lifted.anchor_week,
        },
        base=base.weekly,
        status=VersionStatus.APPROVED,
        # the plan's season: weeks 1..anchor as sold, the lifted curve after them
        sold=[actuals[w] for w in range(1, lifted.anchor_week + 1)],
    )
    c.records.replace(FORECAST, forecast.forecast_id, updated)
    c.records.replace(
        MARKDOWN,
        markdown_id,
        markdown.model_copy(
            update={
                "applied": True,
                "status": MarkdownStatus.APPLIED,
                "status_reason": "accepted by the approver",
                "revision": markdown.revision + 1,
            }
        ),
    )
    return {"forecast_id": forecast.forecast_id, "version": updated.version}


# -- the engine's debug calls (POST /api/agents/demand/forecast, /inventory/allocate) ----------


def engine_forecast(history: list[dict[str, Any]], horizon_weeks: int) -> dict[str, Any]:
    """The ensemble on a given weekly series ({week_start, units} points)."""
    result = forecast_demand(
        [dt.date.fromisoformat(str(h["week_start"])) for h in history],
        [float(h["units"]) for h in history],
        horizon_weeks,
    )
    return {
        "weekly": [w.model_dump(mode="json") for w in result.weekly],
        "total": result.total,
        "method_weights": result.method_weights,
        "backtest": result.backtest,
        "dropped": result.dropped,
    }


def _stores_and_sales(
    c: Container, stores: list[dict[str, Any]] | None, category_id: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, list[dict[str, Any]] | None]:
    """Stores given in the request (their weekly_sales as a one-week history), else the stores
    on record with the category's history (the first category without `category_id`) and the
    store-week totals their sales level is read from. Nothing on record is a DomainError: the
    engine never makes stores up."""
    if stores:
        attributes = [{k: v for k, v in s.items() if k != "weekly_sales"} for s in stores]
        sales = [
            {
                "date": SYNTHETIC_WEEK,
                "store_id": s["store_id"],
                "category": "request",
                "quantity_sold": s["weekly_sales"],
            }
            for s in stores
        ]
        return attributes, sales, "request", None
    attributes = c.sales.store_attributes()
    totals = store_totals.current(c) if attributes else None
    names = sorted(totals.sources) if totals else []  # every category with history
    if totals is None or not names:
        raise DomainError(
            "no stores given and no store attributes with sales history on record: pass "
            "`stores`, or upload the store attributes and the sales history first",
            details=[{"field": "stores", "message": "required while nothing is on record"}],
        )
    category = category_id or names[0]
    if category not in names:
        raise DomainError(f"category {category!r} not in the history (found: {', '.join(names)})")
    level, _ = sales_level_rows(totals, category)
    return attributes, _sales_rows(c.sales.category_history(category)), category, level


def engine_allocate(
    c: Container,
    parameters: SeasonParameters,
    *,
    season_demand: float | None,
    weekly_forecast: list[float] | None,
    safety_stock_pct: float | None,
    stores: list[dict[str, Any]] | None,
    category_id: str | None,
) -> dict[str, Any]:
    """Size the order and allocate it (domain.inventory.plan_inventory, the composition the
    Inventory step uses). Without a weekly curve the season demand is spread evenly over the
    horizon, so the first two weeks get their even share."""
    horizon = parameters.forecast_horizon_weeks
    if weekly_forecast is not None:
        if len(weekly_forecast) != horizon:
            raise DomainError(
                f"weekly_forecast has {len(weekly_forecast)} weeks; the horizon is {horizon}"
            )
        curve: list[Any] = list(weekly_forecast)
    elif season_demand is not None:
        curve = [Fraction(repr(float(season_demand))) / horizon] * horizon
    else:
        raise DomainError("give exactly one of season_demand or weekly_forecast")
    attributes, sales, category, level = _stores_and_sales(c, stores, category_id)
    clustering = cluster_stores(attributes, sales, category, level_sales=level)
    plan = plan_inventory(
        curve,
        clustering.stores,
        clustering.cluster_shares(),
        parameters,
        safety_stock_pct=safety_stock_pct,
    )
    names: dict[int | str, str] = {cl.cluster_id: cl.name for cl in clustering.clusters}
    manufacturing = plan.manufacturing
    return {
        "season_demand": manufacturing.season_demand,
        "manufacturing_qty": manufacturing.manufacturing_qty,
        "safety_stock_pct": manufacturing.safety_stock_pct,
        "initial_allocation": manufacturing.initial_allocation,
        "holdback": manufacturing.holdback_qty,
        "store_allocations": [
            {
                "store_id": s.store_id,
                "cluster_id": s.cluster_id,
                "cluster_name": names[s.cluster_id],
                "quantity": s.quantity,
            }
            for s in plan.allocation.stores
        ],
        "clusters": [cl.model_dump(mode="json") for cl in clustering.clusters],
        "silhouette": clustering.silhouette,
    }
