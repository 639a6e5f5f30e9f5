"""Approval Lambda (invoked with waitForTaskToken): stores the token, asks the human."""

from fashion_forecast.agents import approval
from fashion_forecast.agents.lambda_handler import make_handler

handler = make_handler("approval", approval.request_approval)
