"""app.in_season on the fakes: a weekly file through the API and the variance step, actuals,
variance rows and the flows they start."""

from __future__ import annotations

from typing import Any

import pytest

from fashion_forecast.app import in_season, plan, workflows
from fashion_forecast.app.planning import demand, inventory
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.sales_files import FileRejectedError
from fashion_forecast.models.forecasts import AllocationStatus, VersionStatus
from fashion_forecast.models.sales import UploadStatus, VarianceAction, VarianceStatus
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import ConflictError, Container, NotFoundError, UnavailableError
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    SAMPLE_STORE_IDS,
    event_types,
    process_object,
    put_weekly_object,
    seed_fake_season,
    seed_sample_stores,
    stored_forecast,
    weekly_sales_csv,
    weekly_sales_weeks,
    wire_variance_step,
)


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    c, fakes = fake_container()
    seed_sample_stores(fakes)
    return c, fakes


def count_store_reads(fakes: Fakes) -> list[int]:
    calls = [0]
    original = fakes.sales.store_attributes

    def counted() -> list[dict[str, Any]]:
        calls[0] += 1
        return original()

    fakes.sales.store_attributes = counted  # type: ignore[method-assign]
    return calls


def count_object_reads(fakes: Fakes) -> list[str]:
    """The keys the variance step reads from the bucket, in order."""
    keys: list[str] = []
    original = fakes.sales.read_upload

    def counted(key: str) -> bytes:
        keys.append(key)
        return original(key)

    fakes.sales.read_upload = counted  # type: ignore[method-assign]
    return keys


# -- checks ------------------------------------------------------------------------------------


