"""Weekly sales -> S3 -> variance Lambda -> variance rows and flows, under moto with the bucket
notification created from template.yaml and every Lambda in-process.

Most tests use a synthetic season (a flat 1,000-unit weekly forecast, 15,000 units ordered,
the 50 sample stores) so every number is exact; one runs the real Zara forecast on the
bundled shock scenario.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ClusterShare,
    ForecastRecord,
    MarkdownRecord,
    StoreFactor,
)
from fashion_forecast.models.sales import UploadStatus, VarianceStatus
from fashion_forecast.models.workflows import Workflow, WorkflowStatus, WorkflowType
from fashion_forecast_local import sample_data
from tests.integration.flows import Live, live_stack
from tests.integration.seasons import HEADER, STORES, seed_season, week_file

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "weekly_sales_bad"


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


# -- helpers -----------------------------------------------------------------------------------


def upload(live: Live, forecast_id: str, data: bytes, week: int | None = None) -> Any:
    form = {"forecast_id": forecast_id}
    if week is not None:
        form["week_number"] = str(week)
    return live.api.post(
        "/api/data/upload-weekly-sales", data=form, files={"file": ("week.csv", data, "text/csv")}
    )


def settled(live: Live, workflow_id: str, *statuses: str) -> Workflow:
    """The workflow once in one of `statuses` and its progress event for that is in the log:
    the event is appended right after the status change, from the execution's thread, and
    moto's table is not safe to query while another thread writes to it."""
    workflow = live.wait(workflow_id, *statuses)
    expected = {
        "awaiting_approval": "human_input_required",
        "completed": "workflow_complete",
        "cancelled": "workflow_complete",
        "failed": "error",
    }[workflow.status.value]
    deadline = time.monotonic() + 10
    while True:
        events = live.container.event_log.after(workflow_id, 0, limit=1000).events
        last = events[-1] if events else None
        if last is not None and last.type == expected:
            pending = workflow.pending_approval
            if pending is None or getattr(last, "approval_id", None) == pending.approval_id:
                return workflow
        if time.monotonic() > deadline:
            raise AssertionError(f"no {expected} event for {workflow_id}")
        time.sleep(0.02)


def settle_flows(live: Live, body: dict[str, Any]) -> None:
    for workflow_id in body["workflows_started"]:
        settled(live, workflow_id, "awaiting_approval", "completed", "failed")


def bucket(live: Live) -> str:
    return live.container.sales.bucket


def stored_keys(live: Live, forecast_id: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(
        Bucket=bucket(live), Prefix=f"uploads/weekly/{forecast_id}/"
    )
    return [o["Key"] for o in listing.get("Contents", [])]


def items_of(live: Live, forecast_id: str) -> list[str]:
    """Sort keys of everything stored under the forecast besides the forecast itself."""
    response = boto3.client("dynamodb").query(
        TableName=live.container.settings.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"FORECAST#{forecast_id}"}},
    )
    return sorted(i["sk"]["S"] for i in response["Items"] if i["sk"]["S"] != "FORECAST")


def flows_of(live: Live, forecast_id: str) -> list[str]:
    """Executions of the state machine started for this forecast's in-season flows."""
    sfn = boto3.client("stepfunctions")
    arn = live.container.settings.state_machine_arn
    names = [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]
    return sorted(n for n in names if forecast_id in n)


def variance_invocations(live: Live) -> list[dict[str, Any]]:
    return [event for name, event in live.lambdas.invocations if name == "VarianceFunction"]


# -- the variance check and its flows ----------------------------------------------------------


