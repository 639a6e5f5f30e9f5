"""The stores' weekly units over every category, which their sales level (the clustering
feature, docs/domain.md "Demand agent") is read from.

Summing every category's history file in every Demand step made an assortment plan of n
categories read n x n files (benchmarks/README.md, "Assortment plan"). So each history upload
sums them once and stores the result with the version of every file it summed
(models.sales.StoreWeekTotals); a Demand step reads that one object after one listing, and sums
the files itself only when the totals are missing or older than some file (stored before this
existed, or a file changed since), without storing them: the Demand function only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aws_lambda_powertools import Logger

from fashion_forecast.domain.history import HistoryFileError, WeeklySales, store_week_totals
from fashion_forecast.models.sales import StoreWeekTotals
from fashion_forecast.ports import Container, NotFoundError, SalesStore

logger = Logger(service="fashion-forecast")


def sum_categories(
    read_history: Callable[[str], list[WeeklySales]], versions: Mapping[str, str]
) -> StoreWeekTotals:
    """The totals of the categories in `versions` (category -> file version), each read with
    `read_history` (SalesStore.category_history). A stored file that cannot be read back is
    left out and named, so one category's bad file never stops another from being planned."""
    rows: list[WeeklySales] = []
    excluded: dict[str, str] = {}
    for name in sorted(versions):
        try:
            rows.extend(read_history(name))
        except HistoryFileError as exc:
            excluded[name] = exc.message
            logger.warning("history left out of the store totals", extra={"category": name})
        except NotFoundError:
            continue  # removed since the listing
    return StoreWeekTotals(
        sources=dict(versions),
        excluded=excluded,
        weeks=[(r.week_start, r.store_id, r.quantity_sold) for r in store_week_totals(rows)],
    )


def rebuild(sales: SalesStore) -> StoreWeekTotals:
    """Sum every category's history and store the totals (after a history upload)."""
    totals = sum_categories(sales.category_history, sales.history_versions())
    sales.save_store_week_totals(totals)
    return totals


def current(c: Container) -> StoreWeekTotals:
    """The stored totals when every category's file is the version they were summed from;
    else summed from the files now (not stored: the Demand function only reads)."""
    versions = c.sales.history_versions()
    try:
        stored = c.sales.store_week_totals()
    except NotFoundError:
        stored = None
    if stored is not None and stored.sources == versions:
        return stored
    logger.warning(
        "store totals missing or older than a history file: summing every category",
        extra={"categories": len(versions)},
    )
    return sum_categories(c.sales.category_history, versions)
