"""Inventory agent Lambda: manufacturing order, allocation, replenishment, re-plan."""

from typing import Any

from fashion_forecast.app.planning import inventory
from fashion_forecast.handler import make_handler
from fashion_forecast.ports import Container


def _override(event: dict[str, Any]) -> dict[str, Any]:
    """An approver's modify values (the state machine passes every key, unset ones as null)."""
    return {k: v for k, v in (event.get("override") or {}).items() if v is not None}


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    mode = event.get("mode")
    workflow_id = str(event["workflow_id"])
    if mode == "plan":
        return inventory.plan(c, workflow_id, str(event["forecast_id"]), _override(event))
    if mode == "replenishment":
        return inventory.replenishment(c, workflow_id, str(event["allocation_id"]))
    if mode == "replan":
        return inventory.replan(c, workflow_id, str(event["forecast_id"]), _override(event))
    raise ValueError(f"unknown inventory mode {mode!r}")


handler = make_handler("inventory", handle, count_metric="InventorySteps")
