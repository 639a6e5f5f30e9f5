"""The planning engine without a workflow (the API's /api/agents/* debug endpoints).

Forecasting a series and allocating an order need pandas, Prophet and scikit-learn, which only
the Demand function carries: the API hands them to it (app.planning.demand runs them there).
A refusal by the engine's rules comes back as {"error": {code, message, details}} and is raised
here as the same DomainError (422); a Demand function that cannot run is UnavailableError (503).
The markdown analysis is pure arithmetic and runs in place.
"""

from __future__ import annotations

from typing import Any

from fashion_forecast.constants import DEFAULT_ELASTICITY
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.pricing import MarkdownRecommendation, recommend_markdown
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
) -> MarkdownRecommendation:
    return recommend_markdown(
        sold_to_date,
        manufacturing_qty,
        markdown_threshold=markdown_threshold,
        elasticity=DEFAULT_ELASTICITY if elasticity is None else elasticity,
    )
