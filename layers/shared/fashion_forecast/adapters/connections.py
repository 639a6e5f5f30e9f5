"""WebSocket connections: who listens to which workflow, and the API Gateway management API
that sends to them.

Item layout: pk = "CONN#<connection id>", sk = "CONNECTION"; GSI1 (gsi1pk = "WFCONN#<workflow
id>", gsi1sk = "<connected_at>#<connection id>") lists a workflow's connections. Items carry the
table's TTL attribute `expires_at_epoch`: API Gateway closes a connection after two hours at the
latest, so a connection whose $disconnect never arrived disappears on its own. TTL deletion is
lazy, so reads skip expired items themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.adapters.aws import (
    GSI1,
    DynamoTable,
    client,
    dynamodb_call,
    error_code,
    listing_key,
    timestamp,
    utcnow,
)
from fashion_forecast.models.events import WebSocketConnection
from fashion_forecast.ports import GoneError, NotFoundError, UnavailableError

# API Gateway's maximum connection duration; the TTL adds a minute of slack.
MAX_CONNECTION_DURATION = dt.timedelta(hours=2)
_TTL_SLACK = dt.timedelta(minutes=1)


def _key(connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONN#{connection_id}"}, "sk": {"S": "CONNECTION"}}


def _to_connection(item: dict[str, Any]) -> WebSocketConnection:
    return WebSocketConnection(
        connection_id=item["connection_id"]["S"],
        workflow_id=item["workflow_id"]["S"],
        connected_at=dt.datetime.fromisoformat(item["connected_at"]["S"]),
        expires_at=dt.datetime.fromtimestamp(int(item["expires_at_epoch"]["N"]), dt.UTC),
        source_ip=item.get("source_ip", {}).get("S"),
        user_agent=item.get("user_agent", {}).get("S"),
    )


class ConnectionStore(DynamoTable):
    def add(
        self,
        connection_id: str,
        workflow_id: str,
        *,
        connected_at: dt.datetime | None = None,
        source_ip: str | None = None,
        user_agent: str | None = None,
    ) -> WebSocketConnection:
        connected_at = connected_at or utcnow()
        expires = int((connected_at + MAX_CONNECTION_DURATION + _TTL_SLACK).timestamp())
        source_ip = source_ip[:64] if source_ip else None  # what is stored is what is returned
        user_agent = user_agent[:512] if user_agent else None
        connection = WebSocketConnection(
            connection_id=connection_id,
            workflow_id=workflow_id,
            connected_at=connected_at,
            expires_at=dt.datetime.fromtimestamp(expires, dt.UTC),
            source_ip=source_ip,
            user_agent=user_agent,
        )
        item: dict[str, Any] = {
            **_key(connection_id),
            "entity": {"S": "connection"},
            **listing_key(f"WFCONN#{workflow_id}", connected_at, connection_id),
            "connection_id": {"S": connection_id},
            "workflow_id": {"S": workflow_id},
            "connected_at": {"S": timestamp(connected_at)},
            "expires_at_epoch": {"N": str(expires)},
        }
        if source_ip:
            item["source_ip"] = {"S": source_ip}
        if user_agent:
            item["user_agent"] = {"S": user_agent}
        dynamodb_call(self.ddb, "put_item", TableName=self.table_name, Item=item)
        return connection

    def get(self, connection_id: str) -> WebSocketConnection:
        response = dynamodb_call(
            self.ddb,
            "get_item",
            TableName=self.table_name,
            Key=_key(connection_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item or int(item["expires_at_epoch"]["N"]) <= utcnow().timestamp():
            raise NotFoundError(f"connection {connection_id} not found")
        return _to_connection(item)

    def remove(self, connection_id: str) -> None:
        """Forget a connection (no-op if it is already gone)."""
        dynamodb_call(self.ddb, "delete_item", TableName=self.table_name, Key=_key(connection_id))

    def for_workflow(self, workflow_id: str) -> list[WebSocketConnection]:
        """The workflow's live connections, oldest first."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :pk",
            "FilterExpression": "expires_at_epoch > :now",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"WFCONN#{workflow_id}"},
                ":now": {"N": str(int(utcnow().timestamp()))},
            },
        }
        connections: list[WebSocketConnection] = []
        while True:
            response = dynamodb_call(self.ddb, "query", **query)
            connections.extend(_to_connection(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return connections
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class ConnectionApi:
    """The API Gateway management API (@connections) of one WebSocket stage.

    `endpoint` is https://<api id>.execute-api.<region>.amazonaws.com/<stage> in AWS and the
    local runtime's own HTTP address locally. GoneException (the client went away) becomes
    GoneError; any other failure UnavailableError.
    """

    def __init__(self, endpoint: str, management_client: Any | None = None) -> None:
        self.endpoint = endpoint
        self._client = management_client

    @property
    def api(self) -> Any:
        return self._client or client("apigatewaymanagementapi", endpoint_url=self.endpoint)

    def post(self, connection_id: str, data: bytes) -> None:
        self._call("post_to_connection", connection_id, Data=data)

    def delete(self, connection_id: str) -> None:
        self._call("delete_connection", connection_id)

    def _call(self, operation: str, connection_id: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.api, operation)(ConnectionId=connection_id, **kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code == "GoneException":
                raise GoneError(f"connection {connection_id} is gone") from exc
            raise UnavailableError(f"{operation} to {connection_id} failed: {code}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"{operation} to {connection_id} failed: {exc}") from exc
