"""boto3 clients, configured once. Endpoints come from the standard AWS_ENDPOINT_URL* variables,
so tests (moto), the local runtime and the cloud run the same code."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.adapters.errors import ConflictError, UnavailableError

_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10
)


@cache
def client(service: str, endpoint_url: str | None = None) -> Any:
    """A shared boto3 client for `service` (cached: clients are thread-safe). `endpoint_url` is
    for services addressed per resource, e.g. an API Gateway management endpoint."""
    return boto3.client(service, config=_CONFIG, endpoint_url=endpoint_url)


class DynamoTable:
    """Base of the adapters that keep their items in the one DynamoDB table: its name, and a
    client (injected in tests, else the shared one)."""

    def __init__(self, table_name: str, dynamodb: Any | None = None) -> None:
        self.table_name = table_name
        self._ddb = dynamodb

    @property
    def ddb(self) -> Any:
        return self._ddb or client("dynamodb")


def reset_clients() -> None:
    """Forget cached clients (after the endpoint environment changed, e.g. in tests)."""
    client.cache_clear()


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def dynamodb_call(ddb: Any, operation: str, *, conflict: str = "conflict", **kwargs: Any) -> Any:
    """Call a DynamoDB operation, mapping a failed condition to ConflictError(conflict) and any
    other failure to UnavailableError."""
    try:
        return getattr(ddb, operation)(**kwargs)
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            raise ConflictError(conflict) from exc
        raise UnavailableError(f"DynamoDB {operation} failed: {error_code(exc)}") from exc
    except BotoCoreError as exc:
        raise UnavailableError(f"DynamoDB unreachable: {exc}") from exc
