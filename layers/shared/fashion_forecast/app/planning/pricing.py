"""The Pricing agent's step: the markdown recommendation at the checkpoint week
(docs/domain.md, "Pricing agent").

Units on order = the latest allocation's manufacturing quantity plus any extra order a
re-forecast added. Elasticity is estimated from the category's history (revenue / units gives
the price) and falls back to the default when prices never varied.
"""

from __future__ import annotations

from typing import Any

from fashion_forecast.app.progress import agent_step, report_progress
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.pricing import estimate_elasticity_from_history, recommend_markdown
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ForecastRecord,
    MarkdownRecord,
)
from fashion_forecast.ports import Container

AGENT = "pricing"


@agent_step(AGENT, "recommending a markdown at the checkpoint week")
def markdown(c: Container, workflow_id: str, override: dict[str, Any]) -> dict[str, Any]:
    workflow = c.workflows.get(workflow_id)
    report_progress(c, workflow_id, AGENT, 20, "Computing sell-through and price elasticity")
    forecast = c.records.get(FORECAST, str(workflow.input["forecast_id"]), ForecastRecord)
    if forecast.allocation_id is None:
        raise DomainError(f"forecast {forecast.forecast_id} has no manufacturing order yet")
    if any(v.details.get("markdown_id") for v in forecast.versions):
        raise DomainError(f"forecast {forecast.forecast_id} already had its one markdown")
    allocation = c.records.get(ALLOCATION, forecast.allocation_id, AllocationRecord)
    on_order = allocation.manufacturing_qty + allocation.extra_order_qty
    week = int(workflow.input["checkpoint_week"])
    sold = float(workflow.input["sold_to_date"])
    rows = [
        {"store_id": r.store_id, "quantity_sold": r.quantity_sold, "revenue": r.revenue}
        for r in c.sales.category_history(forecast.category_id)
        if r.revenue is not None
    ]
    elasticity = estimate_elasticity_from_history(rows)
    recommendation = recommend_markdown(
        sold,
        on_order,
        markdown_threshold=forecast.parameters.markdown_threshold,
        elasticity=elasticity.elasticity,
        checkpoint_week=week,
        markdown_override=override.get("markdown_pct"),
    )
    record = MarkdownRecord(
        markdown_id=c.ids.new_id(),
        forecast_id=forecast.forecast_id,
        workflow_id=workflow_id,
        created_at=c.clock.now(),
        checkpoint_week=week,
        sold_to_date=sold,
        manufacturing_qty=on_order,
        sell_through=recommendation.sell_through,
        gap=recommendation.gap,
        elasticity=recommendation.elasticity,
        recommended_markdown_pct=recommend_markdown(
            sold,
            on_order,
            markdown_threshold=forecast.parameters.markdown_threshold,
            elasticity=elasticity.elasticity,
        ).markdown_pct,
        markdown_pct=recommendation.markdown_pct,
        expected_lift=recommendation.expected_lift,
        reasoning=f"{recommendation.reasoning} Elasticity: {elasticity.reason}",
    )
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
