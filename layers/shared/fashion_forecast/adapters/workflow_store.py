"""Workflow rows in the single DynamoDB table (the ports.WorkflowStore port).

Item layout: pk = "WF#<id>", sk = "WORKFLOW"; GSI1 (gsi1pk = "WORKFLOWS", gsi1sk =
"<created_at>#<id>") lists workflows newest first. Nested data (input, output, pending
approval) is stored as JSON strings. Every write is conditional: a status change names the
statuses it may come from (models.workflows.ALLOWED_SOURCES) and bumps `version`, so an illegal
or concurrent change fails with ConflictError instead of overwriting.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.adapters.aws import (
    GSI1,
    DynamoTable,
    decode_cursor,
    dynamodb_call,
    encode_cursor,
    error_code,
    listing_key,
    timestamp,
    utcnow,
)
from fashion_forecast.models.workflows import (
    ALLOWED_SOURCES,
    WAITING_STATUSES,
    PendingApproval,
    Workflow,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.ports import ConflictError, NotFoundError, Page, UnavailableError

_LIST_PK = "WORKFLOWS"
_BATCH_KEYS = 100  # BatchGetItem's limit per request
_BATCH_ROUNDS = 5
_JSON_FIELDS = {"input": "input_json", "output_data": "output_json"}


def _key(workflow_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"WF#{workflow_id}"}, "sk": {"S": "WORKFLOW"}}


def _attr(value: Any) -> dict[str, Any]:
    """A python scalar -> DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": repr(value)}
    if isinstance(value, dt.datetime):
        return {"S": timestamp(value)}
    return {"S": str(value)}


def _plain(attr: dict[str, Any]) -> Any:
    (kind, value), *_ = attr.items()
    if kind == "NULL":
        return None
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    return value


def _to_workflow(item: dict[str, Any]) -> Workflow:
    raw = {name: _plain(value) for name, value in item.items()}
    data: dict[str, Any] = {
        k: v for k, v in raw.items() if k not in {"pk", "sk", "gsi1pk", "gsi1sk", "entity"}
    }
    for field, stored in _JSON_FIELDS.items():
        if stored in data:
            text = data.pop(stored)
            data[field] = json.loads(text) if text is not None else None
    approval = data.pop("pending_approval_json", None)
    data["pending_approval"] = PendingApproval.model_validate_json(approval) if approval else None
    return Workflow.model_validate(data)


def _start_key(cursor: str) -> dict[str, Any]:
    created, workflow_id = decode_cursor(cursor)
    return {**_key(workflow_id), **listing_key(_LIST_PK, created, workflow_id)}


