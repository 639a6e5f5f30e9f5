"""The Pricing agent's step: the markdown recommendation at the checkpoint week
(docs/domain.md, "Pricing agent").

What it projects with (app.plan): the units ordered and approved, read from the season's
inventory position (the pre-season order plus approved extra orders; a proposed or rejected
one never counts), the units sold to the
checkpoint (the flow's input), the plan in effect for the weeks after it, and the plan in
effect through it (sales above it: no markdown). The elasticity is estimated from the
category's history (revenue / units gives the price) and shrunk toward the default by the
fit (`category_elasticity`, the same estimate the pricing debug endpoint uses). A modify
re-runs the step, which rewrites the workflow's own proposal in place.
"""

from __future__ import annotations

from typing import Any

from fashion_forecast.app.plan import (
    approved_order,
    plan_to_date,
    refresh_position,
    season_actuals,
)
from fashion_forecast.app.progress import agent_step, report_progress
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.pricing import (
    ElasticityEstimate,
    estimate_elasticity_from_history,
    recommend_markdown,
)
from fashion_forecast.models.forecasts import (
    FORECAST,
    MARKDOWN,
    ForecastRecord,
    MarkdownRecord,
    MarkdownStatus,
)
from fashion_forecast.ports import Container, NotFoundError

AGENT = "pricing"


def category_elasticity(c: Container, category_id: str) -> ElasticityEstimate:
    """The category's elasticity from its history rows with revenue, shrunk by the fit."""
    try:
        history = c.sales.category_history(category_id)
    except NotFoundError:
        history = []
    rows = [
        {"store_id": r.store_id, "quantity_sold": r.quantity_sold, "revenue": r.revenue}
        for r in history
        if r.revenue is not None
    ]
    return estimate_elasticity_from_history(rows)


@agent_step(AGENT, "recommending a markdown at the checkpoint week")
def markdown(c: Container, workflow_id: str, override: dict[str, Any]) -> dict[str, Any]:
    workflow = c.workflows.get(workflow_id)
    report_progress(c, workflow_id, AGENT, 20, "Computing sell-through and price elasticity")
    forecast = c.records.get(FORECAST, str(workflow.input["forecast_id"]), ForecastRecord)
    if forecast.allocation_id is None:
        raise DomainError(f"forecast {forecast.forecast_id} has no manufacturing order yet")
    if any(v.details.get("markdown_id") for v in forecast.versions):
        raise DomainError(f"forecast {forecast.forecast_id} already had its one markdown")
    approved_order(c, forecast)
    position = refresh_position(c, forecast.forecast_id)
    if position is None:
        raise DomainError(f"forecast {forecast.forecast_id} has no approved manufacturing order")
    ordered = position.ordered_approved
    week = int(workflow.input["checkpoint_week"])
    sold = float(workflow.input["sold_to_date"])
    plan = plan_to_date(forecast, season_actuals(c, forecast), week)
    elasticity = category_elasticity(c, forecast.category_id)
    inputs: dict[str, Any] = {
        "remaining_forecast": plan.remaining,
        "plan_to_date": plan.cumulative,
        "markdown_threshold": forecast.parameters.markdown_threshold,
        "elasticity": elasticity.elasticity,
        "checkpoint_week": week,
    }
    recommendation = recommend_markdown(
        sold, ordered, **inputs, markdown_override=override.get("markdown_pct")
    )
    recommended = recommend_markdown(sold, ordered, **inputs)
    own = _own_proposal(c, workflow_id)
    record = MarkdownRecord(
        markdown_id=own.markdown_id if own else c.ids.new_id(),
        forecast_id=forecast.forecast_id,
        workflow_id=workflow_id,
        created_at=own.created_at if own else c.clock.now(),
        checkpoint_week=week,
        sold_to_date=sold,
        manufacturing_qty=ordered,
        remaining_forecast=round(recommendation.remaining_forecast, 2),
        sell_through=recommendation.sell_through,
        sell_through_to_date=recommendation.sell_through_to_date,
        plan_to_date=round(plan.cumulative, 2),
        above_plan=recommendation.above_plan,
        stock_cap_pct=recommendation.stock_cap_pct,
        gap=recommendation.gap,
        elasticity=recommendation.elasticity,
        elasticity_estimate=elasticity.estimate,
        elasticity_r_squared=elasticity.r_squared,
        recommended_markdown_pct=recommended.markdown_pct,
        markdown_pct=recommendation.markdown_pct,
        expected_lift=recommendation.expected_lift,
        reasoning=f"{recommendation.reasoning} Elasticity: {elasticity.reason}.",
        status=MarkdownStatus.PROPOSED,
        revision=own.revision + 1 if own else 1,
    )
    if own is not None:
        c.records.replace(MARKDOWN, record.markdown_id, record)
    else:
        c.records.put(MARKDOWN, record.markdown_id, record)
    c.records.replace(
        FORECAST,
        forecast.forecast_id,
        forecast.model_copy(
            update={"markdown_id": record.markdown_id, "revision": forecast.revision + 1}
        ),
    )
    c.workflows.set_fields(workflow_id, markdown_id=record.markdown_id)
    report_progress(c, workflow_id, AGENT, 60, "Markdown recommendation stored")
    return {"markdown_id": record.markdown_id, "markdown_pct": record.markdown_pct}


def _own_proposal(c: Container, workflow_id: str) -> MarkdownRecord | None:
    """The markdown this workflow already proposed (a modify re-runs the step), if any."""
    markdown_id = c.workflows.get(workflow_id).markdown_id
    if markdown_id is None:
        return None
    record = c.records.get(MARKDOWN, markdown_id, MarkdownRecord)
    if record.workflow_id != workflow_id or record.status is not MarkdownStatus.PROPOSED:
        return None
    return record
