"""app.store_totals on the fakes: the store-week totals a history upload stores, read by the
Demand step with one listing while they are as new as every category's file, summed from the
files (and not stored) when they are not; a bad file is left out and named."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.app import store_totals
from fashion_forecast.app.planning.demand import sales_level_rows
from fashion_forecast.domain.history import ALL_CATEGORIES, HistoryFileError, WeeklySales
from fashion_forecast.ports import Container
from tests.fakes import Fakes, fake_container

WEEK = dt.date(2025, 3, 3)


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    c, fakes = fake_container()
    fakes.sales.save_category_history("dresses", [WeeklySales(WEEK, "S001", "dresses", 4.0, None)])
    fakes.sales.save_category_history("basics", [WeeklySales(WEEK, "S001", "basics", 6.0, None)])
    return c, fakes


class CountingReads:
    """Counts SalesStore.category_history calls."""

    def __init__(self, fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        original = fakes.sales.category_history

        def read(category: str) -> list[WeeklySales]:
            self.names.append(category)
            return original(category)

        monkeypatch.setattr(fakes.sales, "category_history", read)


def test_fresh_totals_are_read_without_reading_any_category(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, fakes = fc
    built = store_totals.rebuild(fakes.sales)
    assert built.weeks == [(WEEK, "S001", 10.0)]
    reads = CountingReads(fakes, monkeypatch)
    rows, excluded = sales_level_rows(store_totals.current(c), "dresses")
    assert reads.names == []
    assert rows == [
        {"date": WEEK, "store_id": "S001", "category": ALL_CATEGORIES, "quantity_sold": 10.0}
    ]
    assert excluded == {}


@pytest.mark.parametrize("stored", [False, True])
def test_missing_or_stale_totals_are_summed_from_the_files_and_not_stored(
    fc: tuple[Container, Fakes], monkeypatch: pytest.MonkeyPatch, stored: bool
) -> None:
    c, fakes = fc
    if stored:
        store_totals.rebuild(fakes.sales)
        # a category changed after the totals were summed: they are older than its file
        fakes.sales.save_category_history(
            "basics", [WeeklySales(WEEK, "S001", "basics", 1.0, None)]
        )
    before: Any = fakes.sales.totals
    reads = CountingReads(fakes, monkeypatch)
    totals = store_totals.current(c)
    assert sorted(reads.names) == ["basics", "dresses"]
    assert totals.weeks == [(WEEK, "S001", 5.0 if stored else 10.0)]
    assert totals.sources == fakes.sales.history_versions()
    assert fakes.sales.totals == before  # the reader stores nothing


def test_an_unreadable_file_is_left_out_and_named_and_fails_only_its_own_category(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    fakes.sales.make_unreadable("basics", "the history of basics, line 2: unreadable row")
    built = store_totals.rebuild(fakes.sales)
    assert built.excluded == {"basics": "the history of basics, line 2: unreadable row"}
    assert built.weeks == [(WEEK, "S001", 4.0)]
    rows, excluded = sales_level_rows(store_totals.current(c), "dresses")
    assert [r["quantity_sold"] for r in rows] == [4.0]
    assert excluded == built.excluded
    with pytest.raises(HistoryFileError, match="line 2"):
        sales_level_rows(store_totals.current(c), "basics")
