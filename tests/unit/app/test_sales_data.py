"""app.sales_data on the fakes: history and store uploads, categories, stores with clusters."""

from __future__ import annotations

import datetime as dt

import pytest

from fashion_forecast.app import sales_data
from fashion_forecast.domain.history import WeeklySales
from fashion_forecast.domain.sales_files import FileRejectedError
from fashion_forecast.ports import Container
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import sample_store_attributes_text, seed_fake_season

HISTORY_HEADER = "date,store_id,category,quantity_sold,revenue\n"
STORES_HEADER = (
    "store_id,store_name,region,store_size_sqft,median_income,location_tier,fashion_tier,"
    "store_format\n"
)


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def test_a_history_upload_replaces_the_weeks_it_covers(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    monday, next_monday = dt.date(2025, 2, 17), dt.date(2025, 2, 24)
    fakes.sales.save_category_history(
        "womens_dresses",
        [
            WeeklySales(monday, "S001", "womens_dresses", 5.0, None),
            WeeklySales(next_monday, "S001", "womens_dresses", 7.0, None),
        ],
    )
    data = (
        HISTORY_HEADER
        + "2025-02-24,S001,womens_dresses,3,30.00\n"  # Monday
        + "2025-02-26,S001,womens_dresses,4,40.00\n"  # Wednesday: the same week
        + "2025-02-25,S002,mens_basics,2,\n"
    ).encode()
    done = sales_data.upload_history(c, data, caller=TEST_CALLER)
    assert (done.weeks_imported, len(done.file.rows)) == (1, 3)
    assert done.file.categories == ["mens_basics", "womens_dresses"]
    assert (done.file.first_date, done.file.last_date) == (next_monday, dt.date(2025, 2, 26))
    dresses = fakes.sales.category_history("womens_dresses")
    assert [(r.week_start, r.quantity_sold, r.revenue) for r in dresses] == [
        (monday, 5.0, None),  # a week the file does not cover is kept
        (next_monday, 7.0, 70.0),  # the file's week replaces the stored one
    ]
    assert [r.quantity_sold for r in fakes.sales.category_history("mens_basics")] == [2.0]
    assert fakes.sales.objects[f"uploads/history/{done.upload_id}.csv"] == data
    # the store-week totals over every category are summed again, as of the files now
    totals = fakes.sales.store_week_totals()
    assert totals.sources == fakes.sales.history_versions()
    assert totals.weeks == [
        (monday, "S001", 5.0),
        (next_monday, "S001", 7.0),
        (next_monday, "S002", 2.0),
    ]


def test_a_history_week_is_replaced_whole_across_categories(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    week = dt.date(2025, 2, 10)
    fakes.sales.save_category_history(
        "womens_dresses",
        [
            WeeklySales(week, "S001", "womens_dresses", 5.0, None),
            WeeklySales(week, "S002", "womens_dresses", 6.0, None),
        ],
    )
    data = (
        HISTORY_HEADER
        + "2025-02-10,S001,womens_dresses,1,\n"
        + "2025-02-17,S001,womens_dresses,2,\n"
        + "2025-02-24,S001,mens_basics,3,\n"
        + "2025-02-17,S002,mens_basics,4,\n"
    ).encode()
    done = sales_data.upload_history(c, data, caller=TEST_CALLER)
    assert done.weeks_imported == 3  # distinct weeks over both categories
    assert done.upload_id.startswith("20250303T090000000000-")
    dresses = fakes.sales.category_history("womens_dresses")
    # the file's week 2025-02-10 replaces that week for every store (S002 had no row in it)
    assert [(r.week_start, r.store_id, r.quantity_sold) for r in dresses] == [
        (week, "S001", 1.0),
        (dt.date(2025, 2, 17), "S001", 2.0),
    ]
    basics = fakes.sales.category_history("mens_basics")
    assert [(r.week_start, r.store_id) for r in basics] == [
        (dt.date(2025, 2, 17), "S002"),
        (dt.date(2025, 2, 24), "S001"),
    ]
    assert list(fakes.sales.objects) == [f"uploads/history/{done.upload_id}.csv"]


def test_a_history_upload_takes_today_from_the_clock(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc  # the fake clock says Monday 2025-03-03
    today = (HISTORY_HEADER + "2025-03-03,S001,womens_dresses,1,\n").encode()
    assert sales_data.upload_history(c, today, caller=TEST_CALLER).weeks_imported == 1
    tomorrow = (HISTORY_HEADER + "2025-03-04,S001,womens_dresses,9,\n").encode()
    with pytest.raises(FileRejectedError) as refused:
        sales_data.upload_history(c, tomorrow, caller=TEST_CALLER)
    assert [(d["row"], d["column"]) for d in refused.value.details] == [(2, "date")]
    assert [r.quantity_sold for r in fakes.sales.category_history("womens_dresses")] == [1.0]
    assert len(fakes.sales.objects) == 1
    fakes.clock.advance(24 * 3600)
    assert sales_data.upload_history(c, tomorrow, caller=TEST_CALLER).weeks_imported == 1
    assert [r.quantity_sold for r in fakes.sales.category_history("womens_dresses")] == [9.0]


def test_a_refused_history_file_stores_nothing(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    bad = (HISTORY_HEADER + "2025-02-24,S001,womens_dresses,-3,\n2099-01-05,S1,c,1,\n").encode()
    with pytest.raises(FileRejectedError) as refused:
        sales_data.upload_history(c, bad, caller=TEST_CALLER)
    assert [(d["row"], d["column"]) for d in refused.value.details] == [
        (2, "quantity_sold"),
        (3, "date"),
    ]
    assert fakes.sales.history == {} and fakes.sales.objects == {}
    assert fakes.sales.totals is None


def test_a_store_file_replaces_the_store_list(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    full = sales_data.upload_store_attributes(
        c, sample_store_attributes_text().encode(), caller=TEST_CALLER
    )
    assert len(full.file.rows) == 50
    assert full.regions == ["Midwest", "Northeast", "Southeast", "West"]
    assert sum(full.fashion_tiers.values()) == 50
    one = STORES_HEADER + "S900,New,West,1000,50000,c,value,outlet\n"
    replaced = sales_data.upload_store_attributes(c, one.encode(), caller=TEST_CALLER)
    assert replaced.fashion_tiers == {"Value": 1}
    assert [s["store_id"] for s in fakes.sales.store_attributes()] == ["S900"]
    assert fakes.sales.store_attributes()[0]["location_tier"] == "C"  # normalised
    with pytest.raises(FileRejectedError):
        sales_data.upload_store_attributes(
            c, (STORES_HEADER + "S1,A,W,0,1,A,Premium,Mall\n").encode(), caller=TEST_CALLER
        )
    assert [s["store_id"] for s in fakes.sales.store_attributes()] == ["S900"]
    assert len([k for k in fakes.sales.objects if k.startswith("uploads/stores/")]) == 2


def test_categories_and_the_latest_forecasts_clusters(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    assert sales_data.list_categories(c) == []
    assert sales_data.latest_forecast(c, None) is None
    fakes.sales.save_category_history(
        "mens_basics", [WeeklySales(dt.date(2025, 1, 6), "S001", "mens_basics", 1.0, None)]
    )
    (summary,) = sales_data.list_categories(c)
    assert (summary.category, summary.rows, summary.weeks) == ("mens_basics", 1, 1)
    older = seed_fake_season(c, category="womens_dresses")
    fakes.clock.advance(60)
    newer = seed_fake_season(c, category="mens_basics")
    assert sales_data.latest_forecast(c, None).forecast_id == newer.forecast_id
    assert sales_data.latest_forecast(c, "womens_dresses").forecast_id == older.forecast_id
    fakes.sales.save_store_attributes(sample_store_attributes_text())
    stores, forecast = sales_data.list_stores(c, "womens_dresses")
    assert len(stores) == 50 and forecast is not None
    assert forecast.forecast_id == older.forecast_id


def test_the_stores_go_with_the_newest_forecast_of_any_category(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    assert sales_data.list_stores(c, None) == ([], None)
    fakes.sales.save_store_attributes(sample_store_attributes_text())
    stores, forecast = sales_data.list_stores(c, None)
    assert (len(stores), forecast) == (50, None)
    assert stores[0]["store_id"] == "S001"
    dresses = seed_fake_season(c, category="womens_dresses")
    fakes.clock.advance(60)
    outerwear = seed_fake_season(c, category="womens_outerwear")
    fakes.clock.advance(60)
    newer_dresses = seed_fake_season(c, category="womens_dresses")
    newest = sales_data.list_stores(c, None)[1]
    assert newest is not None and newest.forecast_id == newer_dresses.forecast_id
    of_dresses = sales_data.list_stores(c, "womens_dresses")[1]
    assert of_dresses is not None and of_dresses.forecast_id == newer_dresses.forecast_id
    of_outerwear = sales_data.latest_forecast(c, "womens_outerwear")
    assert of_outerwear is not None and of_outerwear.forecast_id == outerwear.forecast_id
    assert sales_data.latest_forecast(c, "mens_basics") is None
    assert dresses.forecast_id != newer_dresses.forecast_id


def test_categories_are_listed_in_order_with_their_reach(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    for category, weeks, stores in (("womens_outerwear", 3, 2), ("mens_basics", 2, 1)):
        fakes.sales.save_category_history(
            category,
            [
                WeeklySales(
                    dt.date(2025, 1, 6) + dt.timedelta(weeks=w), f"S00{s}", category, 1.0, None
                )
                for w in range(weeks)
                for s in range(1, stores + 1)
            ],
        )
    assert [
        (x.category, x.rows, x.stores, x.first_week, x.last_week, x.weeks)
        for x in sales_data.list_categories(c)
    ] == [
        ("mens_basics", 2, 1, dt.date(2025, 1, 6), dt.date(2025, 1, 13), 2),
        ("womens_outerwear", 6, 2, dt.date(2025, 1, 6), dt.date(2025, 1, 20), 3),
    ]