def test_over_the_threshold_starts_exactly_one_reforecast(live: Live) -> None:
    forecast_id = seed_season(live.container)
    first = upload(live, forecast_id, week_file(1, 20), week=1)  # 1,000 = on target
    assert first.status_code == 201, first.text
    assert first.json()["variance"]["action_taken"] == "none"
    assert first.json()["variance"]["variance_pct"] == 0.0

    second = upload(live, forecast_id, week_file(2, 30), week=2)  # cum 2,500 vs 2,000
    assert second.status_code == 201, second.text
    body = second.json()
    reforecast_id = f"reforecast-{forecast_id}-w02"
    assert (body["status"], body["rows_imported"], body["units_by_week"]) == (
        "accepted",
        50,
        {"2": 1500},
    )
    assert (body["evaluated_weeks"], body["workflows_started"]) == ([2], [reforecast_id])
    variance = body["variance"]
    assert {k: variance[k] for k in variance if k not in {"note", "evaluated_at", "upload_id"}} == {
        "forecast_id": forecast_id,
        "week": 2,
        "status": "evaluated",
        "forecasted_cumulative": 2000.0,
        "actual_cumulative": 2500.0,
        "variance_pct": 0.25,
        "display": "+25.0%",
        "direction": "over",
        "variance_threshold": 0.2,
        "threshold_exceeded": True,
        "emergency": False,
        "action_taken": "reforecast_started",
        "missing_weeks": [],
        "forecast_version": 1,
        "plan_anchor_week": 0,
        "reforecast_workflow_id": reforecast_id,
        "markdown_workflow_id": None,
        "revision": 1,
    }
    workflow = settled(live, reforecast_id, "awaiting_approval")
    assert workflow.workflow_type is WorkflowType.REFORECAST
    assert {k: workflow.input[k] for k in workflow.input if k != "parameters"} == {
        "workflow_id": reforecast_id,
        "workflow_type": "reforecast",
        "category_id": "womens_dresses",
        "forecast_id": forecast_id,
        "actual_sales_week_1_to_n": [1000, 1500],
        "forecasted_week_1_to_n": [1000.0, 1000.0],
        "remaining_weeks": 10,
        "variance_pct": 0.25,
    }
    # factor 1 + 2/(2+4) x 1/2 x 0.25 -> weeks 3..12 at 1,041.67; the 10,416.7 still to sell
    # with 25% safety stock need 13,021, and 15,000 ordered - 2,500 sold = 12,500 are on hand:
    # 521 more (safety stock on the remaining weeks only, never on the 2,500 sold)
    assert workflow.pending_approval is not None
    data = workflow.pending_approval.data
    assert (data["extra_order_qty"], data["required_qty"], data["units_on_hand"]) == (
        521,
        13021,
        12500,
    )
    allocation = live.api.get(f"/api/allocations/{forecast_id}").json()
    assert (allocation["status"], allocation["ordered_approved_qty"]) == ("approved", 15000)
    assert [(a["status"], a["extra_order_qty"]) for a in allocation["proposed"]] == [
        ("proposed", 521)
    ]
    forecast = live.container.records.get(FORECAST, forecast_id, ForecastRecord)
    assert forecast.version == 2 and forecast.weekly[2].forecast == 1041.67
    assert forecast.actuals == {1: 1000.0, 2: 1500.0}

    # the same S3 event delivered again: answered from the idempotency record
    event = variance_invocations(live)[-1]
    upload_before = live.container.in_season.get_upload(forecast_id, body["upload_id"])
    row_before = live.container.in_season.get_variance(forecast_id, 2)
    for _ in range(2):
        response = boto3.client("lambda").invoke(
            FunctionName="VarianceFunction", Payload=json.dumps(event).encode()
        )
        assert "FunctionError" not in response
        result = json.loads(response["Payload"].read())["results"][0]
        assert result["workflows_started"] == [reforecast_id]  # the stored first answer
    assert live.container.in_season.get_upload(forecast_id, body["upload_id"]) == upload_before
    assert live.container.in_season.get_variance(forecast_id, 2) == row_before

    # the same file uploaded again: processed again, but the week's re-forecast exists
    again = upload(live, forecast_id, week_file(2, 30), week=2)
    assert again.status_code == 201, again.text
    assert again.json()["upload_id"] != body["upload_id"]
    assert again.json()["workflows_started"] == []
    assert again.json()["variance"]["action_taken"] == "reforecast_started"
    assert again.json()["variance"]["reforecast_workflow_id"] == reforecast_id
    assert again.json()["variance"]["revision"] == 2
    assert flows_of(live, forecast_id) == [reforecast_id]
    listed = live.container.workflows.list(workflow_type=WorkflowType.REFORECAST, limit=100).items
    assert [w.workflow_id for w in listed if forecast_id in w.workflow_id] == [reforecast_id]


