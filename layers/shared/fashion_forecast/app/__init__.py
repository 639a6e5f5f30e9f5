"""The use cases: one module per flow, typed against the ports (fashion_forecast.ports).

workflows      start, read, cancel, decide an approval; the state machine's bookkeeping steps
planning/      the Demand, Inventory and Pricing agents' step bodies (and the engine's debug
               calls, run in the Demand function)
engine         the API side of the engine endpoints (forecast and allocate run in Demand)
in_season      a weekly sales file -> actuals -> variance -> re-forecast / markdown flows
sales_data     history and store uploads, categories, stores and clusters
results        forecasts, allocations, markdowns and variance rows as stored
subscriptions  the progress stream's WebSocket routes (connect, replay, ping)
progress       how a step reports progress (agent_started / agent_progress / agent_completed)
parameters     season parameters from plain words (language model, then the rules)
readiness      the readiness probe
waiting        the one way a use case waits for something another process does
"""
