"""Pricing agent Lambda: markdown recommendation at the checkpoint week."""

from typing import Any

from fashion_forecast.app.planning import pricing
from fashion_forecast.handler import make_handler
from fashion_forecast.ports import Container


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("mode") != "markdown":
        raise ValueError(f"unknown pricing mode {event.get('mode')!r}")
    override = {k: v for k, v in (event.get("override") or {}).items() if v is not None}
    return pricing.markdown(c, str(event["workflow_id"]), override)


handler = make_handler("pricing", handle, count_metric="PricingSteps")
