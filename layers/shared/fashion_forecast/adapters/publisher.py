"""The ports.EventPublisher port: append a workflow's progress event to its event log, then
post it to the workflow's WebSocket connections.

The event log is the source of truth: an event is posted only once it has its sequence number,
so a client that missed a post (not connected yet, a failed post) gets it by replay or from GET
/api/workflows/{id}/events. Posting is best effort: a GoneException means the client went away
and its connection is deleted; any other post error is logged and the next connection is tried.

`publish` never raises: progress reporting must never fail a workflow (the workflow row is what
decides its status). If the append itself fails (DynamoDB unavailable after the client's
retries, or the log kept losing races), the event is logged as dropped and not posted; numbering
stays gap-free because a sequence is only taken by a stored event.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from fashion_forecast.adapters.connections import ConnectionApi
from fashion_forecast.models.events import Event, WebSocketConnection
from fashion_forecast.ports import ConnectionStore, EventLog, GoneError, PostResult

logger = Logger(service="fashion-forecast-events")

E = TypeVar("E", bound=Event)

FAN_OUT_WORKERS = 8


@dataclass
class Delivery:
    """What posting one event to its workflow's connections did."""

    results: dict[str, PostResult] = field(default_factory=dict)

    def count(self, result: PostResult) -> int:
        return sum(1 for r in self.results.values() if r is result)


class ProgressPublisher:
    def __init__(
        self,
        log: EventLog,
        connections: ConnectionStore,
        api: ConnectionApi | None,
    ) -> None:
        """`api` is None when no WebSocket management endpoint is configured: events are then
        only appended (clients can still poll them)."""
        self.log = log
        self.connections = connections
        self.api = api
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def publish(self, event: E) -> E | None:
        """Append `event` to its workflow's log, then post it to the workflow's connections.
        Returns the stored event (with its sequence), or None if it could not be appended.
        Never raises."""
        try:
            stored = self.log.append(event)
        except Exception:
            logger.exception(
                "progress event dropped: could not append it to the event log",
                extra={"workflow_id": event.workflow_id, "event_type": event.type.value},
            )
            return None
        try:
            self.broadcast(stored)
        except Exception:  # never fail the caller; the event is in the log for replay
            logger.exception("progress event not posted", extra={"workflow_id": event.workflow_id})
        return stored

    def broadcast(self, event: Event) -> Delivery:
        """Post an appended event to every connection of its workflow."""
        if self.api is None:
            return Delivery()
        connections = self.connections.for_workflow(event.workflow_id)
        return self.post_all(connections, event.model_dump_json().encode())

    def post_all(self, connections: Iterable[WebSocketConnection], data: bytes) -> Delivery:
        targets = [c.connection_id for c in connections]
        delivery = Delivery()
        if len(targets) <= 1:
            delivery.results = {cid: self.send(cid, data) for cid in targets}
        else:
            results = self._executor().map(lambda cid: self.send(cid, data), targets)
            delivery.results = dict(zip(targets, results, strict=True))
        return delivery

    def send(self, connection_id: str, message: BaseModel | bytes) -> PostResult:
        """Post one message to one connection; a gone connection is deleted. Never raises."""
        if self.api is None:
            return PostResult.DISABLED
        data = message if isinstance(message, bytes) else message.model_dump_json().encode()
        try:
            self.api.post(connection_id, data)
        except GoneError:
            logger.info("connection gone; deleting it", extra={"connection_id": connection_id})
            try:
                self.connections.remove(connection_id)
            except Exception:
                logger.exception("could not delete a gone connection")
            return PostResult.GONE
        except Exception as exc:
            logger.warning(
                "could not post to connection",
                extra={"connection_id": connection_id, "error": str(exc)},
            )
            return PostResult.FAILED
        return PostResult.SENT

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=FAN_OUT_WORKERS, thread_name_prefix="event-fan-out"
                )
            return self._pool
