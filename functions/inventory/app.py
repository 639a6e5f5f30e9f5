"""Inventory agent Lambda: manufacturing order, allocation, replenishment, re-plan."""

from fashion_forecast.agents import inventory
from fashion_forecast.agents.lambda_handler import make_handler

handler = make_handler("inventory", inventory.handle)
