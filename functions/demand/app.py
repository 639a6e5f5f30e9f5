"""Demand agent Lambda (container image): forecast + clusters, re-forecast, markdown lift."""

from fashion_forecast.agents import demand
from fashion_forecast.agents.lambda_handler import make_handler

handler = make_handler("demand", demand.handle)
