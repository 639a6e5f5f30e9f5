"""InSeasonStore: weekly uploads saved over the revision they were read at, actuals where the
latest upload wins, variance rows and the inventory position new at revision 1 then replaced
revision by revision."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.models.sales import (
    InventoryPosition,
    PlannedShipment,
    PositionOrder,
    Shipment,
    StorePosition,
    UploadStatus,
    VarianceAction,
    VarianceRecord,
    VarianceStatus,
    WeekActuals,
    WeeklyUpload,
)
from fashion_forecast.ports import ConflictError, NotFoundError

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
# upload ids start with their creation time, so later uploads sort after earlier ones
EARLY, LATER, LATEST = (
    "20250310T090000000000-aaaaaaaa",
    "20250310T100000000000-00000000",
    "20250311T090000000000-ffffffff",
)


def upload(
    upload_id: str = EARLY, forecast_id: str = "f-1", week: int = 1, revision: int = 1
) -> WeeklyUpload:
    return WeeklyUpload(
        upload_id=upload_id,
        forecast_id=forecast_id,
        week=week,
        bucket="data-bucket",
        key=f"uploads/weekly/{forecast_id}/week-{week:02d}/{upload_id}.csv",
        source="api",
        status=UploadStatus.PROCESSING,
        created_at=T0,
        revision=revision,
    )


def actuals(week: int, upload_id: str, units: int, forecast_id: str = "f-1") -> WeekActuals:
    return WeekActuals(
        forecast_id=forecast_id,
        week=week,
        total_units=units,
        store_units={"S001": units - units // 3, "S002": units // 3},
        upload_id=upload_id,
        updated_at=T0 + dt.timedelta(minutes=units),
    )


def variance(week: int, revision: int, note: str = "", forecast_id: str = "f-1") -> VarianceRecord:
    return VarianceRecord(
        forecast_id=forecast_id,
        week=week,
        status=VarianceStatus.EVALUATED,
        forecasted_cumulative=1000.0,
        actual_cumulative=1232.0,
        variance_pct=0.232,
        display="+23.2%",
        direction="over",
        variance_threshold=0.2,
        threshold_exceeded=True,
        action_taken=VarianceAction.REFORECAST,
        note=note,
        upload_id=EARLY,
        evaluated_at=T0,
        revision=revision,
    )


# -- uploads -----------------------------------------------------------------------------------


def test_create_upload_then_get_returns_it(in_season: Any) -> None:
    in_season.create_upload(upload())
    in_season.create_upload(upload(LATER, week=2))
    assert in_season.get_upload("f-1", EARLY) == upload()
    assert in_season.get_upload("f-1", LATER) == upload(LATER, week=2)


def test_create_of_an_existing_upload_is_a_conflict_and_keeps_the_first(in_season: Any) -> None:
    in_season.create_upload(upload())
    with pytest.raises(ConflictError):
        in_season.create_upload(upload(week=5))
    assert in_season.get_upload("f-1", EARLY) == upload()


def test_an_upload_is_saved_over_the_revision_it_was_read_at(in_season: Any) -> None:
    in_season.create_upload(upload())
    accepted = upload(revision=2).model_copy(
        update={"status": UploadStatus.ACCEPTED, "rows_imported": 40, "units_by_week": {1: 120}}
    )
    in_season.save_upload(accepted)
    assert in_season.get_upload("f-1", EARLY) == accepted
    with pytest.raises(ConflictError):  # also read at 1: the stored one is at 2 now
        in_season.save_upload(upload(revision=2))
    with pytest.raises(ConflictError):  # skips a revision
        in_season.save_upload(upload(revision=4))
    assert in_season.get_upload("f-1", EARLY) == accepted
    final = accepted.model_copy(update={"revision": 3, "evaluated_weeks": [1]})
    in_season.save_upload(final)
    assert in_season.get_upload("f-1", EARLY) == final


def test_saving_an_upload_that_was_never_created_is_a_conflict(in_season: Any) -> None:
    with pytest.raises(ConflictError):
        in_season.save_upload(upload(revision=2))
    with pytest.raises(NotFoundError):
        in_season.get_upload("f-1", EARLY)


def test_an_unknown_upload_is_not_found(in_season: Any) -> None:
    in_season.create_upload(upload())
    with pytest.raises(NotFoundError):
        in_season.get_upload("f-1", LATER)
    with pytest.raises(NotFoundError):
        in_season.get_upload("f-2", EARLY)  # another forecast's


# -- actuals -----------------------------------------------------------------------------------


def test_the_latest_upload_of_a_week_wins(in_season: Any) -> None:
    assert in_season.put_actuals(actuals(2, LATER, 200)) is True
    assert in_season.put_actuals(actuals(2, EARLY, 100)) is False  # older: kept out
    assert in_season.list_actuals("f-1") == {2: actuals(2, LATER, 200)}
    assert in_season.put_actuals(actuals(2, LATEST, 300)) is True
    assert in_season.list_actuals("f-1") == {2: actuals(2, LATEST, 300)}


def test_the_same_upload_may_store_its_numbers_again(in_season: Any) -> None:
    assert in_season.put_actuals(actuals(3, LATER, 200)) is True
    assert in_season.put_actuals(actuals(3, LATER, 210)) is True  # reprocessed
    assert in_season.list_actuals("f-1") == {3: actuals(3, LATER, 210)}


def test_actuals_are_kept_per_forecast_and_week(in_season: Any) -> None:
    assert in_season.put_actuals(actuals(1, LATEST, 50)) is True
    assert in_season.put_actuals(actuals(2, EARLY, 60)) is True  # another week: not older
    assert in_season.put_actuals(actuals(1, EARLY, 70, "f-2")) is True  # another forecast
    assert in_season.list_actuals("f-1") == {1: actuals(1, LATEST, 50), 2: actuals(2, EARLY, 60)}
    assert in_season.list_actuals("f-2") == {1: actuals(1, EARLY, 70, "f-2")}
    assert in_season.list_actuals("f-3") == {}


def test_actuals_are_listed_by_week(in_season: Any) -> None:
    for week in (12, 3, 10, 1, 52):
        in_season.put_actuals(actuals(week, EARLY, 100 + week))
    in_season.create_upload(upload())  # the same forecast's upload is no week's actuals
    in_season.save_variance(variance(2, 1))
    listed = in_season.list_actuals("f-1")
    assert list(listed) == [1, 3, 10, 12, 52]
    assert [a.total_units for a in listed.values()] == [101, 103, 110, 112, 152]


# -- variance ----------------------------------------------------------------------------------


def test_a_variance_row_is_new_at_revision_1_then_replaced_revision_by_revision(
    in_season: Any,
) -> None:
    in_season.save_variance(variance(3, 1, "first"))
    assert in_season.get_variance("f-1", 3) == variance(3, 1, "first")
    in_season.save_variance(variance(3, 2, "second"))
    in_season.save_variance(variance(3, 3, "third"))
    assert in_season.get_variance("f-1", 3) == variance(3, 3, "third")


def test_a_variance_write_that_does_not_follow_the_stored_revision_conflicts(
    in_season: Any,
) -> None:
    in_season.save_variance(variance(3, 1, "first"))
    in_season.save_variance(variance(3, 2, "second"))
    for revision in (1, 2, 4):  # new again, stale, skipping one
        with pytest.raises(ConflictError):
            in_season.save_variance(variance(3, revision, "late"))
    assert in_season.get_variance("f-1", 3) == variance(3, 2, "second")


def test_replacing_a_variance_row_that_does_not_exist_conflicts(in_season: Any) -> None:
    with pytest.raises(ConflictError):
        in_season.save_variance(variance(4, 2))
    with pytest.raises(NotFoundError):
        in_season.get_variance("f-1", 4)


def test_variance_rows_are_kept_per_forecast_and_listed_by_week(in_season: Any) -> None:
    for week in (11, 2, 9):
        in_season.save_variance(variance(week, 1, f"week {week}"))
    in_season.save_variance(variance(9, 2, "week 9 again"))
    in_season.save_variance(variance(2, 1, "other forecast", "f-2"))
    in_season.put_actuals(actuals(5, EARLY, 100))  # actuals are no variance rows
    listed = in_season.list_variance("f-1")
    assert list(listed) == [2, 9, 11]
    assert [v.note for v in listed.values()] == ["week 2", "week 9 again", "week 11"]
    assert in_season.list_variance("f-2") == {2: variance(2, 1, "other forecast", "f-2")}
    assert in_season.list_variance("f-3") == {}


def test_an_unknown_variance_row_is_not_found(in_season: Any) -> None:
    in_season.save_variance(variance(3, 1))
    with pytest.raises(NotFoundError):
        in_season.get_variance("f-1", 4)
    with pytest.raises(NotFoundError):
        in_season.get_variance("f-2", 3)


# -- the inventory position ----------------------------------------------------------------------


def position(revision: int, forecast_id: str = "f-1", sold: int = 0) -> InventoryPosition:
    return InventoryPosition(
        forecast_id=forecast_id,
        through_week=1 if sold else 0,
        replenishment_strategy="weekly",
        top_up_cover_weeks=1,
        safety_stock_pct=0.2,
        orders=[
            PositionOrder(
                allocation_id="a-1",
                workflow_id="w-1",
                kind="pre_season",
                units=100,
                status="approved",
            )
        ],
        ordered_approved=100,
        at_dc=40,
        shipped=60,
        sold=sold,
        store_on_hand=60 - sold,
        stores=[StorePosition(store_id="S001", shipped=60, sold=sold, on_hand=60 - sold)],
        shipments=[Shipment(week=1, kind="initial", source="a-1", units=60, stores={"S001": 60})],
        planned_shipments=[
            PlannedShipment(week=2, covers_weeks=[2], requested=10, units=10, dc_after=30)
        ],
        planned_dc_end_of_season=30,
        warnings=["30 units are planned to remain at the DC at season end"],
        updated_at=T0,
        revision=revision,
    )


def test_a_position_is_new_at_revision_1_then_replaced_revision_by_revision(
    in_season: Any,
) -> None:
    with pytest.raises(NotFoundError):
        in_season.get_position("f-1")
    in_season.save_position(position(1))
    assert in_season.get_position("f-1") == position(1)
    with pytest.raises(ConflictError):  # a second first write
        in_season.save_position(position(1, sold=5))
    in_season.save_position(position(2, sold=5))
    assert in_season.get_position("f-1") == position(2, sold=5)
    with pytest.raises(ConflictError):  # read at 1: the stored one is at 2 now
        in_season.save_position(position(2, sold=7))
    with pytest.raises(ConflictError):  # skips a revision
        in_season.save_position(position(4, sold=7))
    assert in_season.get_position("f-1") == position(2, sold=5)


def test_positions_are_kept_per_forecast(in_season: Any) -> None:
    with pytest.raises(ConflictError):  # replacing one that was never stored
        in_season.save_position(position(2))
    in_season.save_position(position(1, "f-2", sold=9))
    in_season.save_position(position(1))
    assert in_season.get_position("f-2") == position(1, "f-2", sold=9)
    assert in_season.get_position("f-1") == position(1)
    assert in_season.list_variance("f-1") == {}  # a position is not a variance row
    assert in_season.list_actuals("f-1") == {}
