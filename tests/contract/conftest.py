"""One contract suite, two implementations: every test in tests/contract runs against the
in-memory fake of a port (tests/fakes.py, `[fake]`) and against its boto3 adapter on moto
(`[aws]`), so the fakes the use-case tests rely on behave like the real thing. Where the two
differ, the adapter on moto is the reference (unless moto itself is known to differ from AWS).

FunctionInvoker and SeasonLanguageModel have no contract tests here: moto runs Lambda code only
in Docker, and the OpenAI adapter is tested at the HTTP layer (tests/unit/test_extraction_llm.py).

Each fixture below is parametrized over IMPLEMENTATIONS and yields one implementation of a port;
where a test has to steer or observe the implementation (a client that went away, what a
connection was sent, how an execution was started) the fixture hands it a small per-implementation
helper, so one test body serves both.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from fashion_forecast.adapters.approvals import ApprovalStore
from fashion_forecast.adapters.audit import AuditLog
from fashion_forecast.adapters.connections import ConnectionApi, ConnectionStore
from fashion_forecast.adapters.event_log import EventLog
from fashion_forecast.adapters.in_season import InSeasonStore
from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.adapters.publisher import ProgressPublisher
from fashion_forecast.adapters.records import RecordStore
from fashion_forecast.adapters.sales_data import SalesData
from fashion_forecast.adapters.state_machine import StateMachineClient
from fashion_forecast.adapters.workflow_store import WorkflowStore
from fashion_forecast.settings import Settings
from tests.fakes import (
    FakeApprovalStore,
    FakeAuditLog,
    FakeClock,
    FakeConnectionStore,
    FakeEventLog,
    FakeInSeasonStore,
    FakePublisher,
    FakeRecordStore,
    FakeSalesStore,
    FakeStateMachine,
    FakeWorkflowStore,
)

IMPLEMENTATIONS = ["fake", "aws"]


def implementations() -> Any:
    """The parametrization of every port fixture: test ids read `[fake]` and `[aws]`."""
    return pytest.fixture(params=IMPLEMENTATIONS, ids=IMPLEMENTATIONS)


# -- list cursors a store never issued (WorkflowStore.list, RecordStore.list_recent) ----------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _json_cursor(value: Any) -> str:
    return _b64(json.dumps(value).encode())


GARBAGE_CURSORS = [
    pytest.param("not-a-cursor", id="text"),
    pytest.param("%%%", id="not-base64"),
    pytest.param(_b64(b"not json"), id="not-json"),
    pytest.param(_json_cursor({"id": "wf-a"}), id="no-time"),
    pytest.param(_json_cursor({"c": "yesterday", "id": "wf-a"}), id="bad-time"),
    pytest.param(_json_cursor({"c": "2025-03-03T09:00:00", "id": "wf-a"}), id="naive-time"),
    pytest.param(_json_cursor({"c": "2025-03-03T09:00:00+00:00", "id": ""}), id="empty-id"),
    pytest.param(_json_cursor({"c": "2025-03-03T09:00:00+00:00", "id": 7}), id="number-id"),
    pytest.param(_json_cursor(["2025-03-03T09:00:00+00:00", "wf-a"]), id="list"),
    # ids are at most 80 characters (constants.ID_PATTERN): no stored item has this one
    pytest.param(_json_cursor({"c": "2025-03-03T09:00:00+00:00", "id": "w" * 81}), id="long-id"),
]


class WallClock(FakeClock):
    """The fakes' clock behaving like the adapters' (the wall clock): it starts at the real now
    and moves on by a millisecond every time it is read, so two writes never share a time and
    "expired" means the same to both sides."""

    def __init__(self) -> None:
        super().__init__(dt.datetime.now(dt.UTC))

    def now(self) -> dt.datetime:
        self.advance(0.001)
        return super().now()


# -- DynamoDB stores ---------------------------------------------------------------------------


@implementations()
def workflows(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeWorkflowStore(WallClock())
    return WorkflowStore(request.getfixturevalue("table"))


@implementations()
def records(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeRecordStore()
    return RecordStore(request.getfixturevalue("table"))


@implementations()
def approvals(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeApprovalStore()
    return ApprovalStore(request.getfixturevalue("table"))


@implementations()
def in_season(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeInSeasonStore()
    return InSeasonStore(request.getfixturevalue("table"))


@implementations()
def event_log(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeEventLog(WallClock())
    return EventLog(request.getfixturevalue("table"))


@implementations()
def audit_log(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeAuditLog()
    return AuditLog(request.getfixturevalue("table"))


@implementations()
def connections(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeConnectionStore(WallClock())
    return ConnectionStore(request.getfixturevalue("table"))


# -- the event publisher -----------------------------------------------------------------------


class FakeManagementApi:
    """The API Gateway management client of the aws side (moto never raises GoneException):
    records every post; a connection id in `gone` raises GoneException."""

    def __init__(self) -> None:
        self.gone: set[str] = set()
        self.posts: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()  # the publisher fans out on a thread pool

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict[str, Any]:
        if ConnectionId in self.gone:
            raise ClientError(
                {"Error": {"Code": "GoneException", "Message": "gone"}}, "PostToConnection"
            )
        with self._lock:
            self.posts.append((ConnectionId, Data))
        return {}


@dataclass
class Publishing:
    """A publisher with the connection store and event log it works on."""

    publisher: Any
    connections: Any
    log: Any
    received: Callable[[str], list[dict[str, Any]]]  # what connection X was sent, as JSON
    go_away: Callable[[str], None]  # the client of connection X disappears


def _publishing(request: pytest.FixtureRequest, *, endpoint: bool, log_works: bool) -> Publishing:
    if request.param == "fake":
        clock = WallClock()
        log, store = FakeEventLog(clock), FakeConnectionStore(clock)
        log.reachable = log_works
        fake = FakePublisher(log, store)
        fake.enabled = endpoint

        def fake_received(connection_id: str) -> list[dict[str, Any]]:
            return [json.loads(m.model_dump_json()) for m in fake.sent.get(connection_id, [])]

        return Publishing(fake, store, log, fake_received, fake.gone.add)
    table = request.getfixturevalue("table")
    api = FakeManagementApi()
    real_log, real_store = EventLog(table), ConnectionStore(table)
    written = real_log if log_works else EventLog("no-such-table")
    management = ConnectionApi("https://ws.test/Prod", api) if endpoint else None
    real = ProgressPublisher(written, real_store, management)

    def aws_received(connection_id: str) -> list[dict[str, Any]]:
        return [json.loads(data) for cid, data in api.posts if cid == connection_id]

    return Publishing(real, real_store, real_log, aws_received, api.gone.add)


@implementations()
def publishing(request: pytest.FixtureRequest) -> Publishing:
    return _publishing(request, endpoint=True, log_works=True)


@implementations()
def publishing_without_endpoint(request: pytest.FixtureRequest) -> Publishing:
    """No WebSocket management endpoint (fake: enabled = False; aws: api None)."""
    return _publishing(request, endpoint=False, log_works=True)


@implementations()
def publishing_broken_log(request: pytest.FixtureRequest) -> Publishing:
    """The event log cannot be written (fake: unreachable; aws: a table that does not exist)."""
    return _publishing(request, endpoint=True, log_works=False)


# -- the state machine -------------------------------------------------------------------------


@dataclass
class Machine:
    machine: Any
    arn: str  # the state machine's ARN
    execution: Callable[[str], tuple[str, dict[str, Any]]]  # (status, input) of execution X
    remove: Callable[[], None]  # the state machine is deleted


@implementations()
def state_machines(request: pytest.FixtureRequest) -> Machine:
    if request.param == "fake":
        fake = FakeStateMachine()

        def fake_execution(name: str) -> tuple[str, dict[str, Any]]:
            execution = fake.executions[name]
            return execution.status, execution.input

        def remove_fake() -> None:
            fake.exists = False

        return Machine(fake, fake.arn, fake_execution, remove_fake)
    arn = request.getfixturevalue("state_machine")
    real = StateMachineClient(arn)

    def aws_execution(name: str) -> tuple[str, dict[str, Any]]:
        described = boto3.client("stepfunctions").describe_execution(
            executionArn=real.execution_arn(name)
        )
        return str(described["status"]), json.loads(described["input"])

    def remove_real() -> None:
        boto3.client("stepfunctions").delete_state_machine(stateMachineArn=arn)

    return Machine(real, arn, aws_execution, remove_real)


@implementations()
def task_tokens(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A state machine to send task tokens to. moto's default Step Functions backend (execution
    off) accepts any token, where AWS answers InvalidToken for one no task is waiting on; its
    executing backend checks tokens as AWS does, so the aws side runs on that one."""
    if request.param == "fake":
        yield FakeStateMachine()
        return
    settings: Settings = request.getfixturevalue("settings")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield StateMachineClient(settings.state_machine_arn)


# -- the data bucket ---------------------------------------------------------------------------


@implementations()
def sales(request: pytest.FixtureRequest) -> Any:
    settings: Settings = request.getfixturevalue("settings")
    if request.param == "fake":
        return FakeSalesStore(settings.data_bucket)
    request.getfixturevalue("aws")
    boto3.client("s3").create_bucket(Bucket=settings.data_bucket)
    return SalesData(ObjectStore(settings.data_bucket))
