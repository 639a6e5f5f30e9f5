"""Result records (forecasts, allocations, markdowns, ...) stored as JSON documents by id.

Item layout: pk = "<KIND>#<id>", sk = "<KIND>", body = the model as JSON, and `revision` when the
model has one. `put` writes a new record (conditional on absence); `replace` overwrites only the
revision it read (optimistic concurrency).

Kinds in LISTED_KINDS (forecasts) are also listed newest first on GSI1: gsi1pk = "<KIND>S",
gsi1sk = "<created_at>#<id>", with `category_id` as an attribute to filter on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from pydantic import BaseModel

from fashion_forecast.adapters.aws import (
    GSI1,
    DynamoTable,
    decode_cursor,
    dynamodb_call,
    encode_cursor,
    listing_key,
)
from fashion_forecast.ports import NotFoundError, Page

M = TypeVar("M", bound=BaseModel)

LISTED_KINDS = frozenset({"forecast"})


class RecordStore(DynamoTable):
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
        item.update(_listing(kind, record_id, record))
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

    def list_recent(
        self,
        kind: str,
        model: type[M],
        *,
        limit: int = 20,
        cursor: str | None = None,
        category_id: str | None = None,
    ) -> Page[M]:
        """Records of a listed kind, newest first, `limit` per page; the cursor (opaque) is the
        last returned item. InvalidCursorError for a cursor this store did not issue."""
        if kind not in LISTED_KINDS:
            raise ValueError(f"{kind} records are not listed")
        list_pk = f"{kind.upper()}S"
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": list_pk}},
            "ScanIndexForward": False,
        }
        if category_id is not None:
            query["FilterExpression"] = "category_id = :category"
            query["ExpressionAttributeValues"][":category"] = {"S": category_id}
        if cursor:
            created, record_id = decode_cursor(cursor)
            query["ExclusiveStartKey"] = {
                **self._key(kind, record_id),
                **listing_key(list_pk, created, record_id),
            }
        items: list[dict[str, Any]] = []
        while len(items) <= limit:
            response = dynamodb_call(self.ddb, "query", **dict(query, Limit=limit + 1))
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        records = [model.model_validate_json(i["body"]["S"]) for i in items[:limit]]
        next_cursor = None
        if len(items) > limit and records:
            stamp, _, record_id = str(items[limit - 1]["gsi1sk"]["S"]).partition("#")
            next_cursor = encode_cursor(dt.datetime.fromisoformat(stamp), record_id)
        return Page(items=records, next_cursor=next_cursor)


def _listing(kind: str, record_id: str, record: BaseModel) -> dict[str, Any]:
    """GSI1 attributes of a listed record (none for other kinds)."""
    created = getattr(record, "created_at", None)
    if kind not in LISTED_KINDS or not isinstance(created, dt.datetime):
        return {}
    attributes = listing_key(f"{kind.upper()}S", created, record_id)
    category = getattr(record, "category_id", None)
    if isinstance(category, str):
        attributes["category_id"] = {"S": category}
    return attributes
