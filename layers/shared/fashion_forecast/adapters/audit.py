"""The audit trail in the single DynamoDB table (the ports.AuditLog port). Append only: this
adapter has no update and no delete, and every put is conditional on the item not existing, so
an entry is never overwritten.

Item layout: pk = "AUDIT#<entity_type>#<entity_id>", sk = "<timestamp>#<entry_id>" (an
entity's entries in time order); GSI1 (gsi1pk = "AUDIT", gsi1sk = "<timestamp>#<entry_id>")
lists every entry newest first. A listing by entity queries its partition, any other listing
the index; the time range is part of the key condition, the actor a filter. The cursor is the
last returned entry's time and id: the next page's key condition ends just before it.
"""

from __future__ import annotations

import json
from typing import Any

from fashion_forecast.adapters.aws import (
    GSI1,
    DynamoTable,
    decode_cursor,
    dynamodb_call,
    encode_cursor,
    listing_key,
    timestamp,
)
from fashion_forecast.models.audit import AuditEntry, AuditQuery
from fashion_forecast.ports import Page

_LIST_PK = "AUDIT"
_AFTER_ANY_ID = "#~"  # sorts after "#<any id>": ids are [A-Za-z0-9_-]


def _pk(entity_type: str, entity_id: str) -> str:
    return f"AUDIT#{entity_type}#{entity_id}"


class AuditLog(DynamoTable):
    def append(self, entry: AuditEntry) -> AuditEntry:
        item = {
            "pk": {"S": _pk(entry.entity_type.value, entry.entity_id)},
            "sk": {"S": f"{timestamp(entry.timestamp)}#{entry.entry_id}"},
            **listing_key(_LIST_PK, entry.timestamp, entry.entry_id),
            "entity": {"S": "audit"},
            "actor": {"S": entry.actor},
            "entry_json": {"S": entry.model_dump_json()},
        }
        dynamodb_call(
            self.ddb,
            "put_item",
            TableName=self.table_name,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            conflict=f"audit entry {entry.entry_id} already exists",
        )
        return entry

    def list(
        self, query: AuditQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[AuditEntry]:
        by_entity = query.entity_type is not None and query.entity_id is not None
        pk_name, sk_name = ("pk", "sk") if by_entity else ("gsi1pk", "gsi1sk")
        pk = _pk(str(query.entity_type), str(query.entity_id)) if by_entity else _LIST_PK
        low = timestamp(query.since) if query.since else ""
        high = timestamp(query.until) + _AFTER_ANY_ID if query.until else "~"
        skip = None
        if cursor:
            at, entry_id = decode_cursor(cursor)
            skip = f"{timestamp(at)}#{entry_id}"
            high = min(high, skip)
        names = {"#pk": pk_name, "#sk": sk_name}
        values: dict[str, Any] = {
            ":pk": {"S": pk},
            ":low": {"S": low or " "},
            ":high": {"S": high},
        }
        filters = []
        if query.actor is not None:
            names["#actor"] = "actor"
            values[":actor"] = {"S": query.actor}
            filters.append("#actor = :actor")
        if query.entity_type is not None and not by_entity:
            values[":prefix"] = {"S": _pk(query.entity_type.value, "")}
            filters.append("begins_with(pk, :prefix)")
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if not by_entity:
            request["IndexName"] = GSI1
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        entries: list[AuditEntry] = []
        while len(entries) <= limit:  # one more than a page: is there a next one?
            response = dynamodb_call(self.ddb, "query", **request, Limit=100)
            for item in response.get("Items", []):
                if item[sk_name]["S"] != skip:
                    entries.append(AuditEntry.model_validate(json.loads(item["entry_json"]["S"])))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
            request["ExclusiveStartKey"] = start
        page = entries[:limit]
        more = len(entries) > limit
        next_cursor = encode_cursor(page[-1].timestamp, page[-1].entry_id) if more else None
        return Page(items=page, next_cursor=next_cursor)