def test_reforecast_moves_holdback_toward_fast_stores(live: Live) -> None:
    """Store velocities from the uploads drive the re-plan's holdback move (docs/domain.md: above
    1.15 receives, below 0.85 does not)."""
    stores = [
        StoreFactor(store_id=s, cluster_id=0, cluster_name="Mainstream", store_factor=1 / 50)
        for s in STORES
    ]
    forecast_id = seed_season(
        live.container,
        clusters=[ClusterShare(cluster_id=0, name="Mainstream", store_count=50, share=1.0)],
        stores=stores,
        holdback=1000,
    )
    fast, slow = STORES[:10], STORES[10:15]
    rows = "".join(
        f"{s},1,{50 if s in fast else 10 if s in slow else 20},womens_dresses\n" for s in STORES
    )
    response = upload(live, forecast_id, (HEADER + rows).encode(), week=1)  # 1,250 vs 1,000
    assert response.status_code == 201, response.text
    workflow_id = f"reforecast-{forecast_id}-w01"
    assert response.json()["workflows_started"] == [workflow_id]
    settled(live, workflow_id, "awaiting_approval")
    workflow = live.container.workflows.get(workflow_id)
    allocation = live.container.records.get(
        ALLOCATION, workflow.allocation_id or "", AllocationRecord
    )
    holdback = (allocation.replan or {})["holdback"]
    # each fast store sold 50 against 20 expected: it claims 30; 10 x 30 = 300 leave the DC
    assert (holdback["dc_stock_before"], holdback["moved"], holdback["dc_stock_after"]) == (
        1000,
        300,
        700,
    )
    received = {s["store_id"]: s["units_received"] for s in holdback["stores"]}
    assert all(received[s] == 30 for s in fast)
    assert sum(received.values()) == 300
    assert {s["store_id"] for s in holdback["stores"] if s["status"] == "slow"} == set(slow)
    assert live.api.post(f"/api/workflows/{workflow_id}/cancel").status_code == 200


def test_under_the_threshold_starts_nothing(live: Live) -> None:
    forecast_id = seed_season(live.container)
    for week in (1, 2, 3):
        response = upload(live, forecast_id, week_file(week, 21), week=week)  # 1,050: +5%
        assert response.status_code == 201, response.text
        variance = response.json()["variance"]
        assert (variance["display"], variance["action_taken"]) == ("+5.0%", "none")
        assert variance["actual_cumulative"] == 1050.0 * week
    assert flows_of(live, forecast_id) == []
    rows = live.api.get(f"/api/variance/{forecast_id}").json()["items"]
    assert [(r["week"], r["threshold_exceeded"]) for r in rows] == [
        (1, False),
        (2, False),
        (3, False),
    ]


def test_weeks_arriving_out_of_order(live: Live) -> None:
    forecast_id = seed_season(live.container)
    third = upload(live, forecast_id, week_file(3, 30), week=3).json()
    assert (third["evaluated_weeks"], third["pending_weeks"]) == ([], [3])
    assert third["variance"]["status"] == "pending"
    assert third["variance"]["action_taken"] == "pending_missing_weeks"
    assert third["variance"]["missing_weeks"] == [1, 2]
    assert third["variance"]["variance_pct"] is None

    first = upload(live, forecast_id, week_file(1, 20), week=1).json()
    assert (first["evaluated_weeks"], first["pending_weeks"]) == ([1], [3])
    waiting = live.api.get(f"/api/variance/{forecast_id}/week/3").json()
    assert (waiting["status"], waiting["missing_weeks"]) == ("pending", [2])

    second = upload(live, forecast_id, week_file(2, 26), week=2).json()  # 1,300
    assert (second["evaluated_weeks"], second["pending_weeks"]) == ([2, 3], [])
    assert second["variance"]["display"] == "+15.0%"
    assert second["variance"]["action_taken"] == "none"
    week3 = live.api.get(f"/api/variance/{forecast_id}/week/3").json()
    assert (week3["status"], week3["actual_cumulative"], week3["forecasted_cumulative"]) == (
        "evaluated",
        3800.0,
        3000.0,
    )
    assert (week3["display"], week3["action_taken"]) == ("+26.7%", "reforecast_started")
    assert second["workflows_started"] == [f"reforecast-{forecast_id}-w03"]
    assert flows_of(live, forecast_id) == [f"reforecast-{forecast_id}-w03"]
    workflow = settled(live, f"reforecast-{forecast_id}-w03", "awaiting_approval", "completed")
    assert workflow.input["actual_sales_week_1_to_n"] == [1000, 1300, 1500]


