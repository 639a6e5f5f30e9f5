"""The agents' step bodies, each run by a Lambda the state machine invokes: demand (forecast,
clusters, re-forecast, markdown lift), inventory (order, allocation, replenishment, re-plan),
pricing (markdown recommendation)."""
