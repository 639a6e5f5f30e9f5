"""Workflow bookkeeping Lambda (start, complete, reject, fail steps of the state machine)."""

from fashion_forecast.agents import workflow
from fashion_forecast.agents.lambda_handler import make_handler

handler = make_handler("workflow", workflow.handle)