def test_a_file_with_several_weeks_acts_on_its_latest_week(live: Live) -> None:
    forecast_id = seed_season(live.container)
    data = week_file(1, 40) + week_file(2, 20).removeprefix(HEADER.encode())  # +100%, +50%
    body = upload(live, forecast_id, data).json()  # week_number defaults to the latest: 2
    assert (body["week_number"], body["weeks"], body["evaluated_weeks"]) == (2, [1, 2], [1, 2])
    week1 = live.api.get(f"/api/variance/{forecast_id}/week/1").json()
    assert (week1["action_taken"], week1["emergency"]) == ("superseded_by_later_week", True)
    assert body["variance"]["action_taken"] == "reforecast_started"
    assert flows_of(live, forecast_id) == [f"reforecast-{forecast_id}-w02"]
    settle_flows(live, body)


def test_the_checkpoint_week_starts_the_markdown_flow(live: Live) -> None:
    forecast_id = seed_season(live.container, checkpoint=3, manufacturing_qty=24_000)
    for week in (1, 2):  # 800 a week against 1,000 planned: -20%, not over the threshold
        assert upload(live, forecast_id, week_file(week, 16), week=week).status_code == 201
    assert live.api.get(f"/api/markdowns/{forecast_id}").status_code == 404
    body = upload(live, forecast_id, week_file(3, 16), week=3).json()
    markdown_id = f"markdown-{forecast_id}-w03"
    assert body["workflows_started"] == [markdown_id]
    assert (body["variance"]["action_taken"], body["variance"]["variance_pct"]) == (
        "markdown_started",
        -0.2,
    )
    workflow = settled(live, markdown_id, "awaiting_approval")
    assert (workflow.input["checkpoint_week"], workflow.input["sold_to_date"]) == (3, 2400)
    assert workflow.pending_approval is not None
    data = workflow.pending_approval.data
    # projected: (2,400 sold + 9 x 1,000 still planned) / 24,000 = 47.5% against 60%; the
    # 12.5-point gap x the womens_dresses elasticity used (2.32 fitted at R^2 0.10, shrunk to
    # 2.03) = 25.4% -> 25%; 9,000 x (1 + 2.03 x 25%) = 13,568 fits the 21,600 left
    assert (data["sell_through"], data["remaining_forecast"]) == (0.475, 9000)
    assert (data["markdown_pct"], data["max_markdown_pct"]) == (0.25, 0.4)
    proposed = live.api.get(f"/api/markdowns/{forecast_id}").json()
    assert (proposed["status"], proposed["elasticity"], proposed["plan_to_date"]) == (
        "proposed",
        2.03,
        3000,
    )
    assert live.approve(markdown_id, "markdown", action="accept").status_code == 200
    settled(live, markdown_id, "completed")
    markdown = live.api.get(f"/api/markdowns/{forecast_id}").json()
    assert (markdown["markdown_pct"], markdown["sold_to_date"], markdown["applied"]) == (
        0.25,
        2400.0,
        True,
    )
    assert markdown["status"] == "applied"
    lift = markdown["expected_lift"]
    forecast = live.api.get(f"/api/forecasts/{forecast_id}").json()
    assert [v["version"] for v in forecast["versions"]] == [1, 2]
    assert forecast["versions"][1]["reason"] == "markdown 25% at week 3"
    assert forecast["weekly"][3]["forecast"] == round(1000 * (1 + lift), 2)
    # week 4 is measured against the lifted curve (no re-forecast anchor: weeks 1..3 forecast)
    week4 = upload(live, forecast_id, week_file(4, 30), week=4).json()["variance"]  # -13.5%
    assert week4["forecast_version"] == 2
    assert week4["forecasted_cumulative"] == round(3000 + round(1000 * (1 + lift), 2), 2)
    assert flows_of(live, forecast_id) == [markdown_id]  # one markdown per season


