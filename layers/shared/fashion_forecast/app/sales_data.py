"""Sales data: the history and store-attribute uploads, and what they tell (categories, stores,
clusters of the latest forecast).

Every file is validated whole (domain.sales_files) before anything is stored: a refused file
is a DomainError (422) whose details list up to 50 {row, column, message}. A history upload
replaces, per category, the weeks it covers and keeps the others (domain.history.merge_weeks);
a store file is the whole store list.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.app import audit, store_totals
from fashion_forecast.app.in_season import new_upload_id
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.history import aggregate_weekly, category_series, merge_weeks
from fashion_forecast.domain.sales_files import (
    HistoricalSalesFile,
    StoreAttributesFile,
    parse_historical_sales,
    parse_store_attributes,
)
from fashion_forecast.models.audit import AuditAction, EntityType
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.identity import Caller
from fashion_forecast.models.sales import CategorySummary
from fashion_forecast.ports import Container, NotFoundError

logger = Logger(service="fashion-forecast-api")


@dataclass(frozen=True)
class HistoryImport:
    upload_id: str
    file: HistoricalSalesFile
    weeks_imported: int


def _refused(c: Container, caller: Caller, kind: str, exc: DomainError) -> None:
    """A refused file, audited as the caller's (nothing else is stored)."""
    audit.record(
        c,
        caller,
        AuditAction.UPLOAD_REFUSED,
        EntityType.UPLOAD,
        c.ids.new_id(),
        {"kind": kind, "error_code": exc.code, "message": exc.message},
    )


def upload_history(c: Container, data: bytes, *, caller: Caller) -> HistoryImport:
    """Validate a historical sales file, keep it raw, and merge its weekly sums per category
    into the stored history (audited per category replaced)."""
    try:
        parsed = parse_historical_sales(
            data, today=c.clock.now().date(), max_bytes=c.settings.max_upload_bytes
        )
    except DomainError as exc:
        _refused(c, caller, "history", exc)
        raise
    by_category = aggregate_weekly(parsed.rows)
    merged = {}
    for category, rows in by_category.items():
        try:
            existing = c.sales.category_history(category)
        except NotFoundError:
            existing = []
        merged[category] = merge_weeks(existing, rows)
    upload_id = new_upload_id(c)
    c.sales.save_raw_upload("history", upload_id, data)
    for category, rows in merged.items():
        c.sales.save_category_history(category, rows)
        replaced = sorted({r.week_start for r in by_category[category]})
        audit.record(
            c,
            caller,
            AuditAction.HISTORY_REPLACED,
            EntityType.SALES_HISTORY,
            category,
            {
                "upload_id": upload_id,
                "weeks_replaced": len(replaced),
                "first_week": replaced[0].isoformat(),
                "last_week": replaced[-1].isoformat(),
                "weeks_stored": len(rows),
            },
        )
    store_totals.rebuild(c.sales)
    weeks = {r.week_start for rows in by_category.values() for r in rows}
    logger.info("history uploaded", extra={"upload_id": upload_id, "by": caller.name})
    return HistoryImport(upload_id=upload_id, file=parsed, weeks_imported=len(weeks))


@dataclass(frozen=True)
class StoresImport:
    upload_id: str
    file: StoreAttributesFile

    @property
    def regions(self) -> list[str]:
        return sorted({r["region"] for r in self.file.rows})

    @property
    def fashion_tiers(self) -> dict[str, int]:
        return dict(sorted(Counter(r["fashion_tier"] for r in self.file.rows).items()))


def upload_store_attributes(c: Container, data: bytes, *, caller: Caller) -> StoresImport:
    """Validate a store attributes file, keep it raw, and make it the store list (audited
    with the store counts before and after)."""
    try:
        parsed = parse_store_attributes(data, max_bytes=c.settings.max_upload_bytes)
    except DomainError as exc:
        _refused(c, caller, "stores", exc)
        raise
    upload_id = new_upload_id(c)
    before = len(c.sales.store_attributes())
    c.sales.save_raw_upload("stores", upload_id, data)
    c.sales.save_store_attributes(parsed.to_csv())
    audit.record(
        c,
        caller,
        AuditAction.STORE_LIST_REPLACED,
        EntityType.STORE_LIST,
        "stores",
        {"upload_id": upload_id, "stores_before": before, "stores_after": len(parsed.rows)},
    )
    return StoresImport(upload_id=upload_id, file=parsed)


def list_categories(c: Container) -> list[CategorySummary]:
    return [c.sales.category_summary(category) for category in c.sales.categories()]


def weekly_units(c: Container, category: str, weeks: int) -> list[tuple[dt.date, float]]:
    """The category's units per week over all stores, its last `weeks` weeks (missing weeks
    as 0); NotFoundError for a category without history."""
    starts, units = category_series(c.sales.category_history(category))
    return list(zip(starts, units, strict=True))[-weeks:]


def latest_forecast(c: Container, category_id: str | None) -> ForecastRecord | None:
    """The newest forecast (of `category_id` when given): whose clustering the stores show."""
    page = c.records.list_recent(FORECAST, ForecastRecord, limit=1, category_id=category_id)
    return page.items[0] if page.items else None


def list_stores(
    c: Container, category_id: str | None
) -> tuple[list[dict[str, Any]], ForecastRecord | None]:
    """The store list and the latest forecast whose clusters and factors go with it."""
    return c.sales.store_attributes(), latest_forecast(c, category_id)
