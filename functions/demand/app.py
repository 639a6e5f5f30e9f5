"""Demand agent Lambda (container image): forecast + clusters, re-forecast, markdown lift, and
the engine's debug calls for the API (forecast a series, size and allocate an order).

The engine calls answer a refusal by the domain rules as {"error": {code, message, details}}
instead of failing, so the API can answer 422 with the engine's own message.
"""

# ruff: noqa: E402  (matplotlib is blocked before anything else is imported)
import sys

# prophet (prophet.plot, imported by prophet.forecaster) and pmdarima (pmdarima.utils.
# visualization) import matplotlib only for plotting, which the forecast never does, and both
# guard that import with try/except ImportError. Loading it costs cold-start time and wants a
# writable MPLCONFIGDIR (in Lambda only /tmp is). A None entry makes every later
# `import matplotlib` raise ImportError, so their plotting is simply off; setdefault leaves a
# matplotlib that is already loaded alone (tests/unit/test_demand_cold_start.py).
sys.modules.setdefault("matplotlib", None)  # type: ignore[arg-type]

from typing import Any

from fashion_forecast.app.planning import demand
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.handler import make_handler
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.ports import Container


def engine(c: Container, event: dict[str, Any]) -> dict[str, Any]:
    try:
        if event["mode"] == "engine_forecast":
            return demand.engine_forecast(event["history"], int(event["horizon_weeks"]))
        return demand.engine_allocate(
            c,
            SeasonParameters.model_validate(event["parameters"]),
            season_demand=event.get("season_demand"),
            weekly_forecast=event.get("weekly_forecast"),
            safety_stock_pct=event.get("safety_stock_pct"),
            stores=event.get("stores"),
            category_id=event.get("category_id"),
        )
    except DomainError as exc:
        return {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    mode = event.get("mode")
    if mode in {"engine_forecast", "engine_allocate"}:
        return engine(c, event)
    workflow_id = str(event["workflow_id"])
    if mode == "forecast":
        return demand.forecast_season(c, workflow_id)
    if mode == "reforecast":
        return demand.reforecast(c, workflow_id)
    if mode == "markdown_lift":
        return demand.markdown_lift(c, workflow_id, str(event["markdown_id"]))
    raise ValueError(f"unknown demand mode {mode!r}")


handler = make_handler("demand", handle, count_metric="DemandSteps")