def test_zara_shock_week_6_reforecasts_first_then_prices(live: Live) -> None:
    workflow_id = live.start_forecast("zara")
    settled(live, workflow_id, "awaiting_approval")
    assert live.approve(workflow_id, action="accept").status_code == 200
    forecast_id = settled(live, workflow_id, "completed").forecast_id
    assert forecast_id
    rows = sample_data.load_sample_weekly_sales("shock_up")
    displays = []
    for week in range(1, 7):
        text = HEADER + "".join(
            f"{r['store_id']},{week},{r['units_sold']},{r['category']}\n"
            for r in rows
            if r["week_number"] == week
        )
        response = upload(live, forecast_id, text.encode(), week=week)
        assert response.status_code == 201, response.text
        displays.append(response.json()["variance"]["display"])
    assert displays == ["+2.2%", "+8.2%", "+5.2%", "+4.2%", "+18.7%", "+26.3%"]
    final = response.json()
    reforecast_id, markdown_id = (f"reforecast-{forecast_id}-w06", f"markdown-{forecast_id}-w06")
    assert final["workflows_started"] == [reforecast_id, markdown_id]
    assert final["variance"]["action_taken"] == "reforecast_and_markdown_started"
    assert final["variance"]["actual_cumulative"] == 32583.0
    reforecast = settled(live, reforecast_id, "awaiting_approval")
    # 27% above plan at the checkpoint: no markdown, so no approval (DOMAIN's revised rule)
    markdown = settled(live, markdown_id, "completed")
    assert reforecast.started_at and markdown.created_at > reforecast.updated_at  # sequenced
    assert reforecast.pending_approval and reforecast.pending_approval.data["extra_order_qty"] > 0
    asked = reforecast.pending_approval.data
    ordered = asked["ordered_approved_qty"]
    assert asked["manufacturing_qty"] == ordered + asked["extra_order_qty"]  # the new total
    record = live.container.records.get(MARKDOWN, markdown.markdown_id or "", MarkdownRecord)
    # the extra order awaiting approval does not count: the approved order only
    assert record.manufacturing_qty == ordered
    assert (record.sold_to_date, record.above_plan, record.markdown_pct) == (32583.0, True, 0.0)
    assert record.status == "not_needed"
    assert "sales run above plan" in record.reasoning
    assert live.approve(reforecast_id, "manufacturing", action="accept").status_code == 200
    settled(live, reforecast_id, "completed")
    allocation = live.api.get(f"/api/allocations/{forecast_id}").json()
    assert allocation["status"] == "approved" and allocation["proposed"] == []
    assert allocation["ordered_approved_qty"] == ordered + allocation["extra_order_qty"]


# -- refused files -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def refused_forecast(live: Live) -> str:
    return seed_season(live.container)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.csv")))
def test_bad_files_are_refused_with_422_and_nothing_is_stored(
    live: Live, refused_forecast: str, name: str
) -> None:
    expected = json.loads((CORPUS / "expected.json").read_text())[name]
    response = upload(live, refused_forecast, (CORPUS / name).read_bytes(), week=1)
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["error_code"], body["message"], body["details"]) == (
        expected["error_code"],
        expected["message"],
        expected["details"],
    )
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert stored_keys(live, refused_forecast) == []
    assert items_of(live, refused_forecast) == []


def test_a_20_mb_upload_is_refused_with_413_before_it_is_read(
    live: Live, refused_forecast: str
) -> None:
    big = (HEADER + "S001,1,1,womens_dresses\n" * 900_000).encode()
    response = upload(live, refused_forecast, big, week=1)
    assert response.status_code == 413
    body = response.json()
    assert body["error_code"] == "payload_too_large"
    assert set(body) == {"error_code", "message", "details", "request_id"}
    assert stored_keys(live, refused_forecast) == []
    assert items_of(live, refused_forecast) == []


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"week_number": "13"}, 422, "week_out_of_range"),
        ({"week_number": "2"}, 422, "invalid_file"),  # the file is week 1's
        ({"week_number": "0"}, 422, "validation_error"),
        ({"week_number": "six"}, 422, "validation_error"),
        ({"forecast_id": "no-such-forecast"}, 404, "not_found"),
        ({"forecast_id": "../../etc/passwd"}, 422, "validation_error"),
        ({"forecast_id": None}, 422, "validation_error"),
    ],
)
def test_bad_upload_requests(
    live: Live, refused_forecast: str, form: dict[str, Any], status: int, code: str
) -> None:
    fields = {"forecast_id": refused_forecast, **form}
    data = {k: v for k, v in fields.items() if v is not None}
    response = live.api.post(
        "/api/data/upload-weekly-sales",
        data=data,
        files={"file": ("w.csv", week_file(1, 20), "text/csv")},
    )
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code
    assert items_of(live, refused_forecast) == []


