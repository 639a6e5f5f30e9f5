"""Pricing agent Lambda: markdown recommendation at the checkpoint week."""

from fashion_forecast.agents import pricing
from fashion_forecast.agents.lambda_handler import make_handler

handler = make_handler("pricing", pricing.handle)
