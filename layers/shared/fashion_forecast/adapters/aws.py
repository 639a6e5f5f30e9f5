"""boto3 clients, configured once. Endpoints come from the standard AWS_ENDPOINT_URL* variables,
so tests (moto), the local runtime and the cloud run the same code."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.ports import (
    ConflictError,
    InvalidCursorError,
    NotFoundError,
    UnavailableError,
)

GSI1 = "GSI1"  # the table's one index: gsi1pk = a list's name, gsi1sk = "<created_at>#<id>"

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

    def check(self) -> None:
        """Raise unless the table exists and is reachable (readiness probe)."""
        try:
            self.ddb.describe_table(TableName=self.table_name)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise NotFoundError(f"table {self.table_name} does not exist") from exc
            raise UnavailableError(f"DynamoDB: {error_code(exc)}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"DynamoDB unreachable: {exc}") from exc


def reset_clients() -> None:
    """Forget cached clients (after the endpoint environment changed, e.g. in tests)."""
    client.cache_clear()


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def timestamp(value: dt.datetime) -> str:
    """How the table stores a time: UTC ISO 8601 with microseconds (sorts as it reads)."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def listing_key(list_name: str, created_at: dt.datetime, item_id: str) -> dict[str, Any]:
    """The GSI1 attributes that list an item newest first under `list_name`."""
    return {
        "gsi1pk": {"S": list_name},
        "gsi1sk": {"S": f"{timestamp(created_at)}#{item_id}"},
    }


def encode_cursor(created_at: dt.datetime, item_id: str) -> str:
    """An opaque list cursor: the last returned item's creation time and id."""
    payload = json.dumps({"c": timestamp(created_at), "id": item_id})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """(created_at, id) of a cursor from encode_cursor; InvalidCursorError for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        created = dt.datetime.fromisoformat(payload["c"])
        item_id = payload["id"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError) as exc:
        raise InvalidCursorError("cursor is not valid") from exc
    if not isinstance(item_id, str) or not 0 < len(item_id) <= 80 or created.tzinfo is None:
        raise InvalidCursorError("cursor is not valid")
    return created, item_id


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
