"""RecordStore, ApprovalStore and InSeasonStore: writes that only land on the revision (or the
status) they were read at, not-found errors, listings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.models.approvals import (
    ApprovalAction,
    ApprovalKind,
    ApprovalRecord,
    ApprovalStatus,
    Decision,
)
from fashion_forecast.models.forecasts import ALLOCATION, FORECAST, AllocationRecord, ForecastRecord
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.sales import (
    UploadStatus,
    VarianceAction,
    VarianceRecord,
    VarianceStatus,
    WeekActuals,
    WeeklyUpload,
)
from fashion_forecast.ports import ConflictError, InvalidCursorError, NotFoundError

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def forecast(forecast_id: str, minutes: int, category: str = "womens_dresses") -> ForecastRecord:
    return ForecastRecord(
        forecast_id=forecast_id,
        workflow_id=f"wf-{forecast_id}",
        category_id=category,
        parameters=SeasonParameters(season_start_date=dt.date(2025, 3, 3)),
        created_at=T0 + dt.timedelta(minutes=minutes),
        total_demand=1000.0 + minutes,
    )


# -- records -----------------------------------------------------------------------------------


def test_put_get_and_replace_by_revision(records: Any) -> None:
    record = forecast("f-1", 0)
    records.put(FORECAST, "f-1", record)
    assert records.get(FORECAST, "f-1", ForecastRecord) == record
    with pytest.raises(ConflictError):
        records.put(FORECAST, "f-1", record)
    with pytest.raises(ValueError):
        records.replace(FORECAST, "f-1", record)  # revision not bumped
    second = record.model_copy(update={"total_demand": 2000.0, "revision": 2})
    records.replace(FORECAST, "f-1", second)
    assert records.get(FORECAST, "f-1", ForecastRecord).total_demand == 2000.0
    with pytest.raises(ConflictError):
        records.replace(FORECAST, "f-1", second)  # stale: the stored one is at 2 now
    with pytest.raises(ConflictError):
        records.replace(FORECAST, "nope", second)
    with pytest.raises(NotFoundError):
        records.get(FORECAST, "nope", ForecastRecord)


def test_forecasts_are_listed_newest_first_by_category_in_pages(records: Any) -> None:
    for i in range(5):
        category = "mens_basics" if i == 2 else "womens_dresses"
        records.put(FORECAST, f"f-{i}", forecast(f"f-{i}", i, category))
    allocation = AllocationRecord(
        allocation_id="a-1",
        forecast_id="f-0",
        workflow_id="wf",
        created_at=T0,
        season_demand=1,
        safety_stock_pct=0.2,
        manufacturing_qty=2,
        holdback=0,
        initial_allocation=2,
    )
    records.put(ALLOCATION, "a-1", allocation)  # not a listed kind: never in the listing
    first = records.list_recent(FORECAST, ForecastRecord, limit=2)
    assert [f.forecast_id for f in first.items] == ["f-4", "f-3"]
    second = records.list_recent(FORECAST, ForecastRecord, limit=2, cursor=first.next_cursor)
    assert [f.forecast_id for f in second.items] == ["f-2", "f-1"]
    last = records.list_recent(FORECAST, ForecastRecord, limit=2, cursor=second.next_cursor)
    assert [f.forecast_id for f in last.items] == ["f-0"] and last.next_cursor is None
    dresses = records.list_recent(FORECAST, ForecastRecord, category_id="womens_dresses")
    assert [f.forecast_id for f in dresses.items] == ["f-4", "f-3", "f-1", "f-0"]
    with pytest.raises(InvalidCursorError):
        records.list_recent(FORECAST, ForecastRecord, cursor="%%%")
    with pytest.raises(ValueError):
        records.list_recent(ALLOCATION, AllocationRecord)


# -- approvals ---------------------------------------------------------------------------------


def approval(approval_id: str = "ap-1") -> ApprovalRecord:
    return ApprovalRecord(
        approval_id=approval_id,
        workflow_id="wf-1",
        kind=ApprovalKind.MANUFACTURING,
        task_token="token-1",
        data={"manufacturing_qty": 9600},
        created_at=T0,
        expires_at=T0 + dt.timedelta(days=2),
    )


def test_an_approval_is_decided_once(approvals: Any) -> None:
    approvals.create(approval())
    with pytest.raises(ConflictError):
        approvals.create(approval())
    assert approvals.get("ap-1").status is ApprovalStatus.PENDING
    decision = Decision(action=ApprovalAction.ACCEPT, decided_at=T0)
    decided = approvals.decide("ap-1", decision)
    assert decided.status is ApprovalStatus.DECIDED and decided.decision == decision
    assert approvals.get("ap-1") == decided
    with pytest.raises(ConflictError):
        approvals.decide("ap-1", decision)
    with pytest.raises(ConflictError):
        approvals.close("ap-1", ApprovalStatus.CANCELLED)
    approvals.reopen(decided)
    assert approvals.get("ap-1").status is ApprovalStatus.PENDING
    assert approvals.get("ap-1").decision is None
    closed = approvals.close("ap-1", ApprovalStatus.EXPIRED)
    assert closed.status is ApprovalStatus.EXPIRED
    with pytest.raises(ConflictError):
        approvals.reopen(closed)
    with pytest.raises(NotFoundError):
        approvals.get("nope")


# -- in season ---------------------------------------------------------------------------------


def upload(upload_id: str = "20250310T090000000000-aaaaaaaa", revision: int = 1) -> WeeklyUpload:
    return WeeklyUpload(
        upload_id=upload_id,
        forecast_id="f-1",
        week=1,
        bucket="b",
        key=f"uploads/weekly/f-1/week-01/{upload_id}.csv",
        source="api",
        status=UploadStatus.PROCESSING,
        created_at=T0,
        revision=revision,
    )


def test_uploads_are_saved_over_the_revision_they_were_read_at(in_season: Any) -> None:
    first = upload()
    in_season.create_upload(first)
    with pytest.raises(ConflictError):
        in_season.create_upload(first)
    accepted = first.model_copy(update={"status": UploadStatus.ACCEPTED, "revision": 2})
    in_season.save_upload(accepted)
    assert in_season.get_upload("f-1", first.upload_id) == accepted
    with pytest.raises(ConflictError):
        in_season.save_upload(accepted)
    with pytest.raises(NotFoundError):
        in_season.get_upload("f-1", "other")


def actuals(week: int, upload_id: str, units: int) -> WeekActuals:
    return WeekActuals(
        forecast_id="f-1",
        week=week,
        total_units=units,
        store_units={"S001": units},
        upload_id=upload_id,
        updated_at=T0,
    )


def test_the_latest_upload_of_a_week_wins(in_season: Any) -> None:
    assert in_season.put_actuals(actuals(2, "20250310-b", 200)) is True
    assert in_season.put_actuals(actuals(2, "20250309-a", 100)) is False  # older: kept out
    assert in_season.put_actuals(actuals(1, "20250309-a", 50)) is True
    assert in_season.put_actuals(actuals(2, "20250311-c", 300)) is True
    listed = in_season.list_actuals("f-1")
    assert sorted(listed) == [1, 2]
    assert (listed[1].total_units, listed[2].total_units) == (50, 300)
    assert in_season.list_actuals("f-2") == {}


def variance(week: int, revision: int, note: str = "") -> VarianceRecord:
    return VarianceRecord(
        forecast_id="f-1",
        week=week,
        status=VarianceStatus.EVALUATED,
        variance_threshold=0.2,
        action_taken=VarianceAction.NONE,
        note=note,
        upload_id="u",
        evaluated_at=T0,
        revision=revision,
    )


def test_variance_rows_are_new_at_one_then_replaced_revision_by_revision(in_season: Any) -> None:
    in_season.save_variance(variance(3, 1, "first"))
    with pytest.raises(ConflictError):
        in_season.save_variance(variance(3, 1, "again"))
    with pytest.raises(ConflictError):
        in_season.save_variance(variance(3, 3, "skips a revision"))
    in_season.save_variance(variance(3, 2, "second"))
    in_season.save_variance(variance(1, 1, "week one"))
    assert in_season.get_variance("f-1", 3).note == "second"
    assert [(w, v.note) for w, v in in_season.list_variance("f-1").items()] == [
        (1, "week one"),
        (3, "second"),
    ]
    with pytest.raises(NotFoundError):
        in_season.get_variance("f-1", 2)
    with pytest.raises(ConflictError):
        in_season.save_variance(variance(2, 2))  # nothing at revision 1 to replace
