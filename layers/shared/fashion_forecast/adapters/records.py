"""Result records (forecasts, allocations, markdowns, ...) stored as JSON documents by id.

Item layout: pk = "<KIND>#<id>", sk = "<KIND>", body = the model as JSON, and `revision` when the
model has one. `put` writes a new record (conditional on absence); `replace` overwrites only the
revision it read (optimistic concurrency).
"""

from __future__ import annotations

from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from fashion_forecast.adapters.aws import client, dynamodb_call, error_code
from fashion_forecast.adapters.errors import NotFoundError, UnavailableError

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

    def put(self, kind: str, record_id: str, record: BaseModel) -> None:
        """Write a new record; one that already exists is a conflict."""
        self._write(kind, record_id, record, "attribute_not_exists(pk)", {})

    def replace(self, kind: str, record_id: str, record: BaseModel) -> None:
        """Overwrite a record read at revision r with one at revision r + 1, only if the stored
        one is still at r: concurrent updates conflict instead of losing one."""
        revision = getattr(record, "revision", None)
        if not isinstance(revision, int) or revision < 2:
            raise ValueError("replace needs a record whose revision was bumped from the stored one")
        self._write(
            kind,
            record_id,
            record,
            "attribute_exists(pk) AND revision = :expected",
            {":expected": {"N": str(revision - 1)}},
        )

    def _write(
        self,
        kind: str,
        record_id: str,
        record: BaseModel,
        condition: str,
        values: dict[str, Any],
    ) -> None:
        item = {
            **self._key(kind, record_id),
            "entity": {"S": kind},
            "body": {"S": record.model_dump_json()},
        }
        revision = getattr(record, "revision", None)
        if isinstance(revision, int):
            item["revision"] = {"N": str(revision)}
        extra: dict[str, Any] = {"ConditionExpression": condition}
        if values:
            extra["ExpressionAttributeValues"] = values
        dynamodb_call(
            self.ddb,
            "put_item",
            conflict=f"{kind} {record_id} was changed concurrently or already exists",
            TableName=self.table_name,
            Item=item,
            **extra,
        )

    def get(self, kind: str, record_id: str, model: type[M]) -> M:
        response = dynamodb_call(
            self.ddb,
            "get_item",
            TableName=self.table_name,
            Key=self._key(kind, record_id),
            ConsistentRead=True,
        )
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