def test_uploads_wait_for_the_approved_order(live: Live) -> None:
    forecast_id = seed_season(live.container, status=WorkflowStatus.RUNNING)
    response = upload(live, forecast_id, week_file(1, 20), week=1)
    assert response.status_code == 409
    assert response.json()["error_code"] == "forecast_not_ready"
    missing_file = live.api.post("/api/data/upload-weekly-sales", data={"forecast_id": forecast_id})
    assert missing_file.status_code == 422
    assert missing_file.json()["details"][0]["field"] == "file"
    assert items_of(live, forecast_id) == [] and stored_keys(live, forecast_id) == []


def test_a_bad_file_put_straight_into_s3_is_recorded_as_refused(live: Live) -> None:
    forecast_id = seed_season(live.container)
    key = f"uploads/weekly/{forecast_id}/week-01/20250310T080000000000-abcdef01.csv"
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket(live), Key=key, Body=(CORPUS / "negative_units.csv").read_bytes())
    status = live.api.get(f"/api/data/uploads/{forecast_id}/20250310T080000000000-abcdef01")
    assert status.status_code == 200
    body = status.json()
    assert (body["status"], body["source"], body["error"]["error_code"]) == (
        "rejected",
        "s3",
        "invalid_file",
    )
    assert body["error"]["details"] == [
        {"row": 3, "column": "units_sold", "message": "units_sold -4 is negative"}
    ]
    assert items_of(live, forecast_id) == ["UPLOAD#20250310T080000000000-abcdef01"]
    # the error goes to the season's progress stream
    season = live.container.records.get(FORECAST, forecast_id, ForecastRecord).workflow_id
    events = live.container.event_log.after(season, 0).events
    assert events[-1].type == "error"
    assert "units_sold -4 is negative" in events[-1].error_message  # type: ignore[union-attr]

    big_key = f"uploads/weekly/{forecast_id}/week-01/20250310T090000000000-abcdef02.csv"
    s3.put_object(Bucket=bucket(live), Key=big_key, Body=b"x" * 20_000_000)
    big = live.container.in_season.get_upload(forecast_id, "20250310T090000000000-abcdef02")
    assert big.status is UploadStatus.REJECTED and big.error is not None
    assert big.error.error_code == "file_too_large"
    assert big.size_bytes == 20_000_000
    assert live.container.in_season.list_actuals(forecast_id) == {}


def test_presigned_url_upload_takes_the_same_path(live: Live) -> None:
    forecast_id = seed_season(live.container)
    created = live.api.post(
        "/api/data/upload-url", json={"forecast_id": forecast_id, "week_number": 1}
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["method"] == "PUT" and ticket["max_bytes"] == 10 * 1024 * 1024
    assert ticket["key"] == f"uploads/weekly/{forecast_id}/week-01/{ticket['upload_id']}.csv"
    waiting = live.api.get(ticket["status_url"]).json()
    assert (waiting["status"], waiting["source"]) == ("awaiting_file", "presigned_url")
    assert requests.put(ticket["url"], data=week_file(1, 30), timeout=10).status_code == 200
    done = live.api.get(ticket["status_url"]).json()
    settle_flows(live, done)
    assert (done["status"], done["rows_imported"], done["variance"]["display"]) == (
        "accepted",
        50,
        "+50.0%",
    )
    assert live.api.get(ticket["variance_url"]).json()["action_taken"] == "reforecast_started"
    for body, code in (
        ({"forecast_id": forecast_id, "week_number": 13}, "week_out_of_range"),
        ({"forecast_id": forecast_id, "week_number": 1, "extra": 1}, "validation_error"),
        ({"forecast_id": "nope", "week_number": 1}, "not_found"),
    ):
        assert live.api.post("/api/data/upload-url", json=body).json()["error_code"] == code


def test_objects_outside_the_upload_prefix_do_not_invoke_the_function(live: Live) -> None:
    before = len(variance_invocations(live))
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket(live), Key="uploads/history/x.csv", Body=b"a")
    s3.put_object(Bucket=bucket(live), Key="uploads/weekly/x/week-01/y.txt", Body=b"a")
    assert len(variance_invocations(live)) == before
    s3.put_object(Bucket=bucket(live), Key="uploads/weekly/not-a-key.csv", Body=b"a")
    assert len(variance_invocations(live)) == before + 1  # invoked, then ignored


