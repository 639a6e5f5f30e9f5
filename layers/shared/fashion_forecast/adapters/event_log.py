"""The append-only event log of each workflow, in the single DynamoDB table.

Item layout: pk = "WF#<workflow id>" (next to the workflow row), sk = "EVT#<sequence, 10
digits>", body = the event as JSON. Sequences are 1, 2, 3, ... per workflow without gaps or
duplicates, also with concurrent writers: an append reads the latest sequence n and writes
n + 1 with a condition that the item does not exist yet. A writer that loses the race re-reads
and tries the next number, so a number is only ever taken by a complete event, and event n + 1
can only be written once n exists. The write is a single-item conditional put: cheaper than a
counter item updated in a transaction (one write instead of two, no transaction surcharge), with
the same guarantee. Events are never updated or deleted.
"""

from __future__ import annotations

import random
import time
from typing import Any, TypeVar

from fashion_forecast.adapters.aws import client, dynamodb_call, utcnow
from fashion_forecast.models.events import AnyEvent, Event, parse_event
from fashion_forecast.ports import MAX_EVENT_PAGE, ConflictError, EventPage

E = TypeVar("E", bound=Event)

_PREFIX = "EVT#"
_WIDTH = 10
_LAST = _PREFIX + "9" * _WIDTH


def _pk(workflow_id: str) -> str:
    return f"WF#{workflow_id}"


def _sk(sequence: int) -> str:
    return f"{_PREFIX}{sequence:0{_WIDTH}d}"


class EventLog:
    def __init__(
        self, table_name: str, dynamodb: Any | None = None, *, max_attempts: int = 50
    ) -> None:
        self.table_name = table_name
        self._ddb = dynamodb
        self.max_attempts = max_attempts

    @property
    def ddb(self) -> Any:
        return self._ddb or client("dynamodb")

    def append(self, event: E) -> E:
        """Store `event` as the workflow's next event; returns it with its sequence and
        timestamp. Raises ConflictError if it kept losing races (max_attempts), or
        UnavailableError."""
        workflow_id = event.workflow_id
        latest = self.latest_sequence(workflow_id)
        for attempt in range(1, self.max_attempts + 1):
            stored = event.model_copy(update={"sequence": latest + 1, "timestamp": utcnow()})
            try:
                self._put(stored)
            except ConflictError:
                if attempt > 2:  # crowded: spread the writers out a little
                    time.sleep(random.uniform(0, 0.002 * attempt))
                latest = max(latest + 1, self.latest_sequence(workflow_id))
                continue
            return stored
        raise ConflictError(
            f"could not append to the event log of workflow {workflow_id} "
            f"after {self.max_attempts} attempts"
        )

    def _put(self, event: Event) -> None:
        dynamodb_call(
            self.ddb,
            "put_item",
            conflict=f"event {event.sequence} of workflow {event.workflow_id} exists",
            TableName=self.table_name,
            Item={
                "pk": {"S": _pk(event.workflow_id)},
                "sk": {"S": _sk(event.sequence)},
                "entity": {"S": "event"},
                "workflow_id": {"S": event.workflow_id},
                "sequence": {"N": str(event.sequence)},
                "event_type": {"S": event.type.value},
                "created_at": {"S": event.timestamp.isoformat()},
                "body": {"S": event.model_dump_json()},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def latest_sequence(self, workflow_id: str) -> int:
        """The sequence of the workflow's last event (0 when it has none)."""
        response = dynamodb_call(
            self.ddb,
            "query",
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": {"S": _pk(workflow_id)},
                ":prefix": {"S": _PREFIX},
            },
            ProjectionExpression="#sequence",
            ExpressionAttributeNames={"#sequence": "sequence"},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = response.get("Items", [])
        return int(items[0]["sequence"]["N"]) if items else 0

    def after(self, workflow_id: str, since: int = 0, limit: int = 100) -> EventPage:
        """The events with sequence > `since`, oldest first, at most `limit` (<= MAX_EVENT_PAGE)."""
        if since < 0:
            raise ValueError("since must be >= 0")
        if not 1 <= limit <= MAX_EVENT_PAGE:
            raise ValueError(f"limit must be within 1..{MAX_EVENT_PAGE}")
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {
                ":pk": {"S": _pk(workflow_id)},
                ":first": {"S": _sk(since + 1)},
                ":last": {"S": _LAST},
            },
            "ProjectionExpression": "body",
            "ConsistentRead": True,
        }
        events: list[AnyEvent] = []
        while len(events) <= limit:
            query["Limit"] = limit + 1 - len(events)
            response = dynamodb_call(self.ddb, "query", **query)
            events.extend(parse_event(item["body"]["S"]) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return EventPage(events=events[:limit], has_more=len(events) > limit)