def test_weekly_sales_are_taken_once_the_order_is_approved(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    with pytest.raises(NotFoundError):
        in_season.ready_forecast(c, "nope")
    waiting = seed_fake_season(c, status=WorkflowStatus.AWAITING_APPROVAL)
    with pytest.raises(ConflictError) as not_ready:
        in_season.ready_forecast(c, waiting.forecast_id)
    assert not_ready.value.code == "forecast_not_ready"
    ready = seed_fake_season(c)
    assert in_season.ready_forecast(c, ready.forecast_id).forecast_id == ready.forecast_id
    with pytest.raises(in_season.WeekOutOfSeasonError) as out:
        in_season.check_week(ready, 13)
    assert out.value.details == [{"field": "week_number", "message": "must be within 1..12"}]


def test_a_file_must_have_rows_for_the_uploads_week(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    forecast = seed_fake_season(c)
    with pytest.raises(FileRejectedError, match="no rows for week 3"):
        in_season.parse_weekly_file(c, forecast, weekly_sales_csv(2, 10), 3)


# -- the API path ------------------------------------------------------------------------------


def test_an_accepted_file_answers_with_the_weeks_variance(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    wire_variance_step(c, fakes)
    outcome = in_season.accept_weekly_file(
        c, forecast.forecast_id, 1, weekly_sales_csv(1, 24), caller=TEST_CALLER
    )
    upload = outcome.upload
    assert upload.status is UploadStatus.ACCEPTED and upload.source == "api"
    assert (upload.rows_imported, upload.weeks, upload.units_by_week) == (50, [1], {1: 1200})
    assert upload.validated_sha256 == in_season.sha256(weekly_sales_csv(1, 24))
    variance = outcome.variance
    assert variance is not None
    assert (variance.forecasted_cumulative, variance.actual_cumulative) == (1000.0, 1200.0)
    assert (variance.variance_pct, variance.display) == (0.2, "+20.0%")
    assert variance.threshold_exceeded is False  # exactly the threshold is within it
    actuals = c.in_season.list_actuals(forecast.forecast_id)[1]
    assert actuals.total_units == 1200 and actuals.store_units["S007"] == 24


def test_a_bad_file_is_refused_whole_with_nothing_stored(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    bad = weekly_sales_csv(1, 10).replace(b"S003,1,10", b"S003,1,-4").replace(b"S004", b"ZZ9")
    with pytest.raises(FileRejectedError) as refused:
        in_season.accept_weekly_file(c, forecast.forecast_id, 1, bad, caller=TEST_CALLER)
    assert [(d["row"], d["column"]) for d in refused.value.details] == [
        (4, "units_sold"),
        (5, "store_id"),
    ]
    assert isinstance(refused.value, DomainError) and refused.value.code == "invalid_file"
    assert fakes.in_season.uploads == {} and fakes.in_season.actuals == {}
    assert fakes.in_season.variance == {} and fakes.sales.objects == {}


def test_a_file_the_variance_step_refuses_is_an_upload_refusal(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    wire_variance_step(c, fakes)
    original = fakes.sales.put_weekly_upload

    def store_other_bytes(key: Any, data: bytes) -> str:
        # the object S3 ends up holding is not the file the API validated
        return original(key, data.replace(b"S002,", b"Z99,"))

    fakes.sales.put_weekly_upload = store_other_bytes  # type: ignore[method-assign]
    with pytest.raises(in_season.UploadRefusedError) as refused:
        in_season.accept_weekly_file(
            c, forecast.forecast_id, 1, weekly_sales_csv(1, 10), caller=TEST_CALLER
        )
    assert refused.value.code == "invalid_file"
    assert [(d["row"], d["column"]) for d in refused.value.details] == [(3, "store_id")]
    (upload,) = fakes.in_season.uploads.values()
    assert upload.status is UploadStatus.REJECTED and upload.error is not None
    assert fakes.in_season.actuals == {}
    assert event_types(fakes, forecast.workflow_id) == ["error"]  # on the season's stream


def test_a_file_s3_does_not_take_is_unavailable_and_marked_rejected(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    fakes.sales.reachable = False
    with pytest.raises(UnavailableError):
        in_season.accept_weekly_file(
            c, forecast.forecast_id, 1, weekly_sales_csv(1, 10), caller=TEST_CALLER
        )
    (upload,) = fakes.in_season.uploads.values()
    assert upload.status is UploadStatus.REJECTED
    assert upload.error is not None and upload.error.error_code == "service_unavailable"
    assert upload.revision == 2 and fakes.sales.objects == {} and fakes.in_season.actuals == {}


def test_without_a_result_in_time_the_upload_is_still_processing(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)  # no variance step wired: nothing ever finishes it
    outcome = in_season.accept_weekly_file(
        c, forecast.forecast_id, None, weekly_sales_csv(2, 1), caller=TEST_CALLER
    )
    assert outcome.upload.status is UploadStatus.PROCESSING and outcome.variance is None
    assert outcome.upload.week == 2  # the file's latest week
    assert sum(fakes.clock.slept) == pytest.approx(c.settings.weekly_upload_wait_seconds)
    upload_id = outcome.upload.upload_id
    polled = in_season.upload_status(c, forecast.forecast_id, upload_id)
    assert polled.upload.status is UploadStatus.PROCESSING and polled.variance is None
    process_object(c, fakes, outcome.upload.key)  # the S3 event arrives late
    done = in_season.upload_status(c, forecast.forecast_id, upload_id)
    assert done.upload.status is UploadStatus.ACCEPTED and done.upload.weeks == [2]
    assert done.variance is not None and done.variance.status is VarianceStatus.PENDING
    assert done.variance.missing_weeks == [1]


def test_the_variance_step_trusts_the_store_check_of_the_bytes_the_api_validated(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    wire_variance_step(c, fakes)
    reads = count_store_reads(fakes)
    in_season.accept_weekly_file(
        c, forecast.forecast_id, 1, weekly_sales_csv(1, 20), caller=TEST_CALLER
    )
    assert reads[0] == 1  # the API's check only

    # an object whose bytes differ from what the API validated is checked again
    fakes.sales.on_weekly_upload = None
    outcome = in_season.accept_weekly_file(
        c, forecast.forecast_id, 2, weekly_sales_csv(2, 20), caller=TEST_CALLER
    )
    key = outcome.upload.key
    fakes.sales.objects[key] = weekly_sales_csv(2, 21)
    process_object(c, fakes, key)
    assert reads[0] == 3
    assert c.in_season.list_actuals(forecast.forecast_id)[2].total_units == 1050


def test_a_presigned_upload_is_validated_by_the_variance_step(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    presigned = in_season.create_upload_url(c, forecast.forecast_id, 1, caller=TEST_CALLER)
    upload = presigned.upload
    assert upload.status is UploadStatus.AWAITING_FILE and upload.source == "presigned_url"
    assert upload.key in presigned.url
    assert (presigned.expires_at - upload.created_at).total_seconds() == 900
    with pytest.raises(in_season.WeekOutOfSeasonError):
        in_season.create_upload_url(c, forecast.forecast_id, 13, caller=TEST_CALLER)
    reads = count_store_reads(fakes)
    fakes.sales.objects[upload.key] = weekly_sales_csv(1, 9)
    summary = process_object(c, fakes, upload.key)
    assert (summary["status"], reads[0]) == ("accepted", 1)
    status = in_season.upload_status(c, forecast.forecast_id, upload.upload_id)
    assert status.upload.status is UploadStatus.ACCEPTED
    assert status.variance is not None and status.variance.actual_cumulative == 450


# -- the variance step ---------------------------------------------------------------------------


def test_objects_that_are_not_weekly_uploads_are_ignored(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    ignored = in_season.process_upload(c, bucket=fakes.sales.bucket, key="a.csv", etag="e", size=1)
    assert ignored == {"status": "ignored", "key": "a.csv"}
    key = "uploads/weekly/f/week-01/u.csv"
    assert in_season.process_upload(c, bucket="other", key=key, etag="e", size=1)["status"] == (
        "ignored"
    )
    assert fakes.in_season.uploads == {}


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("not_ready", "forecast_not_ready"),
        ("unknown", "unknown_forecast"),
        ("big", "file_too_large"),
    ],
)
def test_the_variance_step_refuses_what_it_cannot_take(
    fc: tuple[Container, Fakes], setup: str, code: str
) -> None:
    c, fakes = fc
    status = WorkflowStatus.RUNNING if setup == "not_ready" else WorkflowStatus.COMPLETED
    forecast = seed_fake_season(c, status=status)
    forecast_id = "no-such-forecast" if setup == "unknown" else forecast.forecast_id
    upload_id = "20250310T090000000000-aaaaaaaa"
    key = put_weekly_object(fakes, forecast_id, 1, upload_id, weekly_sales_csv(1, 10))
    reads = count_object_reads(fakes)
    size = c.settings.max_upload_bytes + 1 if setup == "big" else 1
    summary = in_season.process_upload(c, bucket=fakes.sales.bucket, key=key, etag="e", size=size)
    assert (summary["status"], summary["error_code"]) == ("rejected", code)
    assert reads == []  # refused before the object is read, whatever its size
    upload = c.in_season.get_upload(forecast_id, upload_id)
    assert upload.status is UploadStatus.REJECTED and upload.source == "s3"
    assert upload.error is not None and upload.error.error_code == code
    assert fakes.in_season.actuals == {} and fakes.in_season.variance == {}
    # only a season in progress hears of it (not a pre-season workflow still running)
    expected_events = ["error"] if setup == "big" else []
    assert event_types(fakes, forecast.workflow_id) == expected_events


def test_the_latest_upload_of_a_week_wins_and_a_repeat_is_answered_as_it_was(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    fid = forecast.forecast_id
    later_id, earlier_id = "20250310T100000000000-bbbbbbbb", "20250310T090000000000-aaaaaaaa"
    later = put_weekly_object(fakes, fid, 1, later_id, weekly_sales_csv(1, 30))
    earlier = put_weekly_object(fakes, fid, 1, earlier_id, weekly_sales_csv(1, 10))
    first = process_object(c, fakes, later)
    assert (first["status"], first["evaluated_weeks"]) == ("accepted", [1])
    older = process_object(c, fakes, earlier)  # an older upload does not replace the week
    assert (older["status"], older["evaluated_weeks"]) == ("accepted", [])
    actuals = c.in_season.list_actuals(fid)[1]
    assert (actuals.total_units, actuals.upload_id) == (1500, later_id)
    assert c.in_season.get_variance(fid, 1).actual_cumulative == 1500

    # the same object again (a duplicate S3 event): the final record as it is, nothing redone
    record = c.in_season.get_upload(fid, later_id)
    reads, store_reads = count_object_reads(fakes), count_store_reads(fakes)
    assert process_object(c, fakes, later) == first
    assert c.in_season.get_upload(fid, later_id) == record
    assert (reads, store_reads[0]) == ([], 0)

    # a newer upload of the week replaces it
    newest_id = "20250310T110000000000-cccccccc"
    newest = put_weekly_object(fakes, fid, 1, newest_id, weekly_sales_csv(1, 12))
    assert process_object(c, fakes, newest)["evaluated_weeks"] == [1]
    actuals = c.in_season.list_actuals(fid)[1]
    assert (actuals.total_units, actuals.upload_id, actuals.store_units["S050"]) == (
        600,
        newest_id,
        12,
    )
    row = c.in_season.get_variance(fid, 1)
    assert (row.actual_cumulative, row.variance_pct, row.revision) == (600, -0.4, 2)


def test_an_object_rewritten_under_its_key_is_processed_again(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    fid = forecast.forecast_id
    upload_id = "20250310T090000000000-aaaaaaaa"
    key = put_weekly_object(
        fakes, fid, 1, upload_id, weekly_sales_csv(1, 10).replace(b"S001", b"Z")
    )
    assert process_object(c, fakes, key)["error_code"] == "invalid_file"
    fakes.sales.objects[key] = weekly_sales_csv(1, 10)  # a second PUT: a new ETag
    assert process_object(c, fakes, key)["status"] == "accepted"
    upload = c.in_season.get_upload(fid, upload_id)
    assert (upload.status, upload.error, upload.revision) == (UploadStatus.ACCEPTED, None, 4)
    assert c.in_season.list_actuals(fid)[1].total_units == 500


def test_out_of_order_weeks_wait_for_the_gap(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    fid = forecast.forecast_id
    three = put_weekly_object(
        fakes, fid, 3, "20250324T090000000000-cccccccc", weekly_sales_csv(3, 20)
    )
    summary = process_object(c, fakes, three)
    assert summary["evaluated_weeks"] == []
    pending = c.in_season.get_variance(fid, 3)
    assert (pending.status, pending.missing_weeks) == (VarianceStatus.PENDING, [1, 2])
    assert pending.action_taken is VarianceAction.PENDING
    both = put_weekly_object(
        fakes, fid, 2, "20250325T090000000000-dddddddd", weekly_sales_weeks({1: 20, 2: 20})
    )
    summary = process_object(c, fakes, both)
    assert summary["evaluated_weeks"] == [1, 2, 3]
    evaluated = c.in_season.get_variance(fid, 3)
    assert (evaluated.status, evaluated.actual_cumulative, evaluated.forecasted_cumulative) == (
        VarianceStatus.EVALUATED,
        3000.0,
        3000.0,
    )


def upload_weeks(c: Container, fakes: Fakes, fid: str, per_week: dict[int, int], n: int) -> Any:
    data = weekly_sales_weeks(per_week, stores=SAMPLE_STORE_IDS[:n])
    week = max(per_week)
    key = put_weekly_object(fakes, fid, week, f"2025031{week}T090000000000-eeeeeeee", data)
    return process_object(c, fakes, key)


def test_the_domain_example_starts_a_reforecast(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c, weekly=[600, 625, 650, 675] + [700] * 8)  # 2,550 to week 4
    fid = forecast.forecast_id
    summary = upload_weeks(c, fakes, fid, {1: 16, 2: 16, 3: 16, 4: 16}, 50)  # 3,200 to week 4
    name = f"reforecast-{fid}-w04"
    assert summary["workflows_started"] == [name]
    row = c.in_season.get_variance(fid, 4)
    assert (row.variance_pct, row.display, row.threshold_exceeded) == (0.255, "+25.5%", True)
    assert row.action_taken is VarianceAction.REFORECAST and row.reforecast_workflow_id == name
    assert c.in_season.get_variance(fid, 3).action_taken is VarianceAction.SUPERSEDED
    started = fakes.state_machine.executions[name].input
    assert started["workflow_type"] == "reforecast"
    assert started["actual_sales_week_1_to_n"] == [800, 800, 800, 800]
    assert started["forecasted_week_1_to_n"] == [600, 625, 650, 675]
    assert (started["remaining_weeks"], started["variance_pct"]) == (8, 0.255)
    again = upload_weeks(c, fakes, fid, {4: 16}, 50)  # a re-upload starts nothing new
    assert again["workflows_started"] == [] and len(fakes.state_machine.executions) == 1


def test_the_checkpoint_starts_the_markdown_after_the_reforecast(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c, checkpoint=2)
    fid = forecast.forecast_id
    sleep = fakes.clock.sleep

    def reforecast_reaches_its_approval(seconds: float) -> None:
        # while the variance step waits, the re-forecast's steps run and ask for approval
        reforecast = f"reforecast-{fid}-w02"
        if c.workflows.get(reforecast).status is WorkflowStatus.PENDING:
            c.workflows.transition(reforecast, WorkflowStatus.RUNNING)
            c.workflows.transition(reforecast, WorkflowStatus.AWAITING_APPROVAL)
        sleep(seconds)

    fakes.clock.sleep = reforecast_reaches_its_approval  # type: ignore[method-assign]
    summary = upload_weeks(c, fakes, fid, {1: 30, 2: 30}, 50)  # +50%
    assert summary["workflows_started"] == [f"reforecast-{fid}-w02", f"markdown-{fid}-w02"]
    markdown = fakes.state_machine.executions[f"markdown-{fid}-w02"].input
    assert (markdown["checkpoint_week"], markdown["sold_to_date"]) == (2, 3000)
    row = c.in_season.get_variance(fid, 2)
    assert row.action_taken is VarianceAction.REFORECAST_AND_MARKDOWN and row.emergency is True


def test_the_checkpoint_starts_one_markdown_per_season(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c, checkpoint=2)
    fid = forecast.forecast_id
    assert upload_weeks(c, fakes, fid, {1: 20}, 50)["workflows_started"] == []
    on_plan = upload_weeks(c, fakes, fid, {2: 20}, 50)  # 2,000 sold of 2,000 planned
    name = f"markdown-{fid}-w02"
    assert on_plan["workflows_started"] == [name]
    started = fakes.state_machine.executions[name].input
    assert (started["workflow_type"], started["forecast_id"]) == ("markdown", fid)
    assert (started["checkpoint_week"], started["sold_to_date"]) == (2, 2000)
    assert c.workflows.get(name).workflow_type is WorkflowType.MARKDOWN
    row = c.in_season.get_variance(fid, 2)
    assert (row.action_taken, row.markdown_workflow_id) == (VarianceAction.MARKDOWN, name)
    # the checkpoint week uploaded again and the next week: no second markdown
    again = put_weekly_object(
        fakes, fid, 2, "20250318T090000000000-ffffffff", weekly_sales_csv(2, 21)
    )
    assert process_object(c, fakes, again)["workflows_started"] == []
    row = c.in_season.get_variance(fid, 2)
    assert (row.action_taken, row.markdown_workflow_id, row.actual_cumulative) == (
        VarianceAction.MARKDOWN,
        name,
        2050,
    )
    assert upload_weeks(c, fakes, fid, {3: 20}, 50)["workflows_started"] == []
    assert list(fakes.state_machine.executions) == [name]


def test_a_checkpoint_retried_after_a_busy_reforecast_starts_the_markdown(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c, checkpoint=2)
    fid = forecast.forecast_id
    reforecast, markdown = f"reforecast-{fid}-w02", f"markdown-{fid}-w02"
    data = weekly_sales_weeks({1: 30, 2: 30})
    key = put_weekly_object(fakes, fid, 2, "20250317T090000000000-eeeeeeee", data)
    with pytest.raises(in_season.FlowsBusyError, match=reforecast):
        process_object(c, fakes, key)  # the re-forecast started, still pending at the deadline
    assert list(fakes.state_machine.executions) == [reforecast]
    assert c.in_season.get_upload(fid, "20250317T090000000000-eeeeeeee").status is (
        UploadStatus.PROCESSING
    )
    c.workflows.transition(reforecast, WorkflowStatus.RUNNING)
    c.workflows.transition(reforecast, WorkflowStatus.AWAITING_APPROVAL)
    retried = process_object(c, fakes, key)  # S3's retry of the same event
    assert retried["workflows_started"] == [reforecast, markdown]
    assert list(fakes.state_machine.executions) == [reforecast, markdown]
    assert c.in_season.list_actuals(fid)[2].total_units == 1500
    row = c.in_season.get_variance(fid, 2)
    assert row.action_taken is VarianceAction.REFORECAST_AND_MARKDOWN
    assert (row.reforecast_workflow_id, row.markdown_workflow_id) == (reforecast, markdown)


def test_no_reforecast_in_the_last_week_of_the_season(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c, weekly=[1000.0, 1000.0])
    summary = upload_weeks(c, fakes, forecast.forecast_id, {1: 30, 2: 30}, 50)
    assert summary["workflows_started"] == [] and fakes.state_machine.executions == {}
    row = c.in_season.get_variance(forecast.forecast_id, 2)
    assert (row.threshold_exceeded, row.action_taken) == (True, VarianceAction.NONE)
    assert "last week of the season" in row.note


def test_a_flow_waits_for_the_earlier_ones_and_gives_up_busy(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    fid = forecast.forecast_id
    upload_weeks(c, fakes, fid, {1: 30}, 50)  # starts reforecast-...-w01, left pending
    assert list(fakes.state_machine.executions) == [f"reforecast-{fid}-w01"]
    with pytest.raises(in_season.FlowsBusyError, match=f"reforecast-{fid}-w01"):
        upload_weeks(c, fakes, fid, {2: 30}, 50)
    assert list(fakes.state_machine.executions) == [f"reforecast-{fid}-w01"]
    assert sum(fakes.clock.slept) >= c.settings.flow_quiet_wait_seconds
    c.workflows.transition(f"reforecast-{fid}-w01", WorkflowStatus.RUNNING)
    c.workflows.transition(f"reforecast-{fid}-w01", WorkflowStatus.COMPLETED)
    started = upload_weeks(c, fakes, fid, {2: 30}, 50)["workflows_started"]
    assert started == [f"reforecast-{fid}-w02"]
    assert c.workflows.get(started[0]).workflow_type is WorkflowType.REFORECAST


def test_an_automatic_flow_waits_for_a_running_manual_reforecast(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    fid = seed_fake_season(c).forecast_id
    manual = workflows.start_reforecast(
        c,
        fid,
        actual_sales=[1000],
        forecasted=[1000.0],
        remaining_weeks=11,
        variance_pct=0.0,
        caller=TEST_CALLER,
    )
    with pytest.raises(in_season.FlowsBusyError, match=manual.workflow_id):
        upload_weeks(c, fakes, fid, {1: 30}, 50)  # +50%: a re-forecast is due
    assert list(fakes.state_machine.executions) == [manual.workflow_id]
    c.workflows.transition(manual.workflow_id, WorkflowStatus.RUNNING)
    c.workflows.transition(manual.workflow_id, WorkflowStatus.COMPLETED)
    started = upload_weeks(c, fakes, fid, {1: 30}, 50)["workflows_started"]
    assert started == [f"reforecast-{fid}-w01"]


def test_curve_versions_anchor_each_reforecast(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    forecast = seed_fake_season(c)
    second = forecast.versions[0].model_copy(
        update={"version": 2, "details": {"observed_weeks": 4}}
    )
    lift = forecast.versions[0].model_copy(update={"version": 3, "details": {"markdown_id": "m"}})
    versions = in_season.curve_versions(
        forecast.model_copy(update={"versions": [lift, second, forecast.versions[0]]})
    )
    assert [(v.version, v.anchor_week) for v in versions] == [(1, 0), (2, 4), (3, 4)]


# -- the plan in effect across re-forecasts -------------------------------------------------------

DOMAIN_CURVE = [600.0, 625.0, 650.0, 675.0, 700.0, 725.0, 750.0, 750.0, 700.0, 650.0, 600.0, 550.0]


def weeks_file(totals: dict[int, int]) -> bytes:
    """A file of several weeks with exact category totals (S001 takes the remainder)."""
    body = b""
    for week, total in totals.items():
        each = total // len(SAMPLE_STORE_IDS)
        units = {s: each for s in SAMPLE_STORE_IDS}
        units["S001"] += total - each * len(SAMPLE_STORE_IDS)
        body += weekly_sales_csv(week, units).split(b"\n", 1)[1]
    return weekly_sales_csv(1, 0).split(b"\n", 1)[0] + b"\n" + body


def run_reforecast(c: Container, workflow_id: str, forecast_id: str) -> dict[str, Any]:
    """The re-forecast flow's steps up to its decision: Demand, then the re-plan."""
    c.workflows.transition(workflow_id, WorkflowStatus.RUNNING)
    demand.reforecast(c, workflow_id)
    return inventory.replan(c, workflow_id, forecast_id, {})


def test_a_second_reforecast_starts_from_the_plan_in_effect(fc: tuple[Container, Fakes]) -> None:
    """DOMAIN's example, then four more weeks: the second re-forecast's observed ratio is the
    variance row's (+10.0% against the plan in effect), not +30.6% against the pre-season
    curve, which would apply the first miss again."""
    c, fakes = fc
    forecast = seed_fake_season(c, weekly=DOMAIN_CURVE, variance_threshold=0.05)
    fid = forecast.forecast_id
    key = put_weekly_object(
        fakes,
        fid,
        4,
        "20250324T090000000000-aaaaaaaa",
        weeks_file(dict(zip(range(1, 5), [750, 780, 820, 850], strict=True))),
    )
    assert process_object(c, fakes, key)["workflows_started"] == [f"reforecast-{fid}-w04"]
    first = f"reforecast-{fid}-w04"
    # 3,200 sold, 6,116.43 still planned x 1.25 = 7,646 < the 11,800 on hand: no extra order
    assert run_reforecast(c, first, fid)["extra_order_qty"] == 0
    workflows.complete(c, first)  # no approval needed: in effect

    key = put_weekly_object(
        fakes,
        fid,
        8,
        "20250421T090000000000-bbbbbbbb",
        weeks_file(dict(zip(range(5, 9), [950, 980, 1010, 1010], strict=True))),
    )
    assert process_object(c, fakes, key)["workflows_started"] == [f"reforecast-{fid}-w08"]
    row = c.in_season.get_variance(fid, 8)
    assert (row.forecast_version, row.plan_anchor_week) == (2, 4)
    assert (row.actual_cumulative, row.forecasted_cumulative) == (7150, 6497.8)
    assert (row.variance_pct, row.display) == (0.1, "+10.0%")

    second = f"reforecast-{fid}-w08"
    run_reforecast(c, second, fid)
    updated = stored_forecast(c, fid)
    version = updated.versions[-1]
    assert (version.version, version.status) == (3, VersionStatus.PROPOSED)
    details = version.details
    assert (details["plan_version"], details["plan_anchor_week"]) == (2, 4)
    assert details["observed_ratio"] == pytest.approx(7150 / 6497.8, abs=1e-12)
    assert round(details["observed_ratio"] - 1, 3) == row.variance_pct
    assert (details["evidence_weeks"], details["weight"]) == (4, 0.5)
    assert details["factor"] == pytest.approx(1.050187, abs=1e-6)
    # weeks 9-12 of version 2 (789.22, 732.84, 676.47, 620.1) x the factor
    assert [w.forecast for w in updated.weekly[8:]] == [828.83, 769.62, 710.42, 651.22]
    assert [w.forecast for w in updated.weekly[:8]] == [
        w.forecast for w in updated.versions[1].weekly[:8]
    ]


def test_a_rejected_reforecast_is_a_demand_view_not_the_plan(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)  # 12 x 1,000, 15,000 ordered
    fid = forecast.forecast_id
    key = put_weekly_object(
        fakes, fid, 2, "20250317T090000000000-aaaaaaaa", weeks_file({1: 1000, 2: 1500})
    )
    process_object(c, fakes, key)
    name = f"reforecast-{fid}-w02"
    # weeks 3-12 at 1,041.67: 10,416.7 x 1.25 = 13,021 needed, 12,500 on hand
    assert run_reforecast(c, name, fid)["extra_order_qty"] == 521
    proposal = stored_forecast(c, fid)
    assert (proposal.version, proposal.weekly[2].forecast) == (2, 1041.67)
    workflows.reject(c, name, None)
    rejected = stored_forecast(c, fid)
    assert [v.status for v in rejected.versions] == [VersionStatus.APPROVED, VersionStatus.REJECTED]
    assert (rejected.version, rejected.weekly[2].forecast) == (1, 1000.0)  # back to the plan
    assert rejected.versions[1].weekly[2].forecast == 1041.67  # kept as a demand view
    book = plan.order_book(c, rejected)
    assert [a.status for a in book.allocations] == [
        AllocationStatus.APPROVED,
        AllocationStatus.REJECTED,
    ]
    assert book.ordered_approved_qty == 15_000
    # week 3 is measured against the pre-season plan, not the rejected re-forecast
    key = put_weekly_object(fakes, fid, 3, "20250324T090000000000-bbbbbbbb", weeks_file({3: 1000}))
    process_object(c, fakes, key)
    row = c.in_season.get_variance(fid, 3)
    assert (row.forecast_version, row.plan_anchor_week, row.forecasted_cumulative) == (1, 0, 3000)
    assert row.display == "+16.7%"


def test_far_under_plan_is_reported_not_an_emergency(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    summary = upload_weeks(c, fakes, forecast.forecast_id, {1: 12, 2: 12}, 50)  # 1,200 vs 2,000
    assert summary["workflows_started"] == [f"reforecast-{forecast.forecast_id}-w02"]
    row = c.in_season.get_variance(forecast.forecast_id, 2)
    assert (row.display, row.direction, row.emergency) == ("-40.0%", "under", False)
    assert "far under plan (more than 30% below): not an emergency" in row.note
    over = seed_fake_season(c)
    upload_weeks(c, fakes, over.forecast_id, {1: 27}, 50)  # +35%
    row = c.in_season.get_variance(over.forecast_id, 1)
    assert row.emergency and "emergency order flagged (over 30% above plan)" in row.note


def test_no_second_reforecast_while_one_awaits_its_extra_order(fc: tuple[Container, Fakes]) -> None:
    """Week 2 proposes 521 more and waits; week 3, still over the pre-season plan (in effect),
    starts nothing: a second order sized on the same 15,000 could be approved beside it."""
    c, fakes = fc
    forecast = seed_fake_season(c)
    fid = forecast.forecast_id
    process_object(
        c,
        fakes,
        put_weekly_object(
            fakes, fid, 2, "20250317T090000000000-aaaaaaaa", weeks_file({1: 1000, 2: 1500})
        ),
    )
    first = f"reforecast-{fid}-w02"
    assert run_reforecast(c, first, fid)["extra_order_qty"] == 521
    c.workflows.transition(first, WorkflowStatus.AWAITING_APPROVAL)
    week3 = put_weekly_object(
        fakes, fid, 3, "20250324T090000000000-bbbbbbbb", weeks_file({3: 1500})
    )
    assert process_object(c, fakes, week3)["workflows_started"] == []
    row = c.in_season.get_variance(fid, 3)
    assert (row.threshold_exceeded, row.action_taken) == (True, VarianceAction.NONE)
    assert f"no re-forecast started: {first} awaits its extra order's approval" in row.note
    workflows.reject(c, first, None)
    week4 = put_weekly_object(
        fakes, fid, 4, "20250331T090000000000-cccccccc", weeks_file({4: 1500})
    )
    assert process_object(c, fakes, week4)["workflows_started"] == [f"reforecast-{fid}-w04"]