def test_the_notification_comes_from_template_yaml(live: Live) -> None:
    template = live.template
    arn = template.arn("VarianceFunction")
    assert template.bucket_notifications() == {
        bucket(live): [
            {
                "Id": "DataBucketLambda0",
                "LambdaFunctionArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {
                    "Key": {
                        "FilterRules": [
                            {"Name": "prefix", "Value": "uploads/weekly/"},
                            {"Name": "suffix", "Value": ".csv"},
                        ]
                    }
                },
            }
        ]
    }
    applied = boto3.client("s3").get_bucket_notification_configuration(Bucket=bucket(live))
    assert [c["LambdaFunctionArn"] for c in applied["LambdaFunctionConfigurations"]] == [arn]


def test_no_function_refers_to_the_bucket_its_notification_depends_on(live: Live) -> None:
    """A !Ref/!GetAtt DataBucket in any function (or the Globals) closes a dependency cycle:
    bucket -> notification -> VarianceFunction -> role -> bucket (and through the state machine
    for the agents). Functions name the bucket with the same !Sub as the bucket itself."""
    body = live.template.body

    def refers(value: Any) -> bool:
        if isinstance(value, dict):
            if value.get("Ref") == "DataBucket":
                return True
            getatt = value.get("Fn::GetAtt")
            if isinstance(getatt, list) and getatt[0] == "DataBucket":
                return True
            return any(refers(v) for v in value.values())
        if isinstance(value, list):
            return any(refers(v) for v in value)
        return isinstance(value, str) and "${DataBucket." in value

    assert not refers(body["Globals"])
    for logical_id in live.template.of_type("AWS::Serverless::Function"):
        props = dict(body["Resources"][logical_id]["Properties"])
        props.pop("Events", None)
        assert not refers(props), logical_id


# -- resource endpoints ------------------------------------------------------------------------


def test_resource_endpoints_and_their_404s(live: Live) -> None:
    forecast_id = seed_season(live.container)
    api = live.api
    before = api.get(f"/api/forecasts/{forecast_id}/position")  # nothing uploaded or settled
    assert (before.status_code, before.json()["error_code"]) == (404, "not_found")
    detail = api.get(f"/api/forecasts/{forecast_id}")
    assert detail.status_code == 200
    body = detail.json()
    assert [w["forecast"] for w in body["weekly"]] == [1000.0] * 12
    assert (body["weekly"][0]["lower"], body["weekly"][0]["upper"]) == (800.0, 1200.0)
    assert [v["version"] for v in body["versions"]] == [1] and body["actuals"] == {}
    upload(live, forecast_id, week_file(1, 22), week=1)
    assert api.get(f"/api/forecasts/{forecast_id}").json()["actuals"] == {"1": 1100.0}
    position = api.get(f"/api/forecasts/{forecast_id}/position").json()
    assert (position["through_week"], position["sold"], position["ordered_approved"]) == (
        1,
        1100,
        15000,
    )
    assert (position["at_dc"], position["shipped"], position["store_on_hand"]) == (0, 15000, 13900)

    allocation = api.get(f"/api/allocations/{forecast_id}").json()
    assert (allocation["manufacturing_qty"], allocation["forecast_id"]) == (15000, forecast_id)
    missing_markdown = api.get(f"/api/markdowns/{forecast_id}")
    assert missing_markdown.status_code == 404
    assert missing_markdown.json()["message"] == f"forecast {forecast_id} has no markdown yet"

    week1 = api.get(f"/api/variance/{forecast_id}/week/1").json()
    assert (week1["display"], week1["action_taken"]) == ("+10.0%", "none")
    assert api.get(f"/api/variance/{forecast_id}/week/2").status_code == 404
    assert api.get(f"/api/variance/{forecast_id}/week/13").json()["error_code"] == (
        "week_out_of_range"
    )
    for path in (f"/api/variance/{forecast_id}/week/0", f"/api/variance/{forecast_id}/week/x"):
        assert api.get(path).json()["error_code"] == "validation_error"

    for path in (
        "/api/forecasts/unknown-id",
        "/api/forecasts/unknown-id/position",
        "/api/allocations/unknown-id",
        "/api/markdowns/unknown-id",
        "/api/variance/unknown-id",
        "/api/variance/unknown-id/week/1",
        f"/api/data/uploads/{forecast_id}/unknown-upload",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) == {"error_code", "message", "details", "request_id"}
    assert api.get("/api/forecasts/bad%20id").status_code == 422


