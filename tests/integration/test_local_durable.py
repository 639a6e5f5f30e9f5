"""The local runtime's data dir: what survives a restart, what a restart does to unfinished
workflows, a snapshot it cannot use, and `serve`'s drain on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fashion_forecast.api.app import create_app
from fashion_forecast.models.forecasts import ALLOCATION, AllocationRecord, AllocationStatus
from fashion_forecast_local import persistence, sample_data
from fashion_forecast_local.demo import weekly_files
from fashion_forecast_local.persistence import SnapshotError
from fashion_forecast_local.runtime import (
    INTERRUPTED_BY_RESTART,
    DataDirInUseError,
    LocalRuntime,
    free_port,
)
from tests.auth import as_caller
from tests.integration.flows import SCENARIOS
from tests.integration.served import serve_subprocess

PARAMETERS = SCENARIOS["zara"]
# a new category (2 stores x 2 weeks) and a renamed store: neither is in the bundled sample data,
# so finding them after a restart means the data was restored, not seeded again
HATS = (
    b"date,store_id,category,quantity_sold\n"
    b"2025-02-17,S001,kids_hats,3\n2025-02-17,S002,kids_hats,4\n"
    b"2025-02-24,S001,kids_hats,5\n2025-02-24,S002,kids_hats,6\n"
)
HATS_CATEGORY = {
    "category_id": "kids_hats",
    "name": "Kids Hats",
    "rows": 4,
    "stores": 2,
    "weeks": 2,
    "date_range": {"start": "2025-02-17", "end": "2025-03-02"},
}


def renamed_stores() -> bytes:
    text = sample_data.sample_file("store_attributes.csv").read_text()
    assert "Pittsburgh #1," in text
    return text.replace("Pittsburgh #1,", "Pittsburgh Flagship,", 1).encode()


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def wait_status(api: TestClient, workflow_id: str, *statuses: str, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        workflow = ok(api.get(f"/api/workflows/{workflow_id}"))
        if workflow["status"] in statuses:
            return workflow
        assert workflow["status"] not in {"failed", "cancelled"}, workflow
        assert time.monotonic() < deadline, f"{workflow_id} stayed {workflow['status']}"
        time.sleep(0.1)


def start_forecast(api: TestClient, category: str) -> str:
    created = api.post(
        "/api/workflows/forecast", json={"category_id": category, "parameters": PARAMETERS}
    )
    assert created.status_code == 201, created.text
    return str(created.json()["workflow_id"])


def upload_week(api: TestClient, forecast_id: str, week: int) -> Any:
    response = api.post(
        "/api/data/upload-weekly-sales",
        data={"forecast_id": forecast_id, "week_number": str(week)},
        files={"file": (f"week-{week}.csv", weekly_files()[week], "text/csv")},
    )
    body = ok(response)
    deadline = time.monotonic() + 120
    while body["status"] not in {"accepted", "rejected"}:  # 202 on a slow machine: poll
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
        body = ok(api.get(body["status_url"]))
    assert body["status"] == "accepted", body
    return body


def item_keys(snapshot: persistence.Snapshot) -> set[tuple[str, str]]:
    return {(i["pk"]["S"], i["sk"]["S"]) for items in snapshot.tables.values() for i in items}


def views(api: TestClient, completed: str, forecast_id: str, upload_id: str) -> dict[str, Any]:
    """Everything a client reads about the data that must survive a restart unchanged."""
    paths = [
        f"/api/workflows/{completed}",
        f"/api/workflows/{completed}/results",
        f"/api/workflows/{completed}/events?limit=1000",
        f"/api/forecasts/{forecast_id}",
        f"/api/allocations/{forecast_id}",
        f"/api/variance/{forecast_id}",
        f"/api/variance/{forecast_id}/week/1",
        f"/api/data/uploads/{forecast_id}/{upload_id}",
        "/api/forecasts",
        "/api/categories",
        "/api/stores",
        "/api/stores/clusters",
    ]
    return {path: ok(api.get(path)) for path in paths}


def test_a_restart_keeps_the_data_and_fails_the_unfinished_workflow(tmp_path: Path) -> None:
    with LocalRuntime(data_dir=tmp_path) as first:
        assert (first.restored, first.interrupted) == (False, [])
        with TestClient(as_caller(create_app(first.container()))) as api:
            stores = api.post(
                "/api/data/upload-store-attributes",
                files={"file": ("s.csv", renamed_stores(), "text/csv")},
            )
            assert ok(stores)["rows_imported"] == 50
            completed = start_forecast(api, "womens_dresses")
            wait_status(api, completed, "awaiting_approval")
            ok(
                api.post(
                    "/api/approvals/manufacturing",
                    json={"workflow_id": completed, "action": "accept"},
                )
            )
            wait_status(api, completed, "completed")
            forecast_id = ok(api.get(f"/api/workflows/{completed}/results"))["forecast_id"]
            upload = upload_week(api, forecast_id, 1)

            waiting = start_forecast(api, "womens_outerwear")
            before_restart = wait_status(api, waiting, "awaiting_approval")
            waiting_events = ok(api.get(f"/api/workflows/{waiting}/events?limit=1000"))
            # (a category of its own, uploaded last: the forecasts above cluster every history)
            hats = api.post(
                "/api/data/upload-historical-sales", files={"file": ("h.csv", HATS, "text/csv")}
            )
            assert ok(hats)["rows_imported"] == 4
            before = views(api, completed, forecast_id, upload["upload_id"])
    saved = persistence.read(tmp_path)
    assert saved is not None
    assert not list(tmp_path.glob("*.tmp"))

    with LocalRuntime(data_dir=tmp_path) as second:
        assert (second.restored, second.interrupted) == (True, [waiting])
        with TestClient(as_caller(create_app(second.container()))) as api:
            after = views(api, completed, forecast_id, upload["upload_id"])
            assert after == before  # the completed workflow and everything it made, unchanged
            stores_after = after["/api/stores"]["items"]
            assert len(stores_after) == 50
            assert stores_after[0]["store_name"] == "Pittsburgh Flagship"
            assert HATS_CATEGORY in after["/api/categories"]["items"]
            assert len(after["/api/categories"]["items"]) == 4
            assert after[f"/api/variance/{forecast_id}/week/1"] == upload["variance"]

            failed = ok(api.get(f"/api/workflows/{waiting}"))
            assert (failed["status"], failed["error_message"]) == ("failed", INTERRUPTED_BY_RESTART)
            assert failed["pending_approval"] is None
            assert failed["created_at"] == before_restart["created_at"]
            events = ok(api.get(f"/api/workflows/{waiting}/events?limit=1000"))["events"]
            assert events[:-1] == waiting_events["events"]
            assert (events[-1]["type"], events[-1]["error_message"]) == (
                "error",
                INTERRUPTED_BY_RESTART,
            )
            late = api.post(
                "/api/approvals/manufacturing", json={"workflow_id": waiting, "action": "accept"}
            )
            assert (late.status_code, late.json()["error_code"]) == (410, "approval_expired")
            listed = ok(api.get("/api/workflows?status=awaiting_approval"))
            assert listed["items"] == []

        # every item and object is back; what changed is the interrupted workflow's row, its
        # approval, its event log by one event and its audit trail by the failure
        assert second.snapshotter is not None
        now = second.snapshotter.capture()
        error_sequence = len(waiting_events["events"]) + 1
        added = item_keys(now) - item_keys(saved)
        audited = {k for k in added if k[0] == f"AUDIT#workflow#{waiting}"}
        assert len(audited) == 1
        assert added - audited == {(f"WF#{waiting}", f"EVT#{error_sequence:010d}")}
        assert item_keys(saved) <= item_keys(now)
        assert now.buckets == saved.buckets
        changed = {
            (i["pk"]["S"], i["sk"]["S"])
            for table, items in saved.tables.items()
            for i in items
            if i not in now.tables[table]
        }
        approval_id = before_restart["pending_approval"]["approval_id"]
        # the interrupted workflow's proposals are settled as rejected: its allocation and the
        # forecast's curve version (docs/domain.md, "Approvals")
        data = before_restart["pending_approval"]["data"]
        allocation = second.container().records.get(
            ALLOCATION, data["allocation_id"], AllocationRecord
        )
        assert (allocation.status, allocation.status_reason) == (
            AllocationStatus.REJECTED,
            f"workflow interrupted: {INTERRUPTED_BY_RESTART}",
        )
        assert changed == {
            (f"WF#{waiting}", "WORKFLOW"),
            (f"APPROVAL#{approval_id}", "APPROVAL"),
            (f"ALLOCATION#{allocation.allocation_id}", "ALLOCATION"),
            (f"FORECAST#{allocation.forecast_id}", "FORECAST"),
        }

    # a third start restores the interrupted state as it is: nothing is interrupted twice
    with LocalRuntime(data_dir=tmp_path) as third:
        assert (third.restored, third.interrupted) == (True, [])


def test_a_workflow_interrupted_by_a_restart_is_retried_where_it_stood(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Its execution is gone with the restart, so the retry resumes from the stored records:
    it asks for the approval again; Demand and Inventory (counted in the event log, which
    survives the restart) are not run again."""
    with (
        LocalRuntime(data_dir=tmp_path) as first,
        TestClient(as_caller(create_app(first.container()))) as api,
    ):
        waiting = start_forecast(api, "womens_dresses")
        wait_status(api, waiting, "awaiting_approval")
    with LocalRuntime(data_dir=tmp_path) as second:
        assert second.interrupted == [waiting]
        with TestClient(as_caller(create_app(second.container()))) as api:
            retried = api.post(f"/api/workflows/{waiting}/retry")
            assert retried.status_code == 200, retried.text
            assert (retried.json()["status"], retried.json()["retry_count"]) == ("running", 1)
            asked = wait_status(api, waiting, "awaiting_approval")
            allocation_id = asked["pending_approval"]["data"]["allocation_id"]
            proposed = second.container().records.get(ALLOCATION, allocation_id, AllocationRecord)
            assert proposed.status is AllocationStatus.PROPOSED  # its rejection undone
            ok(
                api.post(
                    "/api/approvals/manufacturing",
                    json={"workflow_id": waiting, "action": "accept"},
                )
            )
            wait_status(api, waiting, "completed")
            events = ok(api.get(f"/api/workflows/{waiting}/events?limit=1000"))["events"]
            started = [e["agent"] for e in events if e["type"] == "agent_started"]
            assert started == ["demand", "inventory"]  # once each, before the restart
            steps = ok(api.get(f"/api/workflows/{waiting}/steps"))["steps"]
            assert {s["attempt"] for s in steps} == {1}  # the first attempt's execution is gone
            assert [s["name"] for s in steps][:3] == [
                "IsRetry",
                "ResumeAt",
                "ManufacturingApproval",
            ]
    # a fresh run's IsRetry probe of $.resume_from is no error in the runtime's log
    assert not [r for r in caplog.records if "NoSuchJsonPathError" in r.getMessage()]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"format": "fashion-forecast-local-snapshot", "version": 1, "tables": {"Da', "corrupt"),
        (b"\x00\xff not json", "corrupt"),
        (b'{"some": "other file"}', "not a fashion-forecast-local-snapshot file"),
        (
            json.dumps({"format": persistence.FORMAT, "version": 99, "tables": {}}).encode(),
            "format version 99",
        ),
        (
            json.dumps(
                {
                    "format": persistence.FORMAT,
                    "version": 1,
                    "tables": {"DataTable": [{"pk": {"B": "not base64!"}}]},
                    "buckets": {},
                }
            ).encode(),
            "corrupt",
        ),
    ],
)
def test_a_snapshot_that_cannot_be_read_fails_the_start_naming_the_file(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / persistence.SNAPSHOT_NAME
    path.write_bytes(content)
    runtime = LocalRuntime(data_dir=tmp_path)
    with pytest.raises(SnapshotError) as failed:
        runtime.start()
    assert str(path) in str(failed.value)
    assert reason in str(failed.value)
    assert path.read_bytes() == content  # never written over
    assert runtime.lambdas is None  # nothing left running
    with pytest.raises(SnapshotError):  # and the data dir is not left locked
        LocalRuntime(data_dir=tmp_path).start()


def test_a_snapshot_of_resources_the_template_lacks_fails_the_start(tmp_path: Path) -> None:
    path = tmp_path / persistence.SNAPSHOT_NAME
    snapshot = persistence.Snapshot(tables={"DataTable": [], "RenamedTable": []}, buckets={})
    path.write_bytes(snapshot.to_json())
    with pytest.raises(SnapshotError, match="RenamedTable") as failed:
        LocalRuntime(data_dir=tmp_path).start()
    assert str(path) in str(failed.value)
    assert path.read_bytes() == snapshot.to_json()


def test_one_runtime_per_data_dir(tmp_path: Path) -> None:
    with (
        LocalRuntime(data_dir=tmp_path, seed=False),
        pytest.raises(DataDirInUseError, match="in use by another local runtime"),
    ):
        LocalRuntime(data_dir=tmp_path, seed=False).start()


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def multipart(name: str, content: bytes, boundary: str = "durable-test-boundary") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_sigterm_drains_the_request_in_flight_writes_the_snapshot_and_exits_0(
    tmp_path: Path,
) -> None:
    with serve_subprocess(data_dir=tmp_path) as server:
        # a write just before the signal
        stores = httpx.post(
            f"{server.base}/api/data/upload-store-attributes",
            files={"file": ("s.csv", renamed_stores(), "text/csv")},
            timeout=60,
            headers=server.headers,
        )
        assert stores.status_code == 201, stores.text
        # a write in flight when the signal comes: the server has answered 100 Continue, so the
        # request is being handled and waits for its body
        body = multipart("h.csv", HATS)
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        with sock:
            sock.sendall(
                (
                    "POST /api/data/upload-historical-sales HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{server.port}\r\n"
                    f"x-api-key: {server.api_key}\r\n"
                    "Content-Type: multipart/form-data; boundary=durable-test-boundary\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    "Expect: 100-continue\r\nConnection: close\r\n\r\n"
                ).encode()
            )
            assert read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 100 ")
            server.process.send_signal(signal.SIGTERM)
            server.wait_for_output("Shutting down")
            deadline = time.monotonic() + 5
            while True:  # no new connections once the drain started
                try:
                    socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                except OSError:
                    break
                assert time.monotonic() < deadline, "serve still accepts connections"
                time.sleep(0.05)
            sock.sendall(body)
            answer = read_until(sock, b"\x00never")  # the server closes after its answer
        assert answer.startswith(b"HTTP/1.1 201 "), answer
        assert b'"rows_imported":4' in answer
        assert server.process.wait(timeout=60) == 0, "".join(server.output)
        assert any("Data kept in" in line for line in server.output)

    with serve_subprocess(data_dir=tmp_path) as restarted:
        assert any("Data: restored from" in line for line in restarted.output)
        stores_after = httpx.get(
            f"{restarted.base}/api/stores", timeout=30, headers=restarted.headers
        ).json()["items"]
        assert stores_after[0]["store_name"] == "Pittsburgh Flagship"
        categories = httpx.get(
            f"{restarted.base}/api/categories", timeout=30, headers=restarted.headers
        ).json()["items"]
        assert HATS_CATEGORY in categories
        # SIGINT (Ctrl-C) stops it the same way
        restarted.process.send_signal(signal.SIGINT)
        assert restarted.process.wait(timeout=60) == 0, "".join(restarted.output)


def test_a_sigterm_while_idle_exits_0_and_a_restart_finds_the_data(tmp_path: Path) -> None:
    with serve_subprocess(data_dir=tmp_path) as server:
        ok(
            httpx.post(
                f"{server.base}/api/data/upload-historical-sales",
                files={"file": ("h.csv", HATS, "text/csv")},
                timeout=60,
                headers=server.headers,
            )
        )
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0, "".join(server.output)
    restored = persistence.read(tmp_path)
    assert restored is not None
    keys = {o.key for objects in restored.buckets.values() for o in objects}
    assert "history/weekly/kids_hats.csv" in keys
    assert sorted(os.listdir(tmp_path)) == [".lock", persistence.SNAPSHOT_NAME]  # no temp files


def test_serve_refuses_a_corrupt_snapshot_naming_it(tmp_path: Path) -> None:
    path = tmp_path / persistence.SNAPSHOT_NAME
    path.write_bytes(b"{ truncated")
    command = [sys.executable, "-m", "fashion_forecast_local.cli", "serve"]
    done = subprocess.run(
        [*command, "--port", str(free_port()), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert str(path) in done.stderr
    assert "corrupt or unreadable" in done.stderr
    assert path.read_bytes() == b"{ truncated"


def test_snapshots_are_written_while_running_so_a_crash_loses_one_interval(
    tmp_path: Path,
) -> None:
    with LocalRuntime(data_dir=tmp_path, seed=False, snapshot_interval=0.2) as runtime:
        on_disk = persistence.read(tmp_path)  # written at start
        assert on_disk is not None
        assert runtime.snapshotter is not None
        written = runtime.snapshotter.last_written_at
        with TestClient(as_caller(create_app(runtime.container()))) as api:
            ok(api.post("/api/data/upload-historical-sales", files={"file": ("h.csv", HATS)}))
        key = "history/weekly/kids_hats.csv"
        deadline = time.monotonic() + 60
        while True:  # what a crash now would leave behind
            on_disk = persistence.read(tmp_path)
            assert on_disk is not None
            stored = {o.key for objects in on_disk.buckets.values() for o in objects}
            audited = {k for k in item_keys(on_disk) if k[0] == "AUDIT#sales_history#kids_hats"}
            if key in stored and audited:  # the upload's last write is its audit entry
                break
            assert time.monotonic() < deadline, "no snapshot with the upload was written"
            time.sleep(0.1)
        # nothing changed since: another round writes nothing (it waits for a round in
        # progress, so the one that wrote the upload has finished)
        assert runtime.save_snapshot() is False
        assert runtime.snapshotter.last_written_at != written
