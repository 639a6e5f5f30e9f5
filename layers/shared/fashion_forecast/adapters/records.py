"""Result records (forecasts, allocations, markdowns, ...) stored as JSON documents by id.

Item layout: pk = "<KIND>#<id>", sk = "<KIND>", body = the model as JSON. Records are written
once (conditional on absence) unless `overwrite=True`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from fashion_forecast.adapters.aws import client, error_code
from fashion_forecast.adapters.errors import ConflictError, NotFoundError, UnavailableError

M = TypeVar("M", bound=BaseModel)


class RecordStore:
    def __init__(self, table_name: str, dynamodb: Any | None = None) -> None:
        self.table_name = table_name
        self._ddb = dynamodb

    @property
    def ddb(self) -> Any:
        return self._ddb or client("dynamodb")

    @staticmethod
    def _key(kind: str, record_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"{kind.upper()}#{record_id}"}, "sk": {"S": kind.upper()}}

    def put(self, kind: str, record_id: str, record: BaseModel, *, overwrite: bool = False) -> None:
        item = {
            **self._key(kind, record_id),
            "entity": {"S": kind},
            "body": {"S": record.model_dump_json()},
        }
        extra: dict[str, Any] = {}
        if not overwrite:
            extra["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self.ddb.put_item(TableName=self.table_name, Item=item, **extra)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise ConflictError(f"{kind} {record_id} already exists") from exc
            raise UnavailableError(f"DynamoDB put_item failed: {error_code(exc)}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"DynamoDB unreachable: {exc}") from exc

    def get(self, kind: str, record_id: str, model: type[M]) -> M:
        try:
            response = self.ddb.get_item(
                TableName=self.table_name, Key=self._key(kind, record_id), ConsistentRead=True
            )
        except ClientError as exc:
            raise UnavailableError(f"DynamoDB get_item failed: {error_code(exc)}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"DynamoDB unreachable: {exc}") from exc
        item = response.get("Item")
        if not item:
            raise NotFoundError(f"{kind} {record_id} not found")
        return model.model_validate_json(item["body"]["S"])

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
