"""The ports: what the use cases (fashion_forecast.app) need from the outside world.

Each port is a `typing.Protocol`. fashion_forecast.adapters implements them on AWS (boto3);
tests/fakes.py implements them in memory, and tests/contract runs one suite against both so
the fakes behave like the real thing (conditional-write conflicts, pagination, not found).
`Container` holds one implementation of each; fashion_forecast.container builds it from the
settings once per process, tests build it from fakes.

Errors are part of the contract: every port raises NotFoundError, ConflictError, GoneError or
UnavailableError (never a botocore type), and the API maps them to HTTP once
(fashion_forecast.api.errors).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from fashion_forecast.domain.history import WeeklySales
from fashion_forecast.extraction.models import ExtractionResult
from fashion_forecast.models.approvals import ApprovalRecord, ApprovalStatus, Decision
from fashion_forecast.models.audit import AuditEntry, AuditQuery
from fashion_forecast.models.events import AnyEvent, Event, WebSocketConnection
from fashion_forecast.models.sales import (
    CategorySummary,
    InventoryPosition,
    StoreWeekTotals,
    VarianceRecord,
    WeekActuals,
    WeeklyUpload,
    WeeklyUploadKey,
)
from fashion_forecast.models.workflows import Workflow, WorkflowStatus, WorkflowType
from fashion_forecast.settings import Settings

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=Event)
T = TypeVar("T")

MAX_EVENT_PAGE = 1000  # events per EventLog.after call

# -- errors --------------------------------------------------------------------------------------


class AdapterError(Exception):
    """What a port (or a use case about what a port holds) raises. `code`, when given, is the
    error_code a client sees instead of the class default; `details` are shown with it."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or []


class NotFoundError(AdapterError):
    """The item or resource does not exist."""


class ConflictError(AdapterError):
    """A conditional write lost: illegal transition, duplicate, or a concurrent change."""


class UnavailableError(AdapterError):
    """A dependency could not be reached or refused the call."""


class GoneError(AdapterError):
    """The thing existed but can no longer be used (e.g. an expired task token)."""


class InvalidCursorError(ValueError):
    """A list cursor that the store did not issue."""


# -- values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class EventPage:
    events: list[AnyEvent]
    has_more: bool

    @property
    def last_sequence(self) -> int | None:
        return self.events[-1].sequence if self.events else None


class PostResult(StrEnum):
    """What posting one message to one WebSocket connection did."""

    SENT = "sent"
    GONE = "gone"  # the client went away; its connection was deleted
    FAILED = "failed"  # logged, connection kept
    DISABLED = "disabled"  # no WebSocket management endpoint configured


# -- the ports -----------------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class IdSource(Protocol):
    def new_id(self) -> str:
        """A fresh random identifier (a UUID4 string)."""


class WorkflowStore(Protocol):
    """Workflow rows. Every status change is conditional on the statuses it may come from
    (models.workflows.ALLOWED_SOURCES): an illegal or concurrent change is a ConflictError."""

    def create(
        self,
        *,
        workflow_id: str,
        workflow_type: WorkflowType,
        category_id: str,
        input: dict[str, Any],
    ) -> Workflow:
        """A new pending workflow; ConflictError if the id exists."""

    def get(self, workflow_id: str) -> Workflow: ...

    def get_many(self, workflow_ids: Sequence[str]) -> dict[str, Workflow]:
        """The workflows of those ids that exist, by id (consistent reads)."""

    def transition(
        self,
        workflow_id: str,
        target: WorkflowStatus,
        *,
        expected: WorkflowStatus | None = None,
        **fields: Any,
    ) -> Workflow:
        """Move to `target` (from exactly `expected` when given) and set `fields` in the same
        write; a field set to None is removed."""

    def update_progress(
        self, workflow_id: str, *, current_agent: str | None, progress_pct: int
    ) -> Workflow:
        """Progress of a running workflow; ConflictError once it is not running."""

    def set_fields(self, workflow_id: str, **fields: Any) -> Workflow:
        """Non-status fields of an unfinished workflow; ConflictError once it has finished."""

    def delete_pending(self, workflow_id: str) -> None:
        """Remove a workflow that never started; ConflictError unless it is pending."""

    def list(
        self,
        *,
        status: WorkflowStatus | None = None,
        workflow_type: WorkflowType | None = None,
        category_id: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Workflow]:
        """Newest first; InvalidCursorError for a cursor this store did not issue."""

    def check(self) -> None:
        """Raise unless the store is reachable (readiness)."""


