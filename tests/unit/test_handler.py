"""The Lambda handler factory: what leaves a function when its work raises."""

from __future__ import annotations

from typing import Any

import pytest

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.handler import UnexpectedError, make_handler
from fashion_forecast.ports import ConflictError, UnavailableError
from fashion_forecast_local.lambdas import LambdaContext
from tests.fakes import fake_container


def Context() -> LambdaContext:
    return LambdaContext("demand", aws_request_id="req-42")


def handler_raising(exc: Exception) -> Any:
    def handle(c: Any, event: dict[str, Any], context: Any) -> Any:
        raise exc

    return make_handler("demand", handle, tracing=False, deps=fake_container()[0])


@pytest.mark.parametrize(
    "exc",
    [
        DomainError("no sales history for category x"),
        UnavailableError("DynamoDB throttled"),
        ConflictError("workflow changed meanwhile"),
    ],
    ids=["domain", "unavailable", "conflict"],
)
def test_refusals_and_port_errors_leave_as_they_are(exc: Exception) -> None:
    with pytest.raises(type(exc)) as raised:
        handler_raising(exc)({"workflow_id": "w1"}, Context())
    assert raised.value is exc


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("array must not contain infs or NaNs"),
        KeyError("yhat_lower"),
        OverflowError("cannot convert float infinity to integer"),
        RecursionError("maximum recursion depth exceeded"),
    ],
    ids=["value", "key", "overflow", "recursion"],
)
def test_a_defect_leaves_as_unexpected_error_without_the_librarys_text(exc: Exception) -> None:
    with pytest.raises(UnexpectedError) as raised:
        handler_raising(exc)({"workflow_id": "w1"}, Context())
    message = str(raised.value)
    assert message == (
        f"internal error in the demand function ({type(exc).__name__}); "
        "its logs have the details (request req-42)"
    )
    assert str(exc.args[0]) not in message
    assert raised.value.__cause__ is exc
