"""The event log (sequence numbers, replay pages) and the publisher (append, then post; gone
connections removed; post failures never fail the caller), on moto. moto never raises
GoneException, so the management API is a botocore Stubber or a fake here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import ANY, Stubber
from fastapi.testclient import TestClient

from fashion_forecast.adapters.connections import ConnectionApi, ConnectionStore
from fashion_forecast.adapters.event_log import EventLog
from fashion_forecast.adapters.publisher import ProgressPublisher
from fashion_forecast.app.progress import agent_step, report_progress
from fashion_forecast.app.workflows import approval_message
from fashion_forecast.models.approvals import ApprovalKind
from fashion_forecast.models.events import (
    AgentCompleted,
    AgentProgress,
    AgentStarted,
    parse_event,
)
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import ConflictError, Container, NotFoundError, PostResult


def progress(workflow_id: str, message: str = "working", pct: int = 10) -> AgentProgress:
    return AgentProgress(workflow_id=workflow_id, agent="demand", message=message, progress_pct=pct)


class Serialized:
    """A DynamoDB client whose calls run one at a time, as each DynamoDB operation is atomic;
    moto's are not across threads (a conditional put checks, then writes). Appends still
    interleave between their read and their write, which is what the log must survive."""

    def __init__(self, ddb: Any) -> None:
        self._ddb = ddb
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._ddb, name)

        def call(**kwargs: Any) -> Any:
            with self._lock:
                return method(**kwargs)

        return call


class Interleaved:
    """A DynamoDB client that runs `before_put` once, just before the first put_item: another
    writer's appends land between this writer's read and its write."""

    def __init__(self, ddb: Any, before_put: Any) -> None:
        self._ddb = ddb
        self._before_put = before_put
        self.puts = 0
        self.queries = 0

    def query(self, **kwargs: Any) -> Any:
        self.queries += 1
        return self._ddb.query(**kwargs)

    def put_item(self, **kwargs: Any) -> Any:
        self.puts += 1
        if self._before_put is not None:
            hook, self._before_put = self._before_put, None
            hook()
        return self._ddb.put_item(**kwargs)


# -- sequence numbers ---------------------------------------------------------------------------


def test_sequences_count_from_one_per_workflow(table: str) -> None:
    log = EventLog(table)
    first = [log.append(progress("wf-a", f"a{i}")).sequence for i in range(3)]
    other = log.append(progress("wf-b")).sequence
    first.append(log.append(progress("wf-a", "a3")).sequence)
    assert first == [1, 2, 3, 4]
    assert other == 1
    assert log.latest_sequence("wf-a") == 4
    assert log.latest_sequence("wf-none") == 0


def test_append_stamps_the_event_and_keeps_its_fields(table: str) -> None:
    log = EventLog(table)
    before = dt.datetime.now(dt.UTC)
    stored = log.append(AgentStarted(workflow_id="wf-a", agent="demand", message="go"))
    assert stored.sequence == 1 and stored.timestamp >= before
    assert (stored.type, stored.agent, stored.message) == ("agent_started", "demand", "go")
    (again,) = log.after("wf-a").events
    assert again == stored


def test_a_writer_that_loses_the_race_takes_the_next_number(table: str) -> None:
    ddb = boto3.client("dynamodb")
    other = EventLog(table)
    # B appends between A's read of the latest sequence (0) and A's write of 1
    interleaved = Interleaved(ddb, lambda: other.append(progress("wf-a", "B")))
    a = EventLog(table, interleaved)
    stored = a.append(progress("wf-a", "A"))
    assert stored.sequence == 2
    assert interleaved.puts == 2  # the first put lost (1 was taken), the second won
    events = other.after("wf-a").events
    assert [(e.sequence, e.message) for e in events] == [(1, "B"), (2, "A")]  # type: ignore[union-attr]


def test_several_appends_during_a_read_never_leave_a_gap(table: str) -> None:
    other = EventLog(table)
    other.append(progress("wf-a", "first"))

    def three_more() -> None:
        for i in range(3):
            other.append(progress("wf-a", f"B{i}"))

    a = EventLog(table, Interleaved(boto3.client("dynamodb"), three_more))
    assert a.append(progress("wf-a", "A")).sequence == 5
    assert [e.sequence for e in other.after("wf-a").events] == [1, 2, 3, 4, 5]


def test_a_writer_that_keeps_losing_gives_up_with_a_conflict(table: str) -> None:
    class AlwaysTaken:
        def __init__(self, ddb: Any) -> None:
            self.ddb = ddb

        def query(self, **kwargs: Any) -> Any:
            return {"Items": []}  # a stale read every time

        def put_item(self, **kwargs: Any) -> Any:
            return self.ddb.put_item(**kwargs)

    log = EventLog(table)
    log.append(progress("wf-a"))
    stuck = EventLog(table, AlwaysTaken(boto3.client("dynamodb")), max_attempts=3)
    # the re-read says 0, but the log moves on past the number that lost: 2 is free
    assert stuck.append(progress("wf-a")).sequence == 2
    hopeless = EventLog(table, AlwaysTaken(boto3.client("dynamodb")), max_attempts=1)
    with pytest.raises(ConflictError):
        hopeless.append(progress("wf-a"))


def test_concurrent_writers_get_one_to_n_without_gaps_or_duplicates(table: str) -> None:
    ddb = Serialized(boto3.client("dynamodb"))
    writers, each = 6, 15

    def write(writer: int) -> list[int]:
        log = EventLog(table, ddb)
        return [log.append(progress("wf-busy", f"{writer}-{i}")).sequence for i in range(each)]

    with ThreadPoolExecutor(writers) as pool:
        taken = [seq for seqs in pool.map(write, range(writers)) for seq in seqs]
    total = writers * each
    assert sorted(taken) == list(range(1, total + 1))
    stored = EventLog(table).after("wf-busy", 0, limit=1000)
    assert [e.sequence for e in stored.events] == list(range(1, total + 1))
    messages = {e.message for e in stored.events}  # type: ignore[union-attr]
    assert messages == {f"{w}-{i}" for w in range(writers) for i in range(each)}  # none lost


# -- reading the log ----------------------------------------------------------------------------


def test_after_pages_through_the_log(table: str) -> None:
    log = EventLog(table)
    for i in range(7):
        log.append(progress("wf-a", f"m{i}"))
    page = log.after("wf-a", since=2, limit=3)
    assert [e.sequence for e in page.events] == [3, 4, 5]
    assert (page.has_more, page.last_sequence) == (True, 5)
    page = log.after("wf-a", since=5, limit=3)
    assert ([e.sequence for e in page.events], page.has_more) == ([6, 7], False)
    page = log.after("wf-a", since=7)
    assert (page.events, page.has_more, page.last_sequence) == ([], False, None)
    with pytest.raises(ValueError):
        log.after("wf-a", since=-1)
    with pytest.raises(ValueError):
        log.after("wf-a", limit=0)


def test_the_log_does_not_mix_with_the_workflow_row(container: Container) -> None:
    workflow = container.workflows.create(
        workflow_id="wf-row", workflow_type=WorkflowType.FORECAST, category_id="c", input={}
    )
    container.event_log.append(progress(workflow.workflow_id))
    assert container.workflows.get("wf-row").status is WorkflowStatus.PENDING
    assert [w.workflow_id for w in container.workflows.list().items] == ["wf-row"]


# -- publishing -----------------------------------------------------------------------------------


class FakeManagementApi:
    """Records posts; connection ids in `gone` raise GoneException, in `broken` another error."""

    def __init__(self, gone: Iterable[str] = (), broken: Iterable[str] = ()) -> None:
        self.gone, self.broken = set(gone), set(broken)
        self.posts: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict[str, Any]:
        if ConnectionId in self.gone:
            raise _client_error("GoneException", 410)
        if ConnectionId in self.broken:
            raise EndpointConnectionError(endpoint_url="https://example.invalid")
        with self._lock:
            self.posts.append((ConnectionId, Data))
        return {}

    def to(self, connection_id: str) -> list[Any]:
        return [parse_event(data) for cid, data in self.posts if cid == connection_id]


def _client_error(code: str, status: int) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PostToConnection",
    )


def publisher(table: str, api: Any) -> ProgressPublisher:
    return ProgressPublisher(
        EventLog(table), ConnectionStore(table), ConnectionApi("https://example.test/Prod", api)
    )


def test_publish_appends_then_posts_to_the_workflows_connections_only(table: str) -> None:
    api = FakeManagementApi()
    events = publisher(table, api)
    for cid in ("c1", "c2", "c3"):
        events.connections.add(cid, "wf-a")
    events.connections.add("other", "wf-b")
    first = events.publish(AgentStarted(workflow_id="wf-a", agent="demand", message="go"))
    second = events.publish(progress("wf-a"))
    assert first is not None and second is not None
    assert (first.sequence, second.sequence) == (1, 2)
    for cid in ("c1", "c2", "c3"):
        assert api.to(cid) == [first, second]  # in order, the stored objects
    assert api.to("other") == []
    assert events.log.after("wf-a").events == [first, second]


def test_a_gone_connection_is_deleted_and_the_others_still_get_the_event(table: str) -> None:
    api = FakeManagementApi(gone={"stale"})
    events = publisher(table, api)
    events.connections.add("stale", "wf-a")
    events.connections.add("live", "wf-a")
    stored = events.publish(progress("wf-a"))
    assert stored is not None
    assert api.to("live") == [stored]
    assert [c.connection_id for c in events.connections.for_workflow("wf-a")] == ["live"]
    with pytest.raises(NotFoundError):
        events.connections.get("stale")


def test_gone_exception_from_the_real_client_deletes_the_connection(table: str) -> None:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abc.execute-api.us-east-1.amazonaws.com/Prod",
    )
    events = publisher(table, client)
    events.connections.add("stale", "wf-a")
    with Stubber(client) as stub:
        stub.add_client_error(
            "post_to_connection",
            service_error_code="GoneException",
            http_status_code=410,
            expected_params={"ConnectionId": "stale", "Data": ANY},
        )
        stored = events.publish(progress("wf-a"))
        stub.assert_no_pending_responses()
    assert stored is not None and stored.sequence == 1
    assert events.connections.for_workflow("wf-a") == []


def test_other_post_errors_are_logged_and_keep_the_connection(
    table: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abc.execute-api.us-east-1.amazonaws.com/Prod",
    )
    events = publisher(table, client)
    events.connections.add("busy", "wf-a")
    with Stubber(client) as stub:
        stub.add_client_error(
            "post_to_connection", service_error_code="ForbiddenException", http_status_code=403
        )
        stored = events.publish(progress("wf-a"))
    assert stored is not None
    assert [c.connection_id for c in events.connections.for_workflow("wf-a")] == ["busy"]
    assert "could not post to connection" in caplog.text

    broken = publisher(table, FakeManagementApi(broken={"busy"}))
    assert broken.send("busy", progress("wf-a")) is PostResult.FAILED
    assert [c.connection_id for c in broken.connections.for_workflow("wf-a")] == ["busy"]


def test_an_append_failure_drops_the_event_without_raising(
    table: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeManagementApi()
    events = ProgressPublisher(
        EventLog("no-such-table"),
        ConnectionStore(table),
        ConnectionApi("https://example.test/Prod", api),
    )
    events.connections.add("c1", "wf-a")
    assert events.publish(progress("wf-a")) is None
    assert api.posts == []
    assert "progress event dropped" in caplog.text


def test_without_a_management_endpoint_events_are_only_appended(table: str) -> None:
    events = ProgressPublisher(EventLog(table), ConnectionStore(table), None)
    events.connections.add("c1", "wf-a")
    stored = events.publish(progress("wf-a"))
    assert stored is not None and stored.sequence == 1
    assert events.send("c1", stored) is PostResult.DISABLED


def test_expired_connections_get_nothing(table: str) -> None:
    api = FakeManagementApi()
    events = publisher(table, api)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    events.connections.add("old", "wf-a", connected_at=long_ago)  # TTL passed, not yet deleted
    events.connections.add("new", "wf-a")
    events.publish(progress("wf-a"))
    assert [cid for cid, _ in api.posts] == ["new"]
    with pytest.raises(NotFoundError):
        events.connections.get("old")


# -- the agents' reporting -------------------------------------------------------------------------


def test_agent_step_and_progress_publish_around_a_step(container: Container) -> None:
    container.workflows.create(
        workflow_id="wf-step", workflow_type=WorkflowType.FORECAST, category_id="c", input={}
    )
    container.workflows.transition("wf-step", WorkflowStatus.RUNNING)

    @agent_step("demand", "doing the thing")
    def step(container: Container, workflow_id: str, factor: int) -> dict[str, Any]:
        report_progress(container, workflow_id, "demand", 30, "halfway")
        return {"answer": 21 * factor}

    assert step(container, "wf-step", 2) == {"answer": 42}
    started, halfway, done = container.event_log.after("wf-step").events
    assert isinstance(started, AgentStarted)
    assert started.message == "Demand agent: doing the thing"
    assert isinstance(halfway, AgentProgress) and halfway.progress_pct == 30
    assert isinstance(done, AgentCompleted)
    assert done.result == {"answer": 42} and done.duration_seconds >= 0
    workflow = container.workflows.get("wf-step")
    assert (workflow.current_agent, workflow.progress_pct) == ("demand", 30)


def test_a_broken_stream_never_fails_the_step(container: Container) -> None:
    broken = ProgressPublisher(EventLog("no-such-table"), ConnectionStore("no-such-table"), None)
    crippled = dataclasses.replace(container, publisher=broken)
    container.workflows.create(
        workflow_id="wf-quiet", workflow_type=WorkflowType.FORECAST, category_id="c", input={}
    )
    container.workflows.transition("wf-quiet", WorkflowStatus.RUNNING)

    @agent_step("inventory", "sizing")
    def step(container: Container, workflow_id: str) -> dict[str, Any]:
        report_progress(container, workflow_id, "inventory", 55, "sizing")
        return {"ok": True}

    assert step(crippled, "wf-quiet") == {"ok": True}
    assert container.workflows.get("wf-quiet").progress_pct == 55


def test_approval_messages() -> None:
    assert approval_message(ApprovalKind.MANUFACTURING, {"manufacturing_qty": 80235}) == (
        "Approve the manufacturing order of 80,235 units"
    )
    assert approval_message(
        ApprovalKind.MANUFACTURING, {"manufacturing_qty": 90000, "extra_order_qty": 9765}
    ) == (
        "Approve an extra order of 9,765 units (80,235 ordered and approved so far, 90,000 in all)"
    )
    assert approval_message(
        ApprovalKind.MARKDOWN, {"markdown_pct": 0.15, "checkpoint_week": 6, "sell_through": 0.5}
    ) == ("Approve a 15% markdown at week 6 (projected season-end sell-through 50%)")


# -- GET /api/workflows/{id}/events ---------------------------------------------------------------


def test_the_events_endpoint_pages_the_log(api: TestClient, container: Container) -> None:
    container.workflows.create(
        workflow_id="wf-api", workflow_type=WorkflowType.FORECAST, category_id="c", input={}
    )
    stored = [container.event_log.append(progress("wf-api", f"m{i}", 10 + i)) for i in range(3)]
    body = api.get("/api/workflows/wf-api/events").json()
    assert body == {
        "workflow_id": "wf-api",
        "events": [json.loads(e.model_dump_json()) for e in stored],
        "last_sequence": 3,
        "has_more": False,
    }
    page = api.get("/api/workflows/wf-api/events", params={"since": 1, "limit": 1}).json()
    assert ([e["sequence"] for e in page["events"]], page["last_sequence"]) == ([2], 2)
    assert page["has_more"] is True
    empty = api.get("/api/workflows/wf-api/events", params={"since": 3}).json()
    assert (empty["events"], empty["last_sequence"], empty["has_more"]) == ([], 3, False)


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/workflows/nope/events", {}, 404),
        ("/api/workflows/wf-api/events", {"since": -1}, 422),
        ("/api/workflows/wf-api/events", {"since": "x"}, 422),
        ("/api/workflows/wf-api/events", {"limit": 0}, 422),
        ("/api/workflows/wf-api/events", {"limit": 1001}, 422),
        ("/api/workflows/bad%20id/events", {}, 422),
    ],
)
def test_the_events_endpoint_refuses_bad_requests(
    api: TestClient, container: Container, path: str, params: dict[str, Any], status: int
) -> None:
    container.workflows.create(
        workflow_id="wf-api", workflow_type=WorkflowType.FORECAST, category_id="c", input={}
    )
    response = api.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == ("not_found" if status == 404 else "validation_error")