class RecordStore(Protocol):
    """Result records (forecast, allocation, markdown) as documents by kind and id."""

    def put(self, kind: str, record_id: str, record: BaseModel) -> None:
        """A new record; ConflictError if it exists."""

    def replace(self, kind: str, record_id: str, record: BaseModel) -> None:
        """Overwrite the record stored at revision r with `record` at revision r + 1;
        ConflictError if the stored one is no longer at r."""

    def get(self, kind: str, record_id: str, model: type[M]) -> M: ...

    def list_recent(
        self,
        kind: str,
        model: type[M],
        *,
        limit: int = 20,
        cursor: str | None = None,
        category_id: str | None = None,
    ) -> Page[M]:
        """Forecasts newest first; InvalidCursorError for a foreign cursor."""


class ApprovalStore(Protocol):
    def create(self, approval: ApprovalRecord) -> None: ...

    def get(self, approval_id: str) -> ApprovalRecord: ...

    def decide(self, approval_id: str, decision: Decision) -> ApprovalRecord:
        """pending -> decided; a second decision is a ConflictError."""

    def reopen(self, approval: ApprovalRecord) -> None:
        """decided -> pending (the decision could not be delivered)."""

    def close(self, approval_id: str, status: ApprovalStatus) -> ApprovalRecord:
        """pending -> cancelled or expired; ConflictError unless pending."""


class InSeasonStore(Protocol):
    """Uploads, actuals, variance rows and the inventory position next to their forecast."""

    def create_upload(self, upload: WeeklyUpload) -> None: ...

    def save_upload(self, upload: WeeklyUpload) -> None:
        """Replace the upload stored at revision r with `upload` at r + 1."""

    def get_upload(self, forecast_id: str, upload_id: str) -> WeeklyUpload: ...

    def put_actuals(self, actuals: WeekActuals) -> bool:
        """Store a week's actuals unless a later upload (by upload id) already did; returns
        whether these numbers are now the stored ones."""

    def list_actuals(self, forecast_id: str) -> dict[int, WeekActuals]: ...

    def save_variance(self, record: VarianceRecord) -> None:
        """New at revision 1, else replacing revision r - 1; ConflictError otherwise."""

    def get_variance(self, forecast_id: str, week: int) -> VarianceRecord: ...

    def list_variance(self, forecast_id: str) -> dict[int, VarianceRecord]: ...

    def save_position(self, position: InventoryPosition) -> None:
        """The season's inventory position: new at revision 1, else replacing revision r - 1;
        ConflictError otherwise."""

    def get_position(self, forecast_id: str) -> InventoryPosition: ...


class EventLog(Protocol):
    """Each workflow's append-only, gap-free numbered event log."""

    def append(self, event: E) -> E:
        """Store `event` as the next one; returns it with its sequence and timestamp."""

    def after(self, workflow_id: str, since: int = 0, limit: int = 100) -> EventPage:
        """Events with sequence > `since`, oldest first, at most `limit` (1..MAX_EVENT_PAGE)."""


class ConnectionStore(Protocol):
    """WebSocket connections and the workflow each follows."""

    def add(
        self,
        connection_id: str,
        workflow_id: str,
        *,
        connected_at: dt.datetime | None = None,
        source_ip: str | None = None,
        user_agent: str | None = None,
    ) -> WebSocketConnection: ...

    def get(self, connection_id: str) -> WebSocketConnection: ...

    def remove(self, connection_id: str) -> None:
        """Forget a connection (no-op when it is already gone)."""

    def for_workflow(self, workflow_id: str) -> list[WebSocketConnection]: ...


class EventPublisher(Protocol):
    """Progress events: appended to the event log, then posted to the workflow's WebSocket
    connections. Never raises: progress reporting must never fail a workflow."""

    def publish(self, event: E) -> E | None:
        """The stored event (with its sequence), or None when it could not be appended."""

    def send(self, connection_id: str, message: BaseModel) -> PostResult:
        """One message to one connection; a gone connection is deleted."""


