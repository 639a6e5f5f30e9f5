"""The planning engine without a workflow (the API's /api/agents/* debug endpoints).

Forecasting a series and allocating an order need pandas, Prophet and scikit-learn, which only
the Demand function carries: the API hands them to it (app.planning.demand runs them there).
A refusal by the engine's rules comes back as {"error": {code, message, details}} and is raised
here as the same DomainError (422); a Demand function that cannot run is UnavailableError (503).
The markdown analysis is pure arithmetic and runs in place; with a category it estimates the
elasticity from the category's history exactly as the Pricing step does
(app.planning.pricing.category_elasticity).
"""

from __future__ import annotations

from typing import Any

from fashion_forecast.app.planning.pricing import category_elasticity
from fashion_forecast.constants import DEFAULT_ELASTICITY
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.pricing import (
    ElasticityEstimate,
    MarkdownRecommendation,
    recommend_markdown,
)
from fashion_forecast.ports import Container


class EngineRefusedError(DomainError):
    """The engine's rules refused the input (its own code and message)."""

    def __init__(self, code: str, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(message, details=details)
        self.code = code


def _run(c: Container, payload: dict[str, Any]) -> dict[str, Any]:
    result = c.demand_function.invoke(payload)
    error = result.get("error")
    if error:
        raise EngineRefusedError(error["code"], error["message"], error.get("details") or [])
    return result


def forecast_series(
    c: Container, history: list[dict[str, Any]], horizon_weeks: int
) -> dict[str, Any]:
    return _run(c, {"mode": "engine_forecast", "history": history, "horizon_weeks": horizon_weeks})


def allocate_order(c: Container, request: dict[str, Any]) -> dict[str, Any]:
    return _run(c, {"mode": "engine_allocate", **request})


def analyze_markdown(
    sold_to_date: float,
    manufacturing_qty: int,
    markdown_threshold: float,
    elasticity: float | None,
    *,
    remaining_forecast: float = 0.0,
) -> MarkdownRecommendation:
    """The markdown for these numbers (no plan to date: the above-plan rule needs a season)."""
    return recommend_markdown(
        sold_to_date,
        manufacturing_qty,
        remaining_forecast=remaining_forecast,
        markdown_threshold=markdown_threshold,
        elasticity=DEFAULT_ELASTICITY if elasticity is None else elasticity,
    )


def pricing_analysis(
    c: Container,
    *,
    sold_to_date: float,
    manufacturing_qty: int,
    markdown_threshold: float,
    elasticity: float | None,
    remaining_forecast: float,
    category_id: str | None,
) -> tuple[MarkdownRecommendation, ElasticityEstimate | None]:
    """POST /api/agents/pricing/analyze: the elasticity given, else the category's estimate
    (as the Pricing step makes it), else the default 2.0; and the markdown with it. An unknown
    category is a DomainError (422)."""
    estimate = None
    if elasticity is None and category_id is not None:
        if category_id not in c.sales.categories():
            known = ", ".join(c.sales.categories()) or "none"
            raise DomainError(
                f"no sales history for category {category_id} (known: {known})",
                details=[{"field": "category_id", "message": "no sales history"}],
            )
        estimate = category_elasticity(c, category_id)
        elasticity = estimate.elasticity
    result = analyze_markdown(
        sold_to_date,
        manufacturing_qty,
        markdown_threshold,
        elasticity,
        remaining_forecast=remaining_forecast,
    )
    return result, estimate
