"""The one Lambda handler factory: every function in functions/ is `make_handler(...)`.

It builds the process's Container once, at import (the Lambda init phase), so a missing
environment variable stops the function at start-up with an error naming it; then each
invocation runs `handle(container, event, context)` with JSON logs (Powertools Logger, a
correlation id taken from the event), metrics flushed per invocation, and X-Ray tracing
where it is wanted (not on the request path of the API and the WebSocket routes: the X-Ray
SDK's import is a cold-start cost there, see benchmarks/api_cold_start.py).

A refusal by the product's rules (DomainError) or a port's error (AdapterError: the state
machine retries UnavailableError and ConflictError by name) leaves as it is. Anything else is
a defect, not the client's input: it is logged with its traceback and leaves as
UnexpectedError, whose message names the function, the exception type and the request id but
never the library's own text (which would reach the planner as the workflow's error).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from fashion_forecast import container
from fashion_forecast.app.audit import REQUEST_ID
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.ports import AdapterError, Container
from fashion_forecast.settings import get_settings

Handle = Callable[[Container, dict[str, Any], Any], Any]
LambdaHandler = Callable[[dict[str, Any], Any], Any]


class UnexpectedError(Exception):
    """A defect in a function (see the module docstring)."""


def process_container(requires: tuple[str, ...] = ()) -> Container:
    """The process's Container from its environment. `requires`: the variables this function
    cannot run without beyond the ones every function has (Settings); ConfigurationError names
    any that is missing."""
    return container.build(get_settings().require(*requires))


def make_handler(
    name: str,
    handle: Handle,
    *,
    correlation_id_path: str = "workflow_id",
    requires: tuple[str, ...] = (),
    tracing: bool = True,
    count_metric: str | None = None,
    deps: Container | None = None,
) -> LambdaHandler:
    """`requires`: see process_container (`deps`, when the function built its Container
    itself). `count_metric`: a metric counted once per invocation."""
    deps = deps or process_container(requires)
    logger = Logger(service=f"fashion-forecast-{name}")
    metrics = Metrics(namespace="FashionForecast", service=name)

    def run(event: dict[str, Any], context: Any) -> Any:
        REQUEST_ID.set(getattr(context, "aws_request_id", None))  # for the audit trail
        try:
            result = handle(deps, event, context)
        except (DomainError, AdapterError):
            raise
        except Exception as exc:
            logger.exception("unexpected error")
            request = getattr(context, "aws_request_id", None) or "unknown"
            raise UnexpectedError(
                f"internal error in the {name} function ({type(exc).__name__}); "
                f"its logs have the details (request {request})"
            ) from exc
        if count_metric:
            metrics.add_metric(name=count_metric, unit=MetricUnit.Count, value=1)
        return result

    handler: LambdaHandler = metrics.log_metrics(run)
    if tracing:  # a Tracer loads the X-Ray SDK: only where it is wanted
        handler = Tracer(service=f"fashion-forecast-{name}").capture_lambda_handler(handler)
    wrapped: LambdaHandler = logger.inject_lambda_context(correlation_id_path=correlation_id_path)(
        handler
    )
    return wrapped
