"""Faults where the product meets AWS: DynamoDB throttling, answered by (moto's) service the way
DynamoDB answers it, so the client's botocore retries run for real; what outlasts them is a
clear 503 with nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.responses import DynamoHandler

from tests.integration.test_workflows_api import ZARA, assert_error, assert_nothing_stored


class Throttled(DynamodbException):
    def __init__(self) -> None:
        super().__init__(
            "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            message="The level of configured provisioned throughput for the table was exceeded.",
        )


class Throttle:
    """Answers the next `times` DynamoDB `operation` requests with the throttling error the
    service sends, before (moto's) DynamoDB applies them; counts every attempt the client's
    retries make."""

    def __init__(self, operation: str, times: int, original: Callable[..., Any]) -> None:
        self.operation = operation
        self.left = times
        self.attempts = 0
        self.original = original

    def __call__(self, handler: DynamoHandler) -> Any:
        self.attempts += 1
        if self.left > 0:
            self.left -= 1
            raise Throttled
        return self.original(handler)


@pytest.fixture
def throttle(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(operation: str, times: int) -> Throttle:
        hook = Throttle(operation, times, getattr(DynamoHandler, operation))
        monkeypatch.setattr(DynamoHandler, operation, lambda handler: hook(handler))
        return hook

    return install


@pytest.fixture(autouse=True)
def _history(sales_data: list[str]) -> None:
    """Starting a forecast checks the category's history and the stores up front."""


def start(api: TestClient) -> Any:
    return api.post(
        "/api/workflows/forecast", json={"category_id": "womens_outerwear", "parameters": ZARA}
    )


def test_throttling_that_outlasts_the_retries_is_503_and_stores_nothing(
    api: TestClient, state_machine: str, throttle: Any
) -> None:
    hook = throttle("put_item", times=100)
    body = assert_error(start(api), 503, "service_unavailable")
    assert "ProvisionedThroughputExceededException" in body["message"]
    # the first try and botocore's 3 standard-mode retries (adapters.aws: max_attempts=3)
    assert hook.attempts == 4
    assert_nothing_stored(api, state_machine)


def test_throttling_the_retries_absorb_is_invisible(
    api: TestClient, state_machine: str, throttle: Any
) -> None:
    hook = throttle("put_item", times=2)
    response = start(api)
    assert response.status_code == 201, response.text
    assert hook.left == 0  # both throttled tries were made, and retried
    listed = api.get("/api/workflows").json()["items"]
    assert [w["workflow_id"] for w in listed] == [response.json()["workflow_id"]]
    sfn = boto3.client("stepfunctions")
    assert len(sfn.list_executions(stateMachineArn=state_machine)["executions"]) == 1


def test_throttled_reads_are_503_not_500(api: TestClient, throttle: Any) -> None:
    throttle("query", times=100)
    assert_error(api.get("/api/workflows"), 503, "service_unavailable")
