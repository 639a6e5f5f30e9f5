"""The progress stream end to end: `fashion-forecast serve` in a subprocess (on a free port on
127.0.0.1), real WebSocket clients (the websockets library), a Zara workflow on the bundled
sample data through the real state machine and agent Lambdas."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.integration.served import serve_subprocess

ZARA = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",
    "replenishment_strategy": "none",
    "dc_holdback_percentage": 0.0,
    "markdown_checkpoint_week": 6,
}
BEFORE_APPROVAL = [
    ("agent_started", "demand"),
    ("agent_progress", "demand"),
    ("agent_progress", "demand"),
    ("agent_progress", "demand"),
    ("agent_completed", "demand"),
    ("agent_started", "inventory"),
    ("agent_progress", "inventory"),
    ("agent_progress", "inventory"),
    ("agent_completed", "inventory"),
    ("human_input_required", "approval"),
]
INVENTORY_AGAIN = BEFORE_APPROVAL[5:]  # a modify re-runs Inventory and asks again


@dataclass
class Served:
    base: str
    ws: str
    moto: str
    process: subprocess.Popen[bytes]
    output: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # the API key (served.py)
    ws_credential: str = ""  # api_key=... for the WebSocket query string

    def dynamodb(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.moto,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def connections_of(self, workflow_id: str) -> set[str]:
        items = self.dynamodb().query(
            TableName="DataTable",
            IndexName="GSI1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"WFCONN#{workflow_id}"}},
        )["Items"]
        return {item["connection_id"]["S"] for item in items}

    def start(self, category: str = "womens_dresses") -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/api/workflows/forecast",
            json={"category_id": category, "parameters": ZARA},
            timeout=30,
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        created = dict(response.json())
        # the URL the product gives, with the credential a client adds to it
        created["subscribe_url"] = f"{created['websocket_url']}&{self.ws_credential}"
        return created

    def finished(self) -> dict[str, Any]:
        """A workflow that has ended and will publish nothing more: a Zara forecast whose order
        is rejected, once its last event (workflow_complete) is in the log."""
        created = self.start()
        workflow_id = created["workflow_id"]
        self.wait(workflow_id, "awaiting_approval")
        rejected = httpx.post(
            f"{self.base}/api/approvals/manufacturing",
            json={"workflow_id": workflow_id, "action": "reject"},
            timeout=30,
            headers=self.headers,
        )
        assert rejected.status_code == 200, rejected.text
        deadline = time.monotonic() + 60
        while "workflow_complete" not in [e["type"] for e in self.events(workflow_id)["events"]]:
            assert time.monotonic() < deadline, f"{workflow_id} never completed"
            time.sleep(0.1)
        return created

    def status(self, workflow_id: str) -> str:
        answer = httpx.get(f"{self.base}/api/workflows/{workflow_id}", headers=self.headers)
        return str(answer.json()["status"])

    def wait(self, workflow_id: str, status: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.status(workflow_id) != status:
            assert time.monotonic() < deadline, f"{workflow_id} never became {status}"
            time.sleep(0.1)

    def events(self, workflow_id: str, since: int = 0, limit: int = 100) -> dict[str, Any]:
        response = httpx.get(
            f"{self.base}/api/workflows/{workflow_id}/events",
            params={"since": since, "limit": limit},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve_subprocess() as server:
        yield Served(
            server.base,
            f"ws://127.0.0.1:{server.port}/ws",
            server.moto,
            server.process,
            server.output,
            server.headers,
            server.ws_credential,
        )


class Client:
    """A WebSocket client that keeps every message it receives, in order."""

    def __init__(self, url: str) -> None:
        self._stack = ExitStack()
        self.connection: ClientConnection = self._stack.enter_context(connect(url, open_timeout=10))
        self.received: list[dict[str, Any]] = []

    def next(self, timeout: float) -> dict[str, Any]:
        message = json.loads(self.connection.recv(timeout=timeout))
        self.received.append(message)
        return dict(message)

    def until(self, kind: str, timeout: float = 120) -> list[dict[str, Any]]:
        """Messages up to and including the first of type `kind`."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            got.append(self.next(max(0.1, deadline - time.monotonic())))
            if got[-1]["type"] == kind:
                return got

    def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Whatever arrives within `seconds` of silence."""
        got = []
        while True:
            try:
                got.append(self.next(seconds))
            except TimeoutError:
                return got

    def send(self, **message: Any) -> None:
        self.connection.send(json.dumps(message))

    def close(self) -> None:
        self._stack.close()


def sequences(messages: list[dict[str, Any]]) -> list[int]:
    return [m["sequence"] for m in messages]


def kinds(messages: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(m["type"], m.get("agent")) for m in messages]


def contiguous(values: list[int]) -> bool:
    return values == list(range(values[0], values[0] + len(values))) if values else True


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 400), ("?workflow_id=", 400), ("?workflow_id=no-such-workflow", 404)],
)
def test_connecting_without_a_known_workflow_is_refused(
    served: Served, query: str, status: int
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{served.ws}{query}{'&' if query else '?'}{served.ws_credential}", open_timeout=10)
    assert refused.value.response.status_code == status
    assert "message" in json.loads(bytes(refused.value.response.body or b"{}"))


# -- a Zara workflow, streamed --------------------------------------------------------------------


def test_a_zara_workflow_streams_to_its_clients_only(served: Served) -> None:
    # another workflow, finished before the Zara one starts: its client must get nothing of
    # Zara's events
    other = served.finished()
    outsider = Client(other["subscribe_url"])

    created = served.start()
    workflow_id = created["workflow_id"]
    assert created["websocket_url"] == f"{served.ws}?workflow_id={workflow_id}"
    first, second = Client(created["subscribe_url"]), Client(created["subscribe_url"])

    # live until the approval is asked; a client may have connected after the first events
    live = {}
    for name, client in (("first", first), ("second", second)):
        got = [m for m in client.until("human_input_required") if "sequence" in m]
        assert contiguous(sequences(got)), sequences(got)
        assert all(m["workflow_id"] == workflow_id for m in got)
        live[name] = got
    assert live["first"][-1]["sequence"] == live["second"][-1]["sequence"]

    # the log has all of it, 1..n, in order; replay and the events endpoint agree
    first.send(action="replay", since=0)
    replay = first.until("replay_complete", timeout=10)
    replayed, done = replay[:-1], replay[-1]
    n = len(BEFORE_APPROVAL)
    assert sequences(replayed) == list(range(1, n + 1))
    assert kinds(replayed) == BEFORE_APPROVAL
    assert done == {
        "type": "replay_complete",
        "workflow_id": workflow_id,
        "since": 0,
        "count": n,
        "last_sequence": n,
        "has_more": False,
    }
    assert replayed[-len(live["first"]) :] == live["first"]  # live and replayed: same objects
    assert served.events(workflow_id)["events"] == replayed
    asked = replayed[-1]
    assert asked["action"] == "manufacturing_approval"
    assert asked["options"] == ["accept", "modify", "reject"]
    qty = asked["data"]["manufacturing_qty"]
    assert asked["message"] == f"Approve the manufacturing order of {qty:,} units"

    # a client connecting late replays what it missed, then follows live
    late = Client(created["subscribe_url"])
    late.send(action="replay", since=0)
    caught_up = late.until("replay_complete", timeout=10)
    assert caught_up[:-1] == replayed

    # a modify re-runs Inventory: every client connected now gets every event, in order
    decided = httpx.post(
        f"{served.base}/api/approvals/manufacturing",
        json={"workflow_id": workflow_id, "action": "modify", "safety_stock_pct": 0.3},
        headers=served.headers,
    )
    assert decided.status_code == 200, decided.text
    clients = {"first": first, "second": second, "late": late}
    again = {name: client.until("human_input_required") for name, client in clients.items()}
    for got in again.values():
        assert kinds(got) == INVENTORY_AGAIN
        assert sequences(got) == list(range(n + 1, n + 1 + len(INVENTORY_AGAIN)))
    assert again["first"] == again["second"] == again["late"]
    assert again["first"][-1]["data"]["safety_stock_pct"] == 0.3

    # a connection whose $disconnect never arrived: posting to it is a 410, which removes it
    stale = "c3RhbGUtY29ubg="
    served.dynamodb().put_item(
        TableName="DataTable",
        Item={
            "pk": {"S": f"CONN#{stale}"},
            "sk": {"S": "CONNECTION"},
            "gsi1pk": {"S": f"WFCONN#{workflow_id}"},
            "gsi1sk": {"S": f"2026-01-01T00:00:00+00:00#{stale}"},
            "connection_id": {"S": stale},
            "workflow_id": {"S": workflow_id},
            "connected_at": {"S": "2026-01-01T00:00:00+00:00"},
            "expires_at_epoch": {"N": str(int(time.time()) + 3600)},
        },
    )
    assert stale in served.connections_of(workflow_id)
    assert httpx.post(f"{served.base}/@connections/{stale}", content=b"{}").status_code == 410

    accepted = httpx.post(
        f"{served.base}/api/approvals/manufacturing",
        json={"workflow_id": workflow_id, "action": "accept"},
        headers=served.headers,
    )
    assert accepted.status_code == 200, accepted.text
    total = n + len(INVENTORY_AGAIN) + 1
    ordered = again["first"][-1]["data"]["manufacturing_qty"]
    for client in clients.values():
        (complete,) = client.until("workflow_complete", timeout=60)
        assert (complete["sequence"], complete["status"]) == (total, "completed")
        assert complete["result"]["manufacturing_qty"] == ordered
    assert stale not in served.connections_of(workflow_id)  # deleted by the publisher

    everything = served.events(workflow_id)["events"]
    assert sequences(everything) == list(range(1, total + 1))
    assert everything[-1]["type"] == "workflow_complete"
    page = served.events(workflow_id, since=total - 3, limit=2)
    assert (sequences(page["events"]), page["last_sequence"], page["has_more"]) == (
        [total - 2, total - 1],
        total - 1,
        True,
    )

    # the other workflow's client got none of it, and its own replay holds only its own events
    assert outsider.quiet(0.3) == []
    outsider.send(action="replay", since=0)
    own = outsider.until("replay_complete", timeout=10)[:-1]
    assert kinds(own) == [*BEFORE_APPROVAL, ("workflow_complete", None)]
    assert {m["workflow_id"] for m in own} == {other["workflow_id"]}

    # closing a client ($disconnect) removes its connection
    assert len(served.connections_of(workflow_id)) == 3
    for client in (first, second, late, outsider):
        client.close()
    deadline = time.monotonic() + 10
    while served.connections_of(workflow_id) or served.connections_of(other["workflow_id"]):
        assert time.monotonic() < deadline, "connections not removed on disconnect"
        time.sleep(0.05)


def test_ping_and_bad_messages(served: Served) -> None:
    created = served.finished()
    client = Client(created["subscribe_url"])
    try:
        client.send(action="ping")
        assert client.until("pong", timeout=10)[-1]["type"] == "pong"
        client.connection.send("hello")
        (error,) = client.until("protocol_error", timeout=10)
        assert "JSON" in error["message"]
        client.send(action="replay", since=-3)
        assert "since" in client.until("protocol_error", timeout=10)[-1]["message"]
        client.connection.send(json.dumps({"action": "ping", "pad": "x" * 128 * 1024}))
        too_large = client.until("protocol_error", timeout=10)[-1]
        assert too_large["error_code"] == "message_too_large"
        client.connection.send("[" * 5000 + "]" * 5000)
        assert client.until("protocol_error", timeout=10)[-1]["error_code"] == "nesting_too_deep"
        client.send(action="ping")  # still usable after each refusal
        assert client.until("pong", timeout=10)[-1]["type"] == "pong"
    finally:
        client.close()


def test_the_management_endpoint_speaks_the_management_api(served: Served) -> None:
    created = served.finished()
    client = Client(created["subscribe_url"])
    try:
        deadline = time.monotonic() + 10
        while not served.connections_of(created["workflow_id"]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (cid,) = served.connections_of(created["workflow_id"])
        api = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=served.base,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        api.post_to_connection(ConnectionId=cid, Data=b'{"type": "hello"}')
        assert client.next(timeout=5) == {"type": "hello"}
        described = api.get_connection(ConnectionId=cid)
        assert described["Identity"]["SourceIp"] == "127.0.0.1"
        api.delete_connection(ConnectionId=cid)
        with pytest.raises(api.exceptions.GoneException):
            api.post_to_connection(ConnectionId=cid, Data=b"{}")
        deadline = time.monotonic() + 10
        while served.connections_of(created["workflow_id"]):  # $disconnect ran
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        client.close()
