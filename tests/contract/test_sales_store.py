"""SalesStore: the data bucket's sales history per category, the store list and uploaded files.
The aws side is adapters.sales_data.SalesData on moto's S3 (the bucket settings.data_bucket)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.domain.history import HistoryFileError, WeeklySales
from fashion_forecast.models.sales import CategorySummary, StoreWeekTotals, WeeklyUploadKey
from fashion_forecast.ports import NotFoundError
from fashion_forecast.settings import Settings
from tests.fakes import FakeSalesStore

FIRST_WEEK = dt.date(2025, 1, 6)  # a Monday
WEEKLY_CSV = b"store_id,week_number,units_sold\nS001,3,4\nS002,3,11\n"


def rows(category: str, weeks: int, stores: tuple[str, ...] = ("S001", "S002")) -> list[Any]:
    """Weekly sums as domain.history.aggregate_weekly returns them: by week, then store."""
    return [
        WeeklySales(
            FIRST_WEEK + dt.timedelta(weeks=w),
            store,
            category,
            12.0 + w if s else 7.5 + w,  # whole and half units
            None if w == 0 else 100.25 * (w + s),  # no revenue in the first week
        )
        for w in range(weeks)
        for s, store in enumerate(stores)
    ]


# -- history -----------------------------------------------------------------------------------


def test_no_history_means_no_categories(sales: Any) -> None:
    assert sales.categories() == []


def test_categories_are_sorted(sales: Any) -> None:
    for category in ("womens_dresses", "kids", "mens_basics"):
        sales.save_category_history(category, rows(category, 1))
    assert sales.categories() == ["kids", "mens_basics", "womens_dresses"]


def test_categories_are_sorted_by_name_also_when_one_name_starts_another(sales: Any) -> None:
    for category in ("tops-basic", "tops", "tops_knit", "dresses"):
        sales.save_category_history(category, rows(category, 1))
    assert sales.categories() == ["dresses", "tops", "tops-basic", "tops_knit"]


def test_a_categorys_history_round_trips(sales: Any) -> None:
    dresses = rows("womens_dresses", 4)
    sales.save_category_history("womens_dresses", dresses)
    sales.save_category_history("mens_basics", rows("mens_basics", 2, ("S009",)))
    assert sales.category_history("womens_dresses") == dresses
    assert sales.category_history("mens_basics") == rows("mens_basics", 2, ("S009",))


def test_amounts_are_stored_to_the_cent(sales: Any) -> None:
    """The history file (domain.history.to_csv) keeps two decimals: a week's revenue summed from
    six sales at 9.99 (59.940000000000005, as aggregate_weekly adds it up) comes back as 59.94."""
    revenue = 0.0
    for _ in range(6):
        revenue += 9.99
    assert revenue != 59.94
    sales.save_category_history(
        "womens_dresses", [WeeklySales(FIRST_WEEK, "S001", "womens_dresses", 1.239, revenue)]
    )
    assert sales.category_history("womens_dresses") == [
        WeeklySales(FIRST_WEEK, "S001", "womens_dresses", 1.24, 59.94)
    ]


def test_saving_a_categorys_history_again_replaces_it(sales: Any) -> None:
    sales.save_category_history("womens_dresses", rows("womens_dresses", 4))
    sales.save_category_history("womens_dresses", rows("womens_dresses", 2, ("S003",)))
    assert sales.category_history("womens_dresses") == rows("womens_dresses", 2, ("S003",))
    summary = sales.category_summary("womens_dresses")
    assert (summary.rows, summary.stores, summary.weeks) == (2, 1, 2)


def _store_unreadable_history(sales: Any, category: str) -> None:
    """What an older version could leave behind: a week whose units are infinite."""
    if isinstance(sales, FakeSalesStore):
        sales.make_unreadable(category, f"the history of {category}, line 2: not in bounds")
        return
    sales.objects.put_text(
        f"history/weekly/{category}.csv",
        f"week_start,store_id,category,quantity_sold,revenue\n2024-01-01,S001,{category},inf,\n",
    )


def test_a_stored_history_that_cannot_be_read_back_names_the_category(sales: Any) -> None:
    sales.save_category_history("womens_dresses", rows("womens_dresses", 2))
    _store_unreadable_history(sales, "mens_basics")
    with pytest.raises(HistoryFileError, match="mens_basics"):
        sales.category_history("mens_basics")
    assert sales.categories() == ["mens_basics", "womens_dresses"]
    assert sales.category_history("womens_dresses") == rows("womens_dresses", 2)
    sales.save_category_history("mens_basics", rows("mens_basics", 1))  # a re-upload mends it
    assert sales.category_history("mens_basics") == rows("mens_basics", 1)


def test_a_stored_history_that_is_not_utf8_names_the_category(sales: Any) -> None:
    """Bytes no upload could have stored (the upload checks decode UTF-8): a HistoryFileError,
    like any other unreadable history, not a UnicodeDecodeError."""
    if isinstance(sales, FakeSalesStore):
        sales.make_unreadable("mens_basics", "the history of mens_basics is not UTF-8 text")
    else:
        sales.objects.put_bytes("history/weekly/mens_basics.csv", b"week_start,\xff\xfe\n")
    with pytest.raises(HistoryFileError, match=r"mens_basics.*not UTF-8"):
        sales.category_history("mens_basics")


def test_an_unknown_category_is_not_found(sales: Any) -> None:
    sales.save_category_history("womens_dresses", rows("womens_dresses", 1))
    with pytest.raises(NotFoundError):
        sales.category_history("mens_basics")
    with pytest.raises(NotFoundError):
        sales.category_summary("mens_basics")


def test_the_summary_counts_rows_stores_and_weeks(sales: Any) -> None:
    sales.save_category_history("womens_dresses", rows("womens_dresses", 3, ("S1", "S2", "S3")))
    assert sales.category_summary("womens_dresses") == CategorySummary(
        category="womens_dresses",
        rows=9,
        stores=3,
        first_week=FIRST_WEEK,
        last_week=FIRST_WEEK + dt.timedelta(weeks=2),
    )


def test_an_empty_history_has_no_summary(sales: Any) -> None:
    sales.save_category_history("kids", [])
    assert sales.categories() == ["kids"]
    assert sales.category_history("kids") == []
    with pytest.raises(NotFoundError):
        sales.category_summary("kids")


def test_emptying_a_categorys_history_drops_its_summary(sales: Any) -> None:
    sales.save_category_history("kids", rows("kids", 2))
    sales.save_category_history("kids", [])
    assert sales.category_history("kids") == []
    with pytest.raises(NotFoundError):
        sales.category_summary("kids")


# -- stores ------------------------------------------------------------------------------------


def test_the_store_list_is_empty_before_any_upload(sales: Any) -> None:
    assert sales.store_attributes() == []


def test_the_store_list_reads_back_as_text_fields(sales: Any) -> None:
    sales.save_store_attributes(
        "store_id,store_name,region,fashion_tier,size_sqft\n"
        'S001,One,West,1,12000\nS002,"Two, Mall",East,2,8000\n'
    )
    assert sales.store_attributes() == [
        {
            "store_id": "S001",
            "store_name": "One",
            "region": "West",
            "fashion_tier": "1",
            "size_sqft": "12000",
        },
        {
            "store_id": "S002",
            "store_name": "Two, Mall",
            "region": "East",
            "fashion_tier": "2",
            "size_sqft": "8000",
        },
    ]
    sales.save_store_attributes("store_id,region\nS003,North\n")  # replaces the list
    assert sales.store_attributes() == [{"store_id": "S003", "region": "North"}]


# -- uploaded files ----------------------------------------------------------------------------


def test_the_bucket_is_the_data_bucket(sales: Any, settings: Settings) -> None:
    assert sales.bucket == settings.data_bucket


@pytest.mark.parametrize("kind", ["history", "stores"])
def test_a_raw_upload_is_kept_under_its_kind_and_id(sales: Any, kind: str) -> None:
    key = sales.save_raw_upload(kind, "20250310T090000000000-aaaaaaaa", b"date,store_id\n")
    assert key == f"uploads/{kind}/20250310T090000000000-aaaaaaaa.csv"
    assert sales.read_upload(key) == b"date,store_id\n"


def test_a_weekly_upload_round_trips(sales: Any) -> None:
    key = WeeklyUploadKey("f-1", 3, "20250310T090000000000-aaaaaaaa")
    etag = sales.put_weekly_upload(key, WEEKLY_CSV)
    assert isinstance(etag, str) and etag and '"' not in etag
    assert sales.read_upload(key.key) == WEEKLY_CSV
    assert sales.read_upload("uploads/weekly/f-1/week-03/20250310T090000000000-aaaaaaaa.csv") == (
        WEEKLY_CSV
    )


def test_reading_a_missing_upload_is_not_found(sales: Any) -> None:
    sales.put_weekly_upload(WeeklyUploadKey("f-1", 3, "u-1"), WEEKLY_CSV)
    with pytest.raises(NotFoundError):
        sales.read_upload("uploads/weekly/f-1/week-03/missing.csv")


def test_a_weekly_upload_url_is_for_its_key(sales: Any) -> None:
    key = WeeklyUploadKey("f-1", 12, "20250310T090000000000-aaaaaaaa")
    url = sales.weekly_upload_url(key, 900)
    assert url.startswith("https://")
    assert key.key in url and sales.bucket in url


# -- store-week totals -------------------------------------------------------------------------


def test_a_history_version_changes_with_every_save_of_that_category_only(sales: Any) -> None:
    assert sales.history_versions() == {}
    sales.save_category_history("womens_dresses", rows("womens_dresses", 2))
    sales.save_category_history("mens_basics", rows("mens_basics", 1))
    first = sales.history_versions()
    assert sorted(first) == ["mens_basics", "womens_dresses"]
    assert sales.history_versions() == first  # reading changes nothing
    sales.save_category_history("mens_basics", rows("mens_basics", 3))
    second = sales.history_versions()
    assert second["womens_dresses"] == first["womens_dresses"]
    assert second["mens_basics"] != first["mens_basics"]


def test_store_week_totals_round_trip_and_are_not_found_before_any(sales: Any) -> None:
    with pytest.raises(NotFoundError):
        sales.store_week_totals()
    totals = StoreWeekTotals(
        sources={"womens_dresses": "v1"},
        excluded={"mens_basics": "unreadable"},
        weeks=[(FIRST_WEEK, "S001", 19.5), (FIRST_WEEK, "S002", 0.0)],
    )
    sales.save_store_week_totals(totals)
    assert sales.store_week_totals() == totals
    assert sales.categories() == []  # the totals are no category
