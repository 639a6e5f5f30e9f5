"""RecordStore: result records by kind and id, replaced only over the revision they were read at,
forecasts listed newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ForecastRecord,
    ForecastWeek,
)
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.ports import ConflictError, InvalidCursorError, NotFoundError
from tests.contract.conftest import GARBAGE_CURSORS

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def forecast(
    forecast_id: str, minutes: float, category: str = "womens_dresses", revision: int = 1
) -> ForecastRecord:
    return ForecastRecord(
        forecast_id=forecast_id,
        workflow_id=f"wf-{forecast_id}",
        category_id=category,
        parameters=SeasonParameters(season_start_date=dt.date(2025, 3, 3)),
        created_at=T0 + dt.timedelta(minutes=minutes),
        weekly=[
            ForecastWeek(
                week=1, week_start=dt.date(2025, 3, 3), forecast=120.5, lower=90.0, upper=150.25
            )
        ],
        total_demand=1000.0 + minutes,
        method_weights={"ets": 0.6, "seasonal_naive": 0.4},
        actuals={1: 118.0},
        revision=revision,
    )


def allocation(allocation_id: str = "al-1", revision: int = 1) -> AllocationRecord:
    return AllocationRecord(
        allocation_id=allocation_id,
        forecast_id="f-1",
        workflow_id="wf-1",
        created_at=T0,
        season_demand=8000,
        safety_stock_pct=0.2,
        manufacturing_qty=9600,
        holdback=1200,
        initial_allocation=8400,
        revision=revision,
    )


# -- put, get, replace -------------------------------------------------------------------------


def test_put_then_get_returns_the_record(records: Any) -> None:
    record = forecast("f-1", 0)
    records.put(FORECAST, "f-1", record)
    assert records.get(FORECAST, "f-1", ForecastRecord) == record
    records.put(ALLOCATION, "al-1", allocation())
    assert records.get(ALLOCATION, "al-1", AllocationRecord) == allocation()


def test_put_of_an_existing_record_is_a_conflict_and_keeps_the_first(records: Any) -> None:
    records.put(FORECAST, "f-1", forecast("f-1", 0))
    with pytest.raises(ConflictError):
        records.put(FORECAST, "f-1", forecast("f-1", 5, "mens_basics"))
    assert records.get(FORECAST, "f-1", ForecastRecord) == forecast("f-1", 0)


def test_get_of_an_unknown_record_is_not_found(records: Any) -> None:
    records.put(FORECAST, "f-1", forecast("f-1", 0))
    with pytest.raises(NotFoundError):
        records.get(FORECAST, "f-2", ForecastRecord)
    with pytest.raises(NotFoundError):
        records.get(ALLOCATION, "f-1", AllocationRecord)  # same id, other kind


def test_kinds_are_kept_apart(records: Any) -> None:
    records.put(FORECAST, "x-1", forecast("x-1", 0))
    records.put(ALLOCATION, "x-1", allocation("x-1"))  # no conflict: another kind
    assert records.get(FORECAST, "x-1", ForecastRecord) == forecast("x-1", 0)
    assert records.get(ALLOCATION, "x-1", AllocationRecord) == allocation("x-1")


def test_replace_overwrites_the_revision_it_was_read_at(records: Any) -> None:
    records.put(FORECAST, "f-1", forecast("f-1", 0))
    second = forecast("f-1", 0, revision=2).model_copy(update={"total_demand": 2000.0})
    records.replace(FORECAST, "f-1", second)
    assert records.get(FORECAST, "f-1", ForecastRecord) == second
    third = second.model_copy(update={"total_demand": 3000.0, "revision": 3})
    records.replace(FORECAST, "f-1", third)
    assert records.get(FORECAST, "f-1", ForecastRecord) == third


def test_a_stale_replace_is_a_conflict_and_changes_nothing(records: Any) -> None:
    records.put(FORECAST, "f-1", forecast("f-1", 0))
    second = forecast("f-1", 0, revision=2)
    records.replace(FORECAST, "f-1", second)
    with pytest.raises(ConflictError):  # read at 1 as well: the stored one is at 2 now
        records.replace(FORECAST, "f-1", second.model_copy(update={"total_demand": 5.0}))
    with pytest.raises(ConflictError):  # skips a revision
        records.replace(FORECAST, "f-1", forecast("f-1", 0, revision=4))
    assert records.get(FORECAST, "f-1", ForecastRecord) == second


def test_replace_of_a_missing_record_is_a_conflict(records: Any) -> None:
    with pytest.raises(ConflictError):
        records.replace(FORECAST, "f-1", forecast("f-1", 0, revision=2))
    with pytest.raises(NotFoundError):
        records.get(FORECAST, "f-1", ForecastRecord)


def test_replace_without_a_bumped_revision_is_a_value_error(records: Any) -> None:
    records.put(ALLOCATION, "al-1", allocation())
    with pytest.raises(ValueError):
        records.replace(ALLOCATION, "al-1", allocation())  # still at revision 1
    with pytest.raises(ValueError):
        records.replace(ALLOCATION, "al-1", SeasonParameters())  # no revision at all
    assert records.get(ALLOCATION, "al-1", AllocationRecord) == allocation()


# -- the forecast listing ----------------------------------------------------------------------

# (id, minutes after T0, category), stored in this order: neither the order of storing nor
# the ids are the order of creation
LISTED = [
    ("f-c", 2, "womens_dresses"),
    ("f-a", 5, "mens_basics"),
    ("f-e", 0, "womens_dresses"),
    ("f-b", 4, "womens_dresses"),
    ("f-d", 1, "mens_basics"),
    ("f-f", 3, "womens_dresses"),
]
NEWEST_FIRST = ["f-a", "f-b", "f-f", "f-c", "f-d", "f-e"]


def store_listed(records: Any) -> None:
    for forecast_id, minutes, category in LISTED:
        records.put(FORECAST, forecast_id, forecast(forecast_id, minutes, category))
    records.put(ALLOCATION, "al-1", allocation())  # not a listed kind: never in the listing


def all_pages(records: Any, limit: int, category_id: str | None = None) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = records.list_recent(
            FORECAST, ForecastRecord, limit=limit, cursor=cursor, category_id=category_id
        )
        pages.append([f.forecast_id for f in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) <= len(LISTED), "the cursor does not move on"


def test_nothing_stored_lists_nothing(records: Any) -> None:
    page = records.list_recent(FORECAST, ForecastRecord)
    assert (page.items, page.next_cursor) == ([], None)


def test_forecasts_are_listed_newest_first(records: Any) -> None:
    store_listed(records)
    page = records.list_recent(FORECAST, ForecastRecord)
    assert [f.forecast_id for f in page.items] == NEWEST_FIRST and page.next_cursor is None
    assert page.items == [records.get(FORECAST, i, ForecastRecord) for i in NEWEST_FIRST]


@pytest.mark.parametrize("limit", [1, 2, 4, 5, 6, 7])
def test_pages_have_exactly_limit_items_without_gaps_or_repeats(records: Any, limit: int) -> None:
    store_listed(records)
    pages = all_pages(records, limit)
    assert [forecast_id for page in pages for forecast_id in page] == NEWEST_FIRST
    full, rest = divmod(len(LISTED), limit)
    assert [len(page) for page in pages] == [limit] * full + ([rest] if rest else [])


def test_the_listing_filters_by_category_in_pages(records: Any) -> None:
    store_listed(records)
    assert all_pages(records, 20, "womens_dresses") == [["f-b", "f-f", "f-c", "f-e"]]
    assert all_pages(records, 3, "womens_dresses") == [["f-b", "f-f", "f-c"], ["f-e"]]
    assert all_pages(records, 1, "mens_basics") == [["f-a"], ["f-d"]]
    assert all_pages(records, 2, "mens_basics") == [["f-a", "f-d"]]
    assert all_pages(records, 2, "kids") == [[]]


def test_forecasts_created_at_the_same_time_are_listed_by_id(records: Any) -> None:
    for forecast_id in ("f-2", "f-3", "f-1"):
        records.put(FORECAST, forecast_id, forecast(forecast_id, 0))
    records.put(FORECAST, "f-0", forecast("f-0", 1))
    assert all_pages(records, 2) == [["f-0", "f-3"], ["f-2", "f-1"]]
    assert all_pages(records, 1) == [["f-0"], ["f-3"], ["f-2"], ["f-1"]]


def test_forecasts_are_listed_by_instant_whatever_their_utc_offset(records: Any) -> None:
    """09:30 at UTC+2 is 07:30 UTC: older than 08:15 and 09:00 UTC, though it reads later."""
    plus_two = dt.timezone(dt.timedelta(hours=2))
    records.put(FORECAST, "f-b", forecast("f-b", 0).model_copy(update={"created_at": T0}))
    early = forecast("f-a", 0).model_copy(
        update={"created_at": dt.datetime(2025, 3, 3, 9, 30, tzinfo=plus_two)}
    )
    records.put(FORECAST, "f-a", early)
    later = T0 - dt.timedelta(minutes=45)  # 08:15 UTC
    records.put(FORECAST, "f-c", forecast("f-c", 0).model_copy(update={"created_at": later}))
    assert all_pages(records, 20) == [["f-b", "f-c", "f-a"]]
    assert all_pages(records, 1) == [["f-b"], ["f-c"], ["f-a"]]


def test_the_listing_shows_the_replaced_record(records: Any) -> None:
    store_listed(records)
    replaced = forecast("f-f", 3, revision=2).model_copy(update={"total_demand": 7.0})
    records.replace(FORECAST, "f-f", replaced)
    listed = records.list_recent(FORECAST, ForecastRecord).items
    assert [f.forecast_id for f in listed] == NEWEST_FIRST
    assert listed[2] == replaced


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
def test_a_cursor_the_store_did_not_issue_is_invalid(records: Any, cursor: str) -> None:
    store_listed(records)
    with pytest.raises(InvalidCursorError):
        records.list_recent(FORECAST, ForecastRecord, cursor=cursor)


@pytest.mark.parametrize("kind", [ALLOCATION, MARKDOWN, "unknown"])
def test_only_forecasts_are_listed(records: Any, kind: str) -> None:
    store_listed(records)
    with pytest.raises(ValueError):
        records.list_recent(kind, AllocationRecord)