def test_forecasts_are_listed_newest_first_with_pages(live: Live) -> None:
    newest = [seed_season(live.container) for _ in range(3)][::-1]
    first = live.api.get("/api/forecasts", params={"limit": 2}).json()
    assert [f["forecast_id"] for f in first["items"]] == newest[:2]
    assert first["items"][0]["forecast_horizon_weeks"] == 12
    second = live.api.get("/api/forecasts", params={"limit": 1, "cursor": first["next_cursor"]})
    assert [f["forecast_id"] for f in second.json()["items"]] == newest[2:3]
    everything = live.api.get("/api/forecasts", params={"limit": 100}).json()
    stamps = [f["created_at"] for f in everything["items"]]
    assert stamps == sorted(stamps, reverse=True) and everything["next_cursor"] is None
    filtered = live.api.get("/api/forecasts", params={"category_id": "mens_basics"}).json()
    assert filtered == {"items": [], "next_cursor": None}
    bad = live.api.get("/api/forecasts", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert (bad.status_code, bad.json()["error_code"]) == (422, "invalid_cursor")
    assert live.api.get("/api/forecasts", params={"limit": 0}).status_code == 422


def test_stores_and_clusters_come_from_the_latest_forecast(live: Live) -> None:
    clusters = [
        ClusterShare(cluster_id=0, name="Fashion_Forward", store_count=14, share=0.48),
        ClusterShare(cluster_id=1, name="Mainstream", store_count=21, share=0.39),
        ClusterShare(cluster_id=2, name="Value_Conscious", store_count=15, share=0.13),
    ]
    cluster_of = [0] * 14 + [1] * 21 + [2] * 15
    stores = [
        StoreFactor(
            store_id=f"S{i + 1:03d}",
            cluster_id=c,
            cluster_name=clusters[c].name,
            store_factor=round(1 / clusters[c].store_count, 6),
        )
        for i, c in enumerate(cluster_of)
    ]
    forecast_id = seed_season(live.container, clusters=clusters, stores=stores, silhouette=0.41)
    listed = live.api.get("/api/stores", params={"category_id": "womens_dresses"}).json()
    assert listed["clustering"]["forecast_id"] == forecast_id
    assert listed["clustering"]["silhouette"] == 0.41
    assert len(listed["items"]) == 50
    s001, s050 = listed["items"][0], listed["items"][-1]
    assert (s001["store_id"], s001["cluster_id"], s001["cluster_name"]) == (
        "S001",
        0,
        "Fashion_Forward",
    )
    assert (s050["cluster_name"], s050["store_factor"]) == ("Value_Conscious", 0.066667)
    assert live.api.get("/api/stores").json()["clustering"]["forecast_id"] == forecast_id
    items = live.api.get("/api/stores/clusters").json()["items"]
    assert items == [{**c.model_dump(), "silhouette": 0.41} for c in clusters]
    none = live.api.get("/api/stores/clusters", params={"category_id": "mens_basics"}).json()
    assert none["items"] == [] and none["clustering"] is None
    assert none["note"].startswith("No forecast of category mens_basics yet")
    bad = live.api.get("/api/stores", params={"category_id": "../x"})
    assert bad.json()["error_code"] == "validation_error"


def test_upload_status_of_an_accepted_upload(live: Live) -> None:
    forecast_id = seed_season(live.container)
    body = upload(live, forecast_id, week_file(1, 20), week=1).json()
    status = live.api.get(body["status_url"]).json()
    assert status == body
    assert status["variance"]["status"] == VarianceStatus.EVALUATED.value
