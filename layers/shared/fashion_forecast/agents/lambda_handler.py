"""One way to turn an agent's `handle(services, event)` into a Lambda handler: JSON logs with
the workflow id as correlation id, X-Ray tracing, metrics, and Services built once per
container."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from fashion_forecast.services import Services
from fashion_forecast.settings import get_settings

Handle = Callable[[Services, dict[str, Any]], dict[str, Any]]


@cache
def services() -> Services:
    return Services.from_settings(get_settings())


def make_handler(name: str, handle: Handle) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    logger = Logger(service=f"fashion-forecast-{name}")
    tracer = Tracer(service=f"fashion-forecast-{name}")
    metrics = Metrics(namespace="FashionForecast", service=name)

    @logger.inject_lambda_context(correlation_id_path="workflow_id")
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = handle(services(), event)
        metrics.add_metric(name=f"{name.title()}Steps", unit=MetricUnit.Count, value=1)
        return result

    return handler