class StateMachine(Protocol):
    """The workflow state machine (Step Functions)."""

    def execution_arn(self, name: str) -> str: ...

    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Start an execution named `name`; returns its ARN. Starting a running execution
        again with the same input returns it; any other existing name is a ConflictError."""

    def stop(self, execution_arn: str, *, cause: str) -> None:
        """Stop an execution; one that is gone or finished is not an error."""

    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None:
        """GoneError when the token timed out or is unknown."""

    def send_task_failure(self, task_token: str, *, error: str, cause: str) -> None:
        """A token that is already gone is not an error."""

    def check(self) -> None:
        """Raise unless the state machine exists and is reachable (readiness)."""

    def definition(self) -> dict[str, Any]:
        """The definition deployed now (DescribeStateMachine), parsed."""

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of an execution's history, oldest first (GetExecutionHistory, all
        pages); NotFoundError for an execution that does not exist."""


@dataclass(frozen=True)
class FunctionConfiguration:
    """What a deployed Lambda function runs with (GetFunctionConfiguration)."""

    function_name: str
    function_arn: str
    timeout_seconds: int
    memory_mb: int
    package_type: str
    runtime: str | None
    last_modified: str | None


class FunctionCatalog(Protocol):
    def configuration(self, function_name: str) -> FunctionConfiguration:
        """NotFoundError for a function that does not exist."""


class Notifier(Protocol):
    """Operator notifications (an SNS topic). Never raises: a notification that cannot be
    sent is logged, it never fails the workflow it is about."""

    def notify(self, subject: str, message: dict[str, Any]) -> bool:
        """Publish one notification; whether it was sent."""


class AuditLog(Protocol):
    """The append-only audit trail. There is no update and no delete: an entry is written once
    (a second write of the same id is a ConflictError) and read back newest first."""

    def append(self, entry: AuditEntry) -> AuditEntry: ...

    def list(
        self, query: AuditQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[AuditEntry]:
        """Newest first, filtered by `query`; InvalidCursorError for a foreign cursor."""


class SalesStore(Protocol):
    """Sales history, store attributes and uploaded files (the data bucket)."""

    @property
    def bucket(self) -> str: ...

    def categories(self) -> list[str]: ...

    def category_history(self, category: str) -> list[WeeklySales]:
        """NotFoundError for a category with no history; domain.history.HistoryFileError for
        a stored file that cannot be read back."""

    def category_summary(self, category: str) -> CategorySummary:
        """NotFoundError for a category with no history."""

    def save_category_history(self, category: str, rows: list[WeeklySales]) -> None: ...

    def history_versions(self) -> dict[str, str]:
        """Each category's history file version (S3 ETag) by category: one listing."""

    def store_week_totals(self) -> StoreWeekTotals:
        """The stored store-week totals; NotFoundError before any were saved."""

    def save_store_week_totals(self, totals: StoreWeekTotals) -> None: ...

    def store_attributes(self) -> list[dict[str, Any]]:
        """The store list ([] before any upload)."""

    def save_store_attributes(self, text: str) -> None: ...

    def save_raw_upload(self, kind: str, upload_id: str, data: bytes) -> str: ...

    def put_weekly_upload(self, key: WeeklyUploadKey, data: bytes) -> str:
        """Store a weekly sales file (in AWS this invokes the variance Lambda); its ETag."""

    def weekly_upload_url(self, key: WeeklyUploadKey, expires_in: int) -> str: ...

    def read_upload(self, key: str) -> bytes: ...


class FunctionInvoker(Protocol):
    def invoke(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The function's JSON answer; UnavailableError if it could not run or crashed."""


class LanguageModelUnavailable(Exception):
    """The language model could not answer. `reason` is safe to log and show; `attempted`
    says whether a call was made (False: no key configured)."""

    def __init__(self, reason: str, *, attempted: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempted = attempted


class SeasonLanguageModel(Protocol):
    """Reads season parameters out of a planner's text (OpenAI structured outputs)."""

    def extract(self, text: str, today: dt.date) -> ExtractionResult:
        """Raises LanguageModelUnavailable on any failure or unusable answer."""


# -- the container -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    """One implementation of every port, built once per process."""

    settings: Settings
    clock: Clock
    ids: IdSource
    workflows: WorkflowStore
    records: RecordStore
    approvals: ApprovalStore
    in_season: InSeasonStore
    event_log: EventLog
    connections: ConnectionStore
    publisher: EventPublisher
    state_machine: StateMachine
    sales: SalesStore
    demand_function: FunctionInvoker
    language_model: SeasonLanguageModel
    functions: FunctionCatalog
    audit: AuditLog
    notifier: Notifier
