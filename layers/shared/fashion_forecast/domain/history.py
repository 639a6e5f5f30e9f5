"""Sales history in weekly buckets: the shape every agent reads (standard library only).

Weeks start on Monday: a daily row on a Wednesday belongs to the week of the Monday before.
Rows are summed per (category, store, week). The stored form is one CSV per category with
columns week_start, store_id, category, quantity_sold, revenue.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fashion_forecast.constants import MAX_ORDER_UNITS
from fashion_forecast.domain.csv_cells import escape_formula
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.models.sales import CategorySummary

COLUMNS = ("week_start", "store_id", "category", "quantity_sold", "revenue")


@dataclass(frozen=True)
class WeeklySales:
    week_start: dt.date
    store_id: str
    category: str
    quantity_sold: float
    revenue: float | None


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def aggregate_weekly(rows: Iterable[Mapping[str, object]]) -> dict[str, list[WeeklySales]]:
    """Validated rows (date, store_id, category, quantity_sold[, revenue]) -> weekly sums per
    category, sorted by week then store. Revenue is kept only where every row had one."""
    units: dict[tuple[str, str, dt.date], float] = defaultdict(float)
    revenue: dict[tuple[str, str, dt.date], float | None] = {}
    for row in rows:
        day = row["date"]
        if not isinstance(day, dt.date):
            day = dt.date.fromisoformat(str(day))
        key = (str(row["category"]), str(row["store_id"]), week_start(day))
        units[key] += float(row["quantity_sold"])  # type: ignore[arg-type]
        value = row.get("revenue")
        amount = None if value in (None, "") else float(value)  # type: ignore[arg-type]
        previous = revenue.get(key, 0.0)
        revenue[key] = None if amount is None or previous is None else previous + amount
    out: dict[str, list[WeeklySales]] = defaultdict(list)
    for (category, store, week), qty in sorted(
        units.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])
    ):
        out[category].append(
            WeeklySales(week, store, category, qty, revenue[(category, store, week)])
        )
    return dict(out)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def to_csv(rows: Iterable[WeeklySales]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.week_start.isoformat(),
                escape_formula(r.store_id),
                escape_formula(r.category),
                _number(r.quantity_sold),
                _number(r.revenue),
            ]
        )
    return buffer.getvalue()


class HistoryFileError(DomainError):
    """A stored history file that cannot be read back (written by hand, or by an older
    version that took values it should not have)."""

    code = "invalid_history"


def from_csv(text: str, name: str = "weekly history file") -> list[WeeklySales]:
    """Read a stored history file back; a row that could not have passed the upload checks
    raises HistoryFileError naming `name` and the line."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise HistoryFileError(f"{name} must have columns {', '.join(COLUMNS)}")
    rows = []
    for row in reader:
        try:
            quantity = float(row["quantity_sold"])
            revenue = float(row["revenue"]) if row["revenue"] else None
            weekly = WeeklySales(
                week_start=dt.date.fromisoformat(row["week_start"]),
                store_id=row["store_id"],
                category=row["category"],
                quantity_sold=quantity,
                revenue=revenue,
            )
        except (TypeError, ValueError) as exc:
            raise HistoryFileError(f"{name}, line {reader.line_num}: unreadable row") from exc
        if not (math.isfinite(quantity) and 0 <= quantity <= MAX_ORDER_UNITS) or not (
            revenue is None or math.isfinite(revenue)
        ):
            raise HistoryFileError(
                f"{name}, line {reader.line_num}: quantity_sold {row['quantity_sold']} or "
                f"revenue {row['revenue'] or '(none)'} is not a number within bounds; "
                "re-upload that week's history"
            )
        rows.append(weekly)
    return rows


def category_series(rows: Iterable[WeeklySales]) -> tuple[list[dt.date], list[float]]:
    """Category totals per week from the first to the last week, missing weeks as 0."""
    totals: dict[dt.date, float] = defaultdict(float)
    for r in rows:
        totals[r.week_start] += r.quantity_sold
    if not totals:
        return [], []
    first, last = min(totals), max(totals)
    weeks = [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    return weeks, [totals.get(w, 0.0) for w in weeks]


ALL_CATEGORIES = "*"
"""The category of a store-week total over every category (no category id can be it)."""


def store_week_totals(rows: Iterable[WeeklySales]) -> list[WeeklySales]:
    """Every store's units per week summed over the categories of `rows`, as rows of category
    ``*`` sorted by week then store: what the stores' sales level reads (domain.clusters,
    docstring 2). A store-week whose rows all sold 0 keeps a 0 row: it still counts as a week
    with sales rows."""
    totals: dict[tuple[dt.date, str], float] = defaultdict(float)
    for r in rows:
        totals[(r.week_start, r.store_id)] += r.quantity_sold
    return [
        WeeklySales(
            week_start=week, store_id=store, category=ALL_CATEGORIES, quantity_sold=q, revenue=None
        )
        for (week, store), q in sorted(totals.items())
    ]


def merge_weeks(existing: Iterable[WeeklySales], uploaded: list[WeeklySales]) -> list[WeeklySales]:
    """A category's history with every week present in `uploaded` replaced by it (an upload
    replaces the weeks it covers and keeps the others), sorted by week then store."""
    weeks = {r.week_start for r in uploaded}
    kept = [r for r in existing if r.week_start not in weeks]
    return sorted([*kept, *uploaded], key=lambda r: (r.week_start, r.store_id))


def summarize(category: str, rows: list[WeeklySales]) -> CategorySummary:
    """Rows, stores and week range of a category's (non-empty) history."""
    if not rows:
        raise DomainError(f"the sales history of category {category} is empty")
    weeks = [r.week_start for r in rows]
    return CategorySummary(
        category=category,
        rows=len(rows),
        stores=len({r.store_id for r in rows}),
        first_week=min(weeks),
        last_week=max(weeks),
    )