class WorkflowStore(DynamoTable):
    # -- writes -------------------------------------------------------------------------------

    def create(
        self,
        *,
        workflow_id: str,
        workflow_type: WorkflowType,
        category_id: str,
        input: dict[str, Any],
    ) -> Workflow:
        now = utcnow()
        input_json = json.dumps(input, sort_keys=True, default=str)
        workflow = Workflow(  # as get will read it back: the input through its JSON
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            status=WorkflowStatus.PENDING,
            category_id=category_id,
            input=json.loads(input_json),
            created_at=now,
            updated_at=now,
        )
        item = {
            **_key(workflow_id),
            "entity": {"S": "workflow"},
            **listing_key(_LIST_PK, now, workflow_id),
            "workflow_id": {"S": workflow_id},
            "workflow_type": {"S": workflow_type.value},
            "status": {"S": WorkflowStatus.PENDING.value},
            "category_id": {"S": category_id},
            "input_json": {"S": input_json},
            "progress_pct": {"N": "0"},
            "created_at": {"S": timestamp(now)},
            "updated_at": {"S": timestamp(now)},
            "version": {"N": "1"},
        }
        self._call(
            "put_item",
            TableName=self.table_name,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            conflict=f"workflow {workflow_id} already exists",
        )
        return workflow

    def transition(
        self,
        workflow_id: str,
        target: WorkflowStatus,
        *,
        expected: WorkflowStatus | None = None,
        **fields: Any,
    ) -> Workflow:
        """Move to `target` from a status allowed to reach it (or exactly `expected`).

        `fields` are set in the same conditional write (e.g. error_message, output_data,
        pending_approval=None to clear it). Raises NotFoundError or ConflictError.
        """
        sources = set(ALLOWED_SOURCES[target])
        if expected is not None:
            sources &= {expected}
        if not sources:
            current = self.get(workflow_id)
            raise ConflictError(
                f"workflow {workflow_id} cannot move from {current.status} to {target}"
            )
        now = utcnow()
        updates: dict[str, Any] = {"status": target.value, "updated_at": now, **fields}
        if target is WorkflowStatus.RUNNING and expected not in WAITING_STATUSES:
            updates.setdefault("started_at", now)
        if target.is_terminal:
            updates.setdefault("completed_at", now)
        condition_values = {f":from{i}": {"S": s.value} for i, s in enumerate(sorted(sources))}
        condition = f"attribute_exists(pk) AND #status IN ({', '.join(condition_values)})"
        return self._update(workflow_id, updates, condition, condition_values, target)

    def update_progress(
        self, workflow_id: str, *, current_agent: str | None, progress_pct: int
    ) -> Workflow:
        """Record progress of a running workflow; refused once it has finished."""
        if not 0 <= progress_pct <= 100:
            raise ValueError("progress_pct must be within 0..100")
        updates = {
            "current_agent": current_agent,
            "progress_pct": progress_pct,
            "updated_at": utcnow(),
        }
        values = {":running": {"S": WorkflowStatus.RUNNING.value}}
        condition = "attribute_exists(pk) AND #status = :running"
        return self._update(workflow_id, updates, condition, values, None)

    def set_fields(self, workflow_id: str, **fields: Any) -> Workflow:
        """Set non-status fields (e.g. execution_arn) on an existing, unfinished workflow."""
        unfinished = sorted(ALLOWED_SOURCES[WorkflowStatus.CANCELLED])
        values = {f":t{i}": {"S": s.value} for i, s in enumerate(unfinished)}
        condition = f"attribute_exists(pk) AND #status IN ({', '.join(values)})"
        return self._update(
            workflow_id, {**fields, "updated_at": utcnow()}, condition, values, None
        )

    def delete_pending(self, workflow_id: str) -> None:
        """Remove a workflow that never started (its execution could not be started)."""
        self._call(
            "delete_item",
            TableName=self.table_name,
            Key=_key(workflow_id),
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":pending": {"S": WorkflowStatus.PENDING.value}},
            conflict=f"workflow {workflow_id} is no longer pending",
        )

    # -- reads --------------------------------------------------------------------------------

    def get(self, workflow_id: str) -> Workflow:
        response = self._call(
            "get_item", TableName=self.table_name, Key=_key(workflow_id), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            raise NotFoundError(f"workflow {workflow_id} not found")
        return _to_workflow(item)

    def get_many(self, workflow_ids: Sequence[str]) -> dict[str, Workflow]:
        """BatchGetItem, 100 keys a request. Keys DynamoDB leaves unprocessed (throttling) are
        asked again with a short backoff, then UnavailableError."""
        found: dict[str, Workflow] = {}
        unique = list(dict.fromkeys(workflow_ids))
        for first in range(0, len(unique), _BATCH_KEYS):
            keys = [_key(i) for i in unique[first : first + _BATCH_KEYS]]
            for attempt in range(_BATCH_ROUNDS):
                response = self._call(
                    "batch_get_item",
                    RequestItems={self.table_name: {"Keys": keys, "ConsistentRead": True}},
                )
                for item in response.get("Responses", {}).get(self.table_name, []):
                    workflow = _to_workflow(item)
                    found[workflow.workflow_id] = workflow
                keys = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys")
                if not keys:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise UnavailableError("DynamoDB left some workflow reads unprocessed")
        return found

    def list(
        self,
        *,
        status: WorkflowStatus | None = None,
        workflow_type: WorkflowType | None = None,
        category_id: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Workflow]:
        """Newest first, filtered, `limit` per page; the cursor is the last returned item."""
        filters: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, Any] = {":pk": {"S": _LIST_PK}}
        for attr, value in (
            ("status", status),
            ("workflow_type", workflow_type),
            ("category_id", category_id),
        ):
            if value is not None:
                names[f"#{attr}"] = attr
                values[f":{attr}"] = {"S": str(value)}
                filters.append(f"#{attr} = :{attr}")
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
            query["ExpressionAttributeNames"] = names
        start = _start_key(cursor) if cursor else None
        items: list[Workflow] = []
        while True:
            page_query = dict(query, Limit=100 if filters else limit - len(items))
            if start:
                page_query["ExclusiveStartKey"] = start
            response = self._call("query", **page_query)
            for raw in response.get("Items", []):
                items.append(_to_workflow(raw))
                if len(items) == limit:
                    break
            start = response.get("LastEvaluatedKey")
            if len(items) == limit or not start:
                break
        more = len(items) == limit and self._has_more(query, items[-1])
        cursor = encode_cursor(items[-1].created_at, items[-1].workflow_id) if more else None
        return Page(items=items, next_cursor=cursor)

    def _has_more(self, query: dict[str, Any], last: Workflow) -> bool:
        start = {
            **_key(last.workflow_id),
            **listing_key(_LIST_PK, last.created_at, last.workflow_id),
        }
        probe = dict(query, Limit=100, ExclusiveStartKey=start)
        while True:
            response = self._call("query", **probe)
            if response.get("Items"):
                return True
            if not response.get("LastEvaluatedKey"):
                return False
            probe["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- plumbing -----------------------------------------------------------------------------

    def _update(
        self,
        workflow_id: str,
        updates: dict[str, Any],
        condition: str,
        condition_values: dict[str, Any],
        target: WorkflowStatus | None,
    ) -> Workflow:
        names = {"#status": "status", "#version": "version"}
        values = dict(condition_values)
        values[":one"] = {"N": "1"}
        sets = ["#version = #version + :one"]
        removes: list[str] = []
        for i, (field, value) in enumerate(updates.items()):
            stored = _JSON_FIELDS.get(field, field)
            if field == "pending_approval":
                stored = "pending_approval_json"
                value = value.model_dump_json() if isinstance(value, PendingApproval) else value
            elif field in _JSON_FIELDS and value is not None:
                value = json.dumps(value, sort_keys=True, default=str)
            names[f"#f{i}"] = stored
            if value is None:
                removes.append(f"#f{i}")
            else:
                values[f":v{i}"] = _attr(value)
                sets.append(f"#f{i} = :v{i}")
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        try:
            response = self.ddb.update_item(
                TableName=self.table_name,
                Key=_key(workflow_id),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise UnavailableError(f"DynamoDB update failed: {error_code(exc)}") from exc
            current = self.get(workflow_id)  # NotFoundError when it does not exist
            if target is None:
                raise ConflictError(
                    f"workflow {workflow_id} is {current.status}; it can no longer be updated"
                ) from exc
            raise ConflictError(
                f"workflow {workflow_id} cannot move from {current.status} to {target}"
            ) from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"DynamoDB unreachable: {exc}") from exc
        return _to_workflow(response["Attributes"])

    def _call(self, operation: str, *, conflict: str = "conflict", **kwargs: Any) -> Any:
        return dynamodb_call(self.ddb, operation, conflict=conflict, **kwargs)
