"""In-memory fakes of every port (fashion_forecast.ports), shared by the use-case unit tests.

They keep the contract of the real adapters, checked by tests/contract against both: the same
conditional-write conflicts, not-found errors, ordering and pagination. They also let a test
steer what AWS would do (a state machine that cannot be reached, a token that has expired, a
connection that went away) and see what was done (executions started, messages posted).

`fake_container()` wires them into a ports.Container; a FakeClock makes every wait instant.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from fashion_forecast.domain import history
from fashion_forecast.domain.history import HistoryFileError, WeeklySales
from fashion_forecast.extraction.models import ExtractionResult
from fashion_forecast.models.approvals import ApprovalRecord, ApprovalStatus, Decision
from fashion_forecast.models.audit import AuditEntry, AuditQuery
from fashion_forecast.models.events import Event, WebSocketConnection
from fashion_forecast.models.sales import (
    CategorySummary,
    InventoryPosition,
    StoreWeekTotals,
    VarianceRecord,
    WeekActuals,
    WeeklyUpload,
    WeeklyUploadKey,
)
from fashion_forecast.models.workflows import (
    ALLOWED_SOURCES,
    WAITING_STATUSES,
    PendingApproval,
    Workflow,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.ports import (
    MAX_EVENT_PAGE,
    ConflictError,
    Container,
    EventPage,
    FunctionConfiguration,
    GoneError,
    InvalidCursorError,
    LanguageModelUnavailable,
    NotFoundError,
    Page,
    PostResult,
    UnavailableError,
)
from fashion_forecast.settings import Settings

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=Event)

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
CONNECTION_LIFETIME = dt.timedelta(hours=2, minutes=1)  # API Gateway's 2 h + a minute of slack


# -- clock and ids ---------------------------------------------------------------------------------


class FakeClock:
    """Starts at `start`; `sleep` (and `advance`) move both clocks on at once."""

    def __init__(self, start: dt.datetime = START) -> None:
        self._now = start
        self._monotonic = 1000.0
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += dt.timedelta(seconds=seconds)
        self._monotonic += seconds


class SequentialIds:
    """UUID-shaped ids 00000001-0000-0000-0000-000000000000, 00000002-..., in creation order
    (the counter leads, as a random id's first characters differ: upload ids use them)."""

    def __init__(self) -> None:
        self.count = 0

    def new_id(self) -> str:
        self.count += 1
        return str(uuid.UUID(int=self.count << 96))


# -- cursors ---------------------------------------------------------------------------------------


def _cursor(created: dt.datetime, item_id: str) -> str:
    raw = json.dumps({"c": created.isoformat(), "id": item_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        created, item_id = dt.datetime.fromisoformat(data["c"]), data["id"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidCursorError("cursor is not valid") from exc
    if not isinstance(item_id, str) or not 0 < len(item_id) <= 80 or created.tzinfo is None:
        raise InvalidCursorError("cursor is not valid")
    return created, item_id


def _page(
    items: list[Any], key: Callable[[Any], tuple[dt.datetime, str]], limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Newest first (by the instant, whatever the UTC offset), `limit` per page, continuing
    after `cursor`."""

    def order(created: dt.datetime, item_id: str) -> tuple[str, str]:
        return created.astimezone(dt.UTC).isoformat(), item_id

    ordered = sorted(items, key=lambda i: order(*key(i)), reverse=True)
    if cursor:
        mark = order(*_uncursor(cursor))
        ordered = [i for i in ordered if order(*key(i)) < mark]
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, _cursor(*key(page[-1])) if more and page else None


# -- stores ----------------------------------------------------------------------------------------


class FakeWorkflowStore:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.rows: dict[str, Workflow] = {}
        self.reachable = True

    def create(
        self,
        *,
        workflow_id: str,
        workflow_type: WorkflowType,
        category_id: str,
        input: dict[str, Any],
    ) -> Workflow:
        if workflow_id in self.rows:
            raise ConflictError(f"workflow {workflow_id} already exists")
        now = self.clock.now()
        workflow = Workflow(
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            status=WorkflowStatus.PENDING,
            category_id=category_id,
            input=json.loads(json.dumps(input, sort_keys=True, default=str)),
            created_at=now,
            updated_at=now,
        )
        self.rows[workflow_id] = workflow
        return workflow

    def get(self, workflow_id: str) -> Workflow:
        try:
            return self.rows[workflow_id]
        except KeyError:
            raise NotFoundError(f"workflow {workflow_id} not found") from None

    def get_many(self, workflow_ids: Sequence[str]) -> dict[str, Workflow]:
        if not self.reachable:
            raise UnavailableError("DynamoDB unreachable (fake)")
        return {i: self.rows[i] for i in workflow_ids if i in self.rows}

    def transition(
        self,
        workflow_id: str,
        target: WorkflowStatus,
        *,
        expected: WorkflowStatus | None = None,
        **fields: Any,
    ) -> Workflow:
        current = self.get(workflow_id)
        sources = set(ALLOWED_SOURCES[target])
        if expected is not None:
            sources &= {expected}
        if current.status not in sources:
            raise ConflictError(
                f"workflow {workflow_id} cannot move from {current.status} to {target}"
            )
        now = self.clock.now()
        updates: dict[str, Any] = {"status": target, "updated_at": now, **fields}
        if target is WorkflowStatus.RUNNING and expected not in WAITING_STATUSES:
            updates.setdefault("started_at", now)
        if target.is_terminal:
            updates.setdefault("completed_at", now)
        return self._update(current, updates)

    def update_progress(
        self, workflow_id: str, *, current_agent: str | None, progress_pct: int
    ) -> Workflow:
        if not 0 <= progress_pct <= 100:
            raise ValueError("progress_pct must be within 0..100")
        current = self.get(workflow_id)
        if current.status is not WorkflowStatus.RUNNING:
            raise ConflictError(
                f"workflow {workflow_id} is {current.status}; it can no longer be updated"
            )
        updates = {
            "current_agent": current_agent,
            "progress_pct": progress_pct,
            "updated_at": self.clock.now(),
        }
        return self._update(current, updates)

    def set_fields(self, workflow_id: str, **fields: Any) -> Workflow:
        current = self.get(workflow_id)
        if current.status.is_terminal:
            raise ConflictError(
                f"workflow {workflow_id} is {current.status}; it can no longer be updated"
            )
        return self._update(current, {**fields, "updated_at": self.clock.now()})

    def delete_pending(self, workflow_id: str) -> None:
        current = self.rows.get(workflow_id)
        if current is None or current.status is not WorkflowStatus.PENDING:
            raise ConflictError(f"workflow {workflow_id} is no longer pending")
        del self.rows[workflow_id]

    def list(
        self,
        *,
        status: WorkflowStatus | None = None,
        workflow_type: WorkflowType | None = None,
        category_id: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Workflow]:
        matching = [
            w
            for w in self.rows.values()
            if (status is None or w.status == status)
            and (workflow_type is None or w.workflow_type == workflow_type)
            and (category_id is None or w.category_id == category_id)
        ]
        items, next_cursor = _page(matching, lambda w: (w.created_at, w.workflow_id), limit, cursor)
        return Page(items=items, next_cursor=next_cursor)

    def check(self) -> None:
        if not self.reachable:
            raise UnavailableError("DynamoDB unreachable (fake)")

    def _update(self, current: Workflow, updates: dict[str, Any]) -> Workflow:
        data = current.model_dump()
        for name, value in updates.items():
            if isinstance(value, PendingApproval):
                value = value.model_dump()
            elif name in {"input", "output_data"} and value is not None:
                value = json.loads(json.dumps(value, sort_keys=True, default=str))
            data[name] = value
        data["version"] = current.version + 1
        updated = Workflow.model_validate(data)
        self.rows[current.workflow_id] = updated
        return updated


class FakeRecordStore:
    LISTED = frozenset({"forecast"})

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[str, int | None, BaseModel]] = {}

    def put(self, kind: str, record_id: str, record: BaseModel) -> None:
        if (kind, record_id) in self.items:
            raise ConflictError(f"{kind} {record_id} was changed concurrently or already exists")
        self._store(kind, record_id, record)

    def replace(self, kind: str, record_id: str, record: BaseModel) -> None:
        revision = getattr(record, "revision", None)
        if not isinstance(revision, int) or revision < 2:
            raise ValueError("replace needs a record whose revision was bumped from the stored one")
        stored = self.items.get((kind, record_id))
        if stored is None or stored[1] != revision - 1:
            raise ConflictError(f"{kind} {record_id} was changed concurrently or already exists")
        self._store(kind, record_id, record)

    def get(self, kind: str, record_id: str, model: type[M]) -> M:
        try:
            body = self.items[(kind, record_id)][0]
        except KeyError:
            raise NotFoundError(f"{kind} {record_id} not found") from None
        return model.model_validate_json(body)

    def list_recent(
        self,
        kind: str,
        model: type[M],
        *,
        limit: int = 20,
        cursor: str | None = None,
        category_id: str | None = None,
    ) -> Page[M]:
        if kind not in self.LISTED:
            raise ValueError(f"{kind} records are not listed")
        records = [
            (record_id, model.model_validate_json(body))
            for (k, record_id), (body, _, _) in self.items.items()
            if k == kind
        ]
        records = [r for r in records if category_id is None or r[1].category_id == category_id]
        page, next_cursor = _page(records, lambda r: (r[1].created_at, r[0]), limit, cursor)
        return Page(items=[r for _, r in page], next_cursor=next_cursor)

    def _store(self, kind: str, record_id: str, record: BaseModel) -> None:
        revision = getattr(record, "revision", None)
        self.items[(kind, record_id)] = (record.model_dump_json(), revision, record)


class FakeApprovalStore:
    def __init__(self) -> None:
        self.rows: dict[str, ApprovalRecord] = {}

    def create(self, approval: ApprovalRecord) -> None:
        if approval.approval_id in self.rows:
            raise ConflictError(f"approval {approval.approval_id} already exists")
        self.rows[approval.approval_id] = approval

    def get(self, approval_id: str) -> ApprovalRecord:
        try:
            return self.rows[approval_id]
        except KeyError:
            raise NotFoundError(f"approval {approval_id} not found") from None

    def decide(self, approval_id: str, decision: Decision) -> ApprovalRecord:
        approval = self.get(approval_id)
        decided = approval.model_copy(
            update={"status": ApprovalStatus.DECIDED, "decision": decision}
        )
        self._move(ApprovalStatus.PENDING, decided)
        return decided

    def reopen(self, approval: ApprovalRecord) -> None:
        reopened = approval.model_copy(update={"status": ApprovalStatus.PENDING, "decision": None})
        self._move(ApprovalStatus.DECIDED, reopened)

    def close(self, approval_id: str, status: ApprovalStatus) -> ApprovalRecord:
        closed = self.get(approval_id).model_copy(update={"status": status})
        self._move(ApprovalStatus.PENDING, closed)
        return closed

    def _move(self, expected: ApprovalStatus, record: ApprovalRecord) -> None:
        current = self.rows.get(record.approval_id)
        if current is None or current.status is not expected:
            raise ConflictError(f"approval {record.approval_id} is no longer {expected.value}")
        self.rows[record.approval_id] = record


class FakeInSeasonStore:
    def __init__(self) -> None:
        self.uploads: dict[tuple[str, str], WeeklyUpload] = {}
        self.actuals: dict[tuple[str, int], WeekActuals] = {}
        self.variance: dict[tuple[str, int], VarianceRecord] = {}
        self.positions: dict[str, InventoryPosition] = {}

    def create_upload(self, upload: WeeklyUpload) -> None:
        key = (upload.forecast_id, upload.upload_id)
        if key in self.uploads:
            raise ConflictError(f"upload {upload.upload_id} was changed concurrently")
        self.uploads[key] = upload

    def save_upload(self, upload: WeeklyUpload) -> None:
        key = (upload.forecast_id, upload.upload_id)
        stored = self.uploads.get(key)
        if stored is None or stored.revision != upload.revision - 1:
            raise ConflictError(f"upload {upload.upload_id} was changed concurrently")
        self.uploads[key] = upload

    def get_upload(self, forecast_id: str, upload_id: str) -> WeeklyUpload:
        try:
            return self.uploads[(forecast_id, upload_id)]
        except KeyError:
            raise NotFoundError(f"upload {upload_id} of forecast {forecast_id} not found") from None

    def put_actuals(self, actuals: WeekActuals) -> bool:
        key = (actuals.forecast_id, actuals.week)
        stored = self.actuals.get(key)
        if stored is not None and stored.upload_id > actuals.upload_id:
            return False
        self.actuals[key] = actuals
        return True

    def list_actuals(self, forecast_id: str) -> dict[int, WeekActuals]:
        return {w: a for (f, w), a in sorted(self.actuals.items()) if f == forecast_id}

    def save_variance(self, record: VarianceRecord) -> None:
        key = (record.forecast_id, record.week)
        stored = self.variance.get(key)
        fresh = record.revision == 1 and stored is None
        if not fresh and (stored is None or stored.revision != record.revision - 1):
            raise ConflictError(f"variance of week {record.week} was changed concurrently")
        self.variance[key] = record

    def get_variance(self, forecast_id: str, week: int) -> VarianceRecord:
        try:
            return self.variance[(forecast_id, week)]
        except KeyError:
            raise NotFoundError(
                f"variance of week {week} of forecast {forecast_id} not found"
            ) from None

    def list_variance(self, forecast_id: str) -> dict[int, VarianceRecord]:
        return {w: v for (f, w), v in sorted(self.variance.items()) if f == forecast_id}

    def save_position(self, position: InventoryPosition) -> None:
        stored = self.positions.get(position.forecast_id)
        fresh = position.revision == 1 and stored is None
        if not fresh and (stored is None or stored.revision != position.revision - 1):
            raise ConflictError(f"position of {position.forecast_id} was changed concurrently")
        self.positions[position.forecast_id] = position

    def get_position(self, forecast_id: str) -> InventoryPosition:
        try:
            return self.positions[forecast_id]
        except KeyError:
            raise NotFoundError(f"inventory position of forecast {forecast_id} not found") from None


class FakeEventLog:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.events: dict[str, list[Any]] = {}
        self.reachable = True
        self._lock = threading.Lock()

    def append(self, event: E) -> E:
        if not self.reachable:
            raise UnavailableError("DynamoDB unreachable (fake)")
        with self._lock:
            log = self.events.setdefault(event.workflow_id, [])
            stored = event.model_copy(
                update={"sequence": len(log) + 1, "timestamp": self.clock.now()}
            )
            log.append(stored)
        return stored

    def after(self, workflow_id: str, since: int = 0, limit: int = 100) -> EventPage:
        if since < 0:
            raise ValueError("since must be >= 0")
        if not 1 <= limit <= MAX_EVENT_PAGE:
            raise ValueError(f"limit must be within 1..{MAX_EVENT_PAGE}")
        later = [e for e in self.events.get(workflow_id, []) if e.sequence > since]
        return EventPage(events=later[:limit], has_more=len(later) > limit)


class FakeConnectionStore:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.rows: dict[str, WebSocketConnection] = {}

    def add(
        self,
        connection_id: str,
        workflow_id: str,
        *,
        connected_at: dt.datetime | None = None,
        source_ip: str | None = None,
        user_agent: str | None = None,
    ) -> WebSocketConnection:
        connected_at = connected_at or self.clock.now()
        expires = dt.datetime.fromtimestamp(
            int((connected_at + CONNECTION_LIFETIME).timestamp()), dt.UTC
        )
        connection = WebSocketConnection(
            connection_id=connection_id,
            workflow_id=workflow_id,
            connected_at=connected_at,
            expires_at=expires,
            source_ip=source_ip[:64] if source_ip else None,
            user_agent=user_agent[:512] if user_agent else None,
        )
        self.rows[connection_id] = connection
        return connection

    def get(self, connection_id: str) -> WebSocketConnection:
        connection = self.rows.get(connection_id)
        if connection is None or connection.expires_at <= self.clock.now():
            raise NotFoundError(f"connection {connection_id} not found")
        return connection

    def remove(self, connection_id: str) -> None:
        self.rows.pop(connection_id, None)

    def for_workflow(self, workflow_id: str) -> list[WebSocketConnection]:
        now = self.clock.now()
        live = [
            c for c in self.rows.values() if c.workflow_id == workflow_id and c.expires_at > now
        ]
        return sorted(live, key=lambda c: (c.connected_at, c.connection_id))


class FakePublisher:
    """Appends to the fake event log, then "posts" to the workflow's connections: what each
    connection received is in `sent`. Connections in `gone` went away (they are deleted on
    the first post); with `enabled` False there is no WebSocket endpoint (events are only
    appended)."""

    def __init__(self, log: FakeEventLog, connections: FakeConnectionStore) -> None:
        self.log = log
        self.connections = connections
        self.sent: dict[str, list[BaseModel]] = {}
        self.gone: set[str] = set()
        self.enabled = True

    def publish(self, event: E) -> E | None:
        try:
            stored = self.log.append(event)
        except Exception:
            return None
        for connection in self.connections.for_workflow(event.workflow_id):
            self.send(connection.connection_id, stored)
        return stored

    def send(self, connection_id: str, message: BaseModel) -> PostResult:
        if not self.enabled:
            return PostResult.DISABLED
        if connection_id in self.gone:
            self.connections.remove(connection_id)
            return PostResult.GONE
        self.sent.setdefault(connection_id, []).append(message)
        return PostResult.SENT

    def published(self, workflow_id: str) -> list[Any]:
        return list(self.log.events.get(workflow_id, []))


@dataclass
class Execution:
    name: str
    input: dict[str, Any]
    status: str = "RUNNING"
    stop_cause: str | None = None


class FakeStateMachine:
    """Executions by name. A task token is usable once `waiting(token)` registered it (as the
    approval step's Lambda would receive it); `expire(token)` makes it time out. With
    `reachable` False every call is UnavailableError."""

    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:fake-workflows"

    def __init__(self) -> None:
        self.executions: dict[str, Execution] = {}
        self.tokens: dict[str, str] = {}  # token -> "waiting" | "expired" | "succeeded" | "failed"
        self.task_output: dict[str, dict[str, Any]] = {}
        self.task_failures: dict[str, tuple[str, str]] = {}
        self.reachable = True
        self.exists = True
        self.deployed: dict[str, Any] = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        self.histories: dict[str, list[dict[str, Any]]] = {}  # execution ARN -> events

    def execution_arn(self, name: str) -> str:
        prefix, _, machine = self.arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def start(self, name: str, payload: dict[str, Any]) -> str:
        self._reach()
        if not self.exists:
            raise UnavailableError("the workflow state machine does not exist")
        payload = json.loads(json.dumps(payload, default=str))
        existing = self.executions.get(name)
        if existing is not None:
            # as Step Functions: the same name and input while it runs is the same execution
            if existing.status == "RUNNING" and existing.input == payload:
                return self.execution_arn(name)
            raise ConflictError(f"execution {name} already exists")
        self.executions[name] = Execution(name, payload)
        return self.execution_arn(name)

    def stop(self, execution_arn: str, *, cause: str) -> None:
        self._reach()
        name = execution_arn.rsplit(":", 1)[1]
        execution = self.executions.get(name)
        if execution is not None and execution.status == "RUNNING":
            execution.status, execution.stop_cause = "ABORTED", cause

    def waiting(self, token: str) -> None:
        self.tokens[token] = "waiting"

    def expire(self, token: str) -> None:
        self.tokens[token] = "expired"

    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None:
        self._reach()
        if self.tokens.get(task_token) != "waiting":
            raise GoneError(
                "the approval's task token is no longer valid (TaskTimedOut)",
                code="approval_expired",
            )
        self.tokens[task_token] = "succeeded"
        self.task_output[task_token] = output

    def send_task_failure(self, task_token: str, *, error: str, cause: str) -> None:
        self._reach()
        if self.tokens.get(task_token) == "waiting":
            self.tokens[task_token] = "failed"
            self.task_failures[task_token] = (error, cause)

    def check(self) -> None:
        self._reach()
        if not self.exists:
            raise NotFoundError("state machine does not exist")

    def definition(self) -> dict[str, Any]:
        self.check()
        return json.loads(json.dumps(self.deployed))

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        self._reach()
        name = execution_arn.rsplit(":", 1)[1]
        if name not in self.executions and execution_arn not in self.histories:
            raise NotFoundError("the workflow's execution does not exist")
        return list(self.histories.get(execution_arn, []))

    def _reach(self) -> None:
        if not self.reachable:
            raise UnavailableError("Step Functions unreachable (fake)")


class FakeFunctionCatalog:
    """Function configurations by name (`add` one)."""

    def __init__(self) -> None:
        self.functions: dict[str, FunctionConfiguration] = {}

    def add(self, name: str, *, timeout: int = 29, memory: int = 512) -> FunctionConfiguration:
        configuration = FunctionConfiguration(
            function_name=name,
            function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
            timeout_seconds=timeout,
            memory_mb=memory,
            package_type="Zip",
            runtime="python3.11",
            last_modified=None,
        )
        self.functions[name] = configuration
        return configuration

    def configuration(self, function_name: str) -> FunctionConfiguration:
        name = function_name.rsplit(":function:", 1)[-1]
        if name not in self.functions:
            raise NotFoundError(f"function {function_name} does not exist")
        return self.functions[name]


class FakeNotifier:
    """Records every notification: (subject, message)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def notify(self, subject: str, message: dict[str, Any]) -> bool:
        self.sent.append((subject, json.loads(json.dumps(message, default=str))))
        return True


class FakeAuditLog:
    """Entries by id; append only (a second append of an id is a ConflictError)."""

    def __init__(self) -> None:
        self.entries: dict[str, AuditEntry] = {}

    def append(self, entry: AuditEntry) -> AuditEntry:
        if entry.entry_id in self.entries:
            raise ConflictError(f"audit entry {entry.entry_id} already exists")
        self.entries[entry.entry_id] = entry
        return entry

    def list(
        self, query: AuditQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[AuditEntry]:
        def keep(e: AuditEntry) -> bool:
            return (
                (query.entity_type is None or e.entity_type == query.entity_type)
                and (query.entity_id is None or e.entity_id == query.entity_id)
                and (query.actor is None or e.actor == query.actor)
                and (query.since is None or e.timestamp >= query.since)
                and (query.until is None or e.timestamp <= query.until)
            )

        items, next_cursor = _page(
            [e for e in self.entries.values() if keep(e)],
            lambda e: (e.timestamp, e.entry_id),
            limit,
            cursor,
        )
        return Page(items=items, next_cursor=next_cursor)


class FakeSalesStore:
    """History per category, the store list and uploaded files. `on_weekly_upload(key, data)`
    plays the S3 notification (called inside put_weekly_upload, as moto does)."""

    def __init__(self, bucket: str = "fake-data-bucket") -> None:
        self._bucket = bucket
        self.history: dict[str, list[WeeklySales]] = {}
        self.unreadable: dict[str, str] = {}  # category -> HistoryFileError message
        self.saved: dict[str, int] = {}  # category -> how many times its history was saved
        self.totals: StoreWeekTotals | None = None
        self.stores: list[dict[str, Any]] = []
        self.objects: dict[str, bytes] = {}
        self.on_weekly_upload: Callable[[WeeklyUploadKey, bytes], None] | None = None
        self.reachable = True

    @property
    def bucket(self) -> str:
        return self._bucket

    def categories(self) -> list[str]:
        return sorted(self.history)

    def category_history(self, category: str) -> list[WeeklySales]:
        if category in self.unreadable:
            raise HistoryFileError(self.unreadable[category])
        try:
            return list(self.history[category])
        except KeyError:
            raise NotFoundError(f"no history for category {category}") from None

    def make_unreadable(self, category: str, message: str) -> None:
        """Stand-in for a stored file that fails to read back (see the adapter's contract)."""
        self.history.setdefault(category, [])
        self.saved[category] = self.saved.get(category, 0) + 1
        self.unreadable[category] = message

    def category_summary(self, category: str) -> CategorySummary:
        rows = self.history.get(category)
        if not rows:
            raise NotFoundError(f"no history for category {category}")
        return history.summarize(category, rows)

    def save_category_history(self, category: str, rows: list[WeeklySales]) -> None:
        # through the stored form, as S3 keeps it (amounts to the cent)
        self.history[category] = history.from_csv(history.to_csv(rows))
        self.unreadable.pop(category, None)
        self.saved[category] = self.saved.get(category, 0) + 1

    def history_versions(self) -> dict[str, str]:
        """A version per category that changes with every save (as an S3 ETag would)."""
        return {c: f"v{self.saved.get(c, 0)}" for c in sorted(self.history)}

    def store_week_totals(self) -> StoreWeekTotals:
        if self.totals is None:
            raise NotFoundError("no store-week totals saved")
        return self.totals

    def save_store_week_totals(self, totals: StoreWeekTotals) -> None:
        self.totals = totals.model_copy(deep=True)

    def store_attributes(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.stores]

    def save_store_attributes(self, text: str) -> None:
        import csv
        import io

        self.stores = list(csv.DictReader(io.StringIO(text)))

    def save_raw_upload(self, kind: str, upload_id: str, data: bytes) -> str:
        key = f"uploads/{kind}/{upload_id}.csv"
        self.objects[key] = data
        return key

    def put_weekly_upload(self, key: WeeklyUploadKey, data: bytes) -> str:
        if not self.reachable:
            raise UnavailableError("S3 put_object failed (fake)")
        self.objects[key.key] = data
        if self.on_weekly_upload is not None:
            self.on_weekly_upload(key, data)
        return f"etag-{len(self.objects)}"

    def weekly_upload_url(self, key: WeeklyUploadKey, expires_in: int) -> str:
        return f"https://{self._bucket}.s3.test/{key.key}?expires={expires_in}"

    def read_upload(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise NotFoundError(f"s3://{self._bucket}/{key} not found") from None


class FakeFunctionInvoker:
    """Answers with `handler(payload)`; records every payload."""

    def __init__(self, handler: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.handler = handler or (lambda payload: {})
        self.payloads: list[dict[str, Any]] = []
        self.reachable = True

    def invoke(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        if not self.reachable:
            raise UnavailableError("Lambda DemandFunction failed (fake)")
        return self.handler(json.loads(json.dumps(payload, default=str)))


class FakeLanguageModel:
    """Answers `result`, or raises `unavailable` (default: no key configured)."""

    def __init__(
        self,
        result: ExtractionResult | None = None,
        unavailable: LanguageModelUnavailable | None = None,
    ) -> None:
        self.result = result
        self.unavailable = unavailable or LanguageModelUnavailable(
            "no OpenAI API key is configured", attempted=False
        )
        self.calls: list[tuple[str, dt.date]] = []

    def extract(self, text: str, today: dt.date) -> ExtractionResult:
        self.calls.append((text, today))
        if self.result is None:
            raise self.unavailable
        return self.result


# -- the container ---------------------------------------------------------------------------------


def fake_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "TABLE_NAME": "fake-table",
        "DATA_BUCKET": "fake-data-bucket",
        "STATE_MACHINE_ARN": FakeStateMachine.arn,
        "DEMAND_FUNCTION_NAME": "fake-demand",
        "WEBSOCKET_URL": "wss://ws.fake.test/Prod",
        "OPENAI_API_KEY": None,
        "OPENAI_API_KEY_PARAMETER": None,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Fakes:
    """The fakes of one Container, typed as themselves (so a test can steer them)."""

    clock: FakeClock = field(default_factory=FakeClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    workflows: FakeWorkflowStore = field(init=False)
    records: FakeRecordStore = field(default_factory=FakeRecordStore)
    approvals: FakeApprovalStore = field(default_factory=FakeApprovalStore)
    in_season: FakeInSeasonStore = field(default_factory=FakeInSeasonStore)
    event_log: FakeEventLog = field(init=False)
    connections: FakeConnectionStore = field(init=False)
    publisher: FakePublisher = field(init=False)
    state_machine: FakeStateMachine = field(default_factory=FakeStateMachine)
    sales: FakeSalesStore = field(default_factory=FakeSalesStore)
    demand_function: FakeFunctionInvoker = field(default_factory=FakeFunctionInvoker)
    language_model: FakeLanguageModel = field(default_factory=FakeLanguageModel)
    functions: FakeFunctionCatalog = field(default_factory=FakeFunctionCatalog)
    audit: FakeAuditLog = field(default_factory=FakeAuditLog)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)

    def __post_init__(self) -> None:
        self.workflows = FakeWorkflowStore(self.clock)
        self.event_log = FakeEventLog(self.clock)
        self.connections = FakeConnectionStore(self.clock)
        self.publisher = FakePublisher(self.event_log, self.connections)

    def container(self, **settings: Any) -> Container:
        return Container(
            settings=fake_settings(**settings),
            clock=self.clock,
            ids=self.ids,
            workflows=self.workflows,
            records=self.records,
            approvals=self.approvals,
            in_season=self.in_season,
            event_log=self.event_log,
            connections=self.connections,
            publisher=self.publisher,
            state_machine=self.state_machine,
            sales=self.sales,
            demand_function=self.demand_function,
            language_model=self.language_model,
            functions=self.functions,
            audit=self.audit,
            notifier=self.notifier,
        )


def fake_container(**settings: Any) -> tuple[Container, Fakes]:
    fakes = Fakes()
    return fakes.container(**settings), fakes
