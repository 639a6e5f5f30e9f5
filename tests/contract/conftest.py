"""One contract suite, two implementations: every test in tests/contract runs against the
in-memory fake of a port (tests/fakes.py) and against its boto3 adapter on moto, so the fakes
the use-case tests rely on behave like the real thing.

FunctionInvoker and SeasonLanguageModel are not here: moto runs Lambda code only in Docker,
and the OpenAI adapter is tested at the HTTP layer (tests/unit/test_extraction_llm.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from fashion_forecast.adapters.approvals import ApprovalStore
from fashion_forecast.adapters.connections import ConnectionApi, ConnectionStore
from fashion_forecast.adapters.event_log import EventLog
from fashion_forecast.adapters.in_season import InSeasonStore
from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.adapters.publisher import ProgressPublisher
from fashion_forecast.adapters.records import RecordStore
from fashion_forecast.adapters.sales_data import SalesData
from fashion_forecast.adapters.state_machine import StateMachineClient
from fashion_forecast.adapters.workflow_store import WorkflowStore
from fashion_forecast.models.events import parse_event
from fashion_forecast.settings import Settings
from tests.fakes import (
    FakeApprovalStore,
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

KINDS = ["fake", "aws"]


def real_clock() -> FakeClock:
    """The fakes' clock set to now, so both sides agree on what has expired."""
    import datetime as dt

    return FakeClock(dt.datetime.now(dt.UTC))


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def workflows(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "fake":
        return FakeWorkflowStore(real_clock())
    return WorkflowStore(request.getfixturevalue("table"))


@pytest.fixture
def records(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "fake":
        return FakeRecordStore()
    return RecordStore(request.getfixturevalue("table"))


@pytest.fixture
def approvals(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "fake":
        return FakeApprovalStore()
    return ApprovalStore(request.getfixturevalue("table"))


@pytest.fixture
def in_season(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "fake":
        return FakeInSeasonStore()
    return InSeasonStore(request.getfixturevalue("table"))


@pytest.fixture
def event_log(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "fake":
        return FakeEventLog(real_clock())
    return EventLog(request.getfixturevalue("table"))


@pytest.fixture
def connections(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "fake":
        return FakeConnectionStore(real_clock())
    return ConnectionStore(request.getfixturevalue("table"))


class ManagementApi:
    """The API Gateway management client for the aws side (moto never answers GoneException):
    records posts; connection ids in `gone` raise it."""

    def __init__(self) -> None:
        self.gone: set[str] = set()
        self.posts: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict[str, Any]:
        if ConnectionId in self.gone:
            raise ClientError(
                {"Error": {"Code": "GoneException", "Message": "gone"}}, "PostToConnection"
            )
        with self._lock:
            self.posts.append((ConnectionId, Data))
        return {}


@dataclass
class PublisherUnderTest:
    publisher: Any
    connections: Any
    log: Any
    received: Callable[[str], list[Any]]  # what one connection was sent, as events
    go_away: Callable[[str], None]  # the client of a connection disappears


@pytest.fixture
def publishing(kind: str, request: pytest.FixtureRequest) -> PublisherUnderTest:
    if kind == "fake":
        clock = real_clock()
        log, store = FakeEventLog(clock), FakeConnectionStore(clock)
        fake = FakePublisher(log, store)
        return PublisherUnderTest(
            fake, store, log, lambda cid: list(fake.sent.get(cid, [])), fake.gone.add
        )
    table = request.getfixturevalue("table")
    api = ManagementApi()
    log, connection_store = EventLog(table), ConnectionStore(table)
    real = ProgressPublisher(log, connection_store, ConnectionApi("https://ws.test/Prod", api))
    return PublisherUnderTest(
        real,
        connection_store,
        log,
        lambda cid: [parse_event(data) for c, data in api.posts if c == cid],
        api.gone.add,
    )


@pytest.fixture
def without_endpoint(kind: str, request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(publisher with no WebSocket endpoint, its connection store)."""
    if kind == "fake":
        clock = real_clock()
        store = FakeConnectionStore(clock)
        fake = FakePublisher(FakeEventLog(clock), store)
        fake.enabled = False
        return fake, store
    table = request.getfixturevalue("table")
    store = ConnectionStore(table)
    return ProgressPublisher(EventLog(table), store, None), store


@pytest.fixture
def broken_log_publisher(kind: str, request: pytest.FixtureRequest) -> Any:
    """A publisher whose event log cannot be written."""
    if kind == "fake":
        log = FakeEventLog(real_clock())
        log.reachable = False
        return FakePublisher(log, FakeConnectionStore(real_clock()))
    table = request.getfixturevalue("table")
    return ProgressPublisher(EventLog("no-such-table"), ConnectionStore(table), None)


@dataclass
class StateMachineUnderTest:
    machine: Any
    remove: Callable[[], None]  # the state machine is deleted


@pytest.fixture
def state_machines(kind: str, request: pytest.FixtureRequest) -> StateMachineUnderTest:
    if kind == "fake":
        fake = FakeStateMachine()

        def remove_fake() -> None:
            fake.exists = False

        return StateMachineUnderTest(fake, remove_fake)
    arn = request.getfixturevalue("state_machine")

    def remove_real() -> None:
        boto3.client("stepfunctions").delete_state_machine(stateMachineArn=arn)

    return StateMachineUnderTest(StateMachineClient(arn), remove_real)


@pytest.fixture
def sales(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "fake":
        return FakeSalesStore()
    request.getfixturevalue("aws")
    settings: Settings = request.getfixturevalue("settings")
    boto3.client("s3").create_bucket(Bucket=settings.data_bucket)
    return SalesData(ObjectStore(settings.data_bucket))
