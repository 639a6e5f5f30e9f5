"""Validation of uploaded sales files: raw bytes in, typed rows or a refusal out.

Standard library only: the API Lambda and the zip variance Lambda both run it. Each parser
either returns every row of the file or raises a FileRejectedError (a DomainError, so the API
answers 422 with the error shape) whose ``details`` hold up to 50 ``{row, column, message}``
entries. A file is refused whole: callers store nothing from a refused file.

Rules common to every file (docs/domain.md "Data formats")
----------------------------------------------------
- Size: at most ``max_bytes`` (10 MiB for weekly and store files, 10 MiB for history by
  default); a bigger file is ``file_too_large`` before any byte is parsed.
- Encoding: UTF-8 only (a UTF-8 byte-order mark is accepted). Anything else, e.g. a Latin-1 or
  UTF-16 export, is ``invalid_encoding`` naming the line and byte offset of the first bad byte.
- Empty: no bytes, only whitespace, or a header without rows is ``empty_file``.
- Header: the first line. Names are matched ignoring case and surrounding spaces; a required
  column missing or a column named twice is ``invalid_file``; unknown extra columns are ignored.
- Rows: numbered as a spreadsheet shows them (the header is row 1). Blank lines are skipped; a
  row with more or fewer fields than the header, a NUL byte or broken quoting is an error.
- Ids (store_id, category) must match ``[A-Za-z0-9][A-Za-z0-9_-]*`` (at most 32 / 64
  characters): they end up in storage keys and URLs.
- Numbers: ASCII digits only (full-width or other Unicode digits are refused), at most
  MAX_NUMBER_CHARS characters, checked before any conversion; decimals are plain
  (``12``, ``12.5``, ``1e3``), never ``nan``, ``inf``, ``1_000`` or a value past its bound.
- Cells are trimmed of surrounding whitespace; a text cell that then starts with ``=``, ``+``,
  ``-`` or ``@`` (a spreadsheet formula, domain.csv_cells) is refused, naming row and column.

Weekly sales (``parse_weekly_sales``)
-------------------------------------
Columns store_id, week_number, units_sold, optional category. week_number is a whole number
within the season (1..horizon) and not after the week the upload is for; units_sold is a
whole number >= 0 (at most 10^9), and a week's total over the stores at most 10^9 too; the
store must be in the store attributes; a store appears at most once per week (category rows
counted separately). When the file has a category
column, rows of other categories are skipped (a store's weekly export usually covers every
category) and an empty category cell means the forecast's category; a file with no row of the
forecast's category is refused. A store missing from a week counts as zero sales.

Historical sales (``parse_historical_sales``)
---------------------------------------------
Columns date (YYYY-MM-DD, daily or weekly), store_id, category, quantity_sold, optional
revenue. Dates from 1990-01-01 to today; quantity_sold a number within 0..10^9; revenue empty
or a number within 0..10^12; one row per (date, store, category). Aggregates are bounded too:
a category's week (all its rows of the store, or of every store, summed by Monday week) must
stay within 0..10^9 units, or the file is refused naming the week's first row.

Store attributes (``parse_store_attributes``)
---------------------------------------------
Every docs/domain.md column is required. store_size_sqft a whole number > 0; median_income a number
> 0; location_tier A/B/C, fashion_tier Premium/Mainstream/Value, store_format
Mall/Standalone/ShoppingCenter/Outlet, matched ignoring case, spaces, "_" and "-" and stored
in that canonical spelling; store_name and region non-empty text without control characters;
each store_id once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from fashion_forecast.constants import (
    CATEGORY_ID_PATTERN,
    FIRST_DATE,
    MAX_ORDER_UNITS,
    STORE_ID_PATTERN,
)
from fashion_forecast.domain.csv_cells import escape_formula, is_formula
from fashion_forecast.domain.errors import DomainError

MAX_DETAILS = 50
MAX_WEEKLY_FILE_BYTES = 10 * 1024 * 1024
MAX_HISTORY_FILE_BYTES = 10 * 1024 * 1024
MAX_STORES_FILE_BYTES = 10 * 1024 * 1024
MAX_STORES = 10_000
MAX_CATEGORIES = 200
MAX_REVENUE = 10**12
MAX_NUMBER_CHARS = 32  # longer cells are refused before int() or float() sees them

STORE_ID = re.compile(STORE_ID_PATTERN)
CATEGORY_ID = re.compile(CATEGORY_ID_PATTERN)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

WEEKLY_COLUMNS = ("store_id", "week_number", "units_sold")
HISTORY_COLUMNS = ("date", "store_id", "category", "quantity_sold")
STORE_COLUMNS = (
    "store_id",
    "store_name",
    "region",
    "store_size_sqft",
    "median_income",
    "location_tier",
    "fashion_tier",
    "store_format",
)
LOCATION_TIERS = ("A", "B", "C")
FASHION_TIERS = ("Premium", "Mainstream", "Value")
STORE_FORMATS = ("Mall", "Standalone", "ShoppingCenter", "Outlet")


class FileRejectedError(DomainError):
    """A file refused whole; ``details`` lists up to 50 {row, column, message}."""

    code = "invalid_file"


class EmptyFileError(FileRejectedError):
    code = "empty_file"


class FileEncodingError(FileRejectedError):
    code = "invalid_encoding"


class FileTooLargeError(FileRejectedError):
    code = "file_too_large"


# -- shared reading ------------------------------------------------------------------------------


@dataclass
class _Problems:
    """Collects row problems: the first MAX_DETAILS are kept, all are counted."""

    kind: str
    details: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, column: str | None, message: str) -> None:
        self.count += 1
        if len(self.details) < MAX_DETAILS:
            self.details.append({"row": row, "column": column, "message": message})

    def raise_if_any(self) -> None:
        if not self.count:
            return
        shown = "" if self.count <= MAX_DETAILS else f" (the first {MAX_DETAILS} are listed)"
        noun = "problem" if self.count == 1 else "problems"
        first = self.details[0]
        where = f"row {first['row']}" + (f", {first['column']}" if first["column"] else "")
        raise FileRejectedError(
            f"The {self.kind} file was refused: {self.count} {noun}{shown}; first: {where}: "
            f"{first['message']}. Nothing was stored.",
            details=self.details,
        )


def check_size(size: int, max_bytes: int, kind: str) -> None:
    """Refuse a file over the limit before reading it (also used on an S3 object's size)."""
    if size > max_bytes:
        raise FileTooLargeError(
            f"The {kind} file is {size:,} bytes; the limit is {max_bytes:,} bytes. "
            "Split it or upload it through a presigned URL where that is offered.",
            details=[{"row": None, "column": None, "message": f"at most {max_bytes:,} bytes"}],
        )


def decode(data: bytes, kind: str, max_bytes: int) -> str:
    """Size and encoding checks; the text without a byte-order mark."""
    check_size(len(data), max_bytes, kind)
    if not data.strip():
        raise EmptyFileError(
            f"The {kind} file is empty.",
            details=[{"row": None, "column": None, "message": "the file has no content"}],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise FileEncodingError(
            f"The {kind} file is not UTF-8 (byte 0x{byte} on line {line}); "
            "save or export it as UTF-8 CSV.",
            details=[
                {
                    "row": line,
                    "column": None,
                    "message": f"byte 0x{byte} at offset {exc.start} is not valid UTF-8",
                }
            ],
        ) from None
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        raise FileEncodingError(
            f"The {kind} file contains NUL bytes (line {line}): it is not UTF-8 text "
            "(a UTF-16 or binary file?); save or export it as UTF-8 CSV.",
            details=[{"row": line, "column": None, "message": f"NUL byte at offset {offset}"}],
        )
    return text


@dataclass(frozen=True)
class _Row:
    number: int
    values: dict[str, str]


def _records(
    text: str, kind: str, required: tuple[str, ...], optional: tuple[str, ...], problems: _Problems
) -> tuple[list[str], Iterator[_Row]]:
    """The header's known columns and an iterator over the rows as {column: stripped value}.

    Header problems raise at once; row shape problems are added to `problems` and skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FileRejectedError(
            f"The {kind} file is not a readable CSV: {exc}.",
            details=[{"row": 1, "column": None, "message": str(exc)}],
        ) from None
    names = [h.strip().lower() for h in header]
    header_problems = _Problems(kind)
    seen: set[str] = set()
    for name in names:
        if name in seen and name in required + optional:
            header_problems.add(1, name, f"column {name} appears more than once")
        seen.add(name)
    for name in required:
        if name not in seen:
            header_problems.add(1, name, f"missing column {name}")
    if header_problems.count:
        missing = [d["column"] for d in header_problems.details if "missing" in d["message"]]
        if missing:
            expected = ", ".join(required + tuple(f"{o} (optional)" for o in optional))
            message = (
                f"The {kind} file is missing the column(s) {', '.join(missing)}; "
                f"expected {expected}. Nothing was stored."
            )
        else:
            message = f"The {kind} file has a column named twice. Nothing was stored."
        raise FileRejectedError(message, details=header_problems.details)
    wanted = {name: i for i, name in enumerate(names) if name in required + optional}

    def rows() -> Iterator[_Row]:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.add(reader.line_num, None, f"unreadable row: {exc}")
                return  # the reader cannot resynchronise after broken quoting or a NUL
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(names):
                problems.add(
                    reader.line_num,
                    None,
                    f"the row has {len(fields)} fields but the header has {len(names)}",
                )
                continue
            yield _Row(reader.line_num, {n: fields[i].strip() for n, i in wanted.items()})

    return list(wanted), rows()


def _whole(value: str, row: int, column: str, problems: _Problems) -> int | None:
    if not value:
        problems.add(row, column, f"{column} is empty")
        return None
    if len(value) > MAX_NUMBER_CHARS or not _INTEGER.match(value):
        problems.add(row, column, f"{column} {value[:40]!r} is not a whole number")
        return None
    return int(value)


def _number(value: str, row: int, column: str, problems: _Problems) -> float | None:
    if not value:
        problems.add(row, column, f"{column} is empty")
        return None
    if len(value) > MAX_NUMBER_CHARS or not _DECIMAL.match(value):
        problems.add(row, column, f"{column} {value[:40]!r} is not a number")
        return None
    number = float(value)
    if not math.isfinite(number):
        problems.add(row, column, f"{column} {value[:40]!r} is not a finite number")
        return None
    return number


def _bounded(value: str, row: int, column: str, problems: _Problems, upper: float) -> float | None:
    """A number within 0..upper."""
    number = _number(value, row, column, problems)
    if number is not None and not 0 <= number <= upper:
        problems.add(row, column, f"{column} {value[:40]} must be within 0..{upper:.0e}")
        return None
    return number


def _identifier(
    value: str, row: int, column: str, pattern: re.Pattern[str], problems: _Problems
) -> str | None:
    if not value:
        problems.add(row, column, f"{column} is empty")
        return None
    if not pattern.match(value):
        problems.add(
            row,
            column,
            f"{column} {value[:40]!r} is not a valid id (letters, digits, '_' and '-')",
        )
        return None
    return value


def _text(value: str, row: int, column: str, problems: _Problems, max_len: int) -> str | None:
    if not value:
        problems.add(row, column, f"{column} is empty")
        return None
    if len(value) > max_len or _CONTROL.search(value):
        problems.add(
            row, column, f"{column} must be at most {max_len} characters without control codes"
        )
        return None
    if is_formula(value):
        problems.add(
            row,
            column,
            f"{column} {value[:40]!r} starts with {value[0]!r}: a spreadsheet would run it as "
            "a formula",
        )
        return None
    return value


def _empty(kind: str, message: str) -> EmptyFileError:
    return EmptyFileError(
        f"The {kind} file has no data rows.",
        details=[{"row": None, "column": None, "message": message}],
    )


# -- weekly sales --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySalesRow:
    row: int
    store_id: str
    week_number: int
    units_sold: int


@dataclass(frozen=True)
class WeeklySalesFile:
    rows: tuple[WeeklySalesRow, ...]
    skipped_rows: int = 0
    category_column: bool = False

    @property
    def weeks(self) -> list[int]:
        return sorted({r.week_number for r in self.rows})

    def week_totals(self) -> dict[int, int]:
        totals: dict[int, int] = {}
        for r in self.rows:
            totals[r.week_number] = totals.get(r.week_number, 0) + r.units_sold
        return dict(sorted(totals.items()))

    def store_units(self, week: int) -> dict[str, int]:
        return {r.store_id: r.units_sold for r in self.rows if r.week_number == week}


def parse_weekly_sales(
    data: bytes,
    *,
    horizon_weeks: int,
    known_stores: Collection[str] | None = None,
    category: str | None = None,
    through_week: int | None = None,
    max_bytes: int = MAX_WEEKLY_FILE_BYTES,
) -> WeeklySalesFile:
    """The weekly sales rows of `category` (see the module docstring for every rule).

    `through_week`: the week the upload is for; rows of later weeks are refused."""
    kind = "weekly sales"
    text = decode(data, kind, max_bytes)
    problems = _Problems(kind)
    columns, rows = _records(text, kind, WEEKLY_COLUMNS, ("category",), problems)
    stores = set(known_stores) if known_stores is not None else None
    last_week = min(horizon_weeks, through_week) if through_week else horizon_weeks
    kept: list[WeeklySalesRow] = []
    first_row: dict[tuple[str, int], int] = {}
    skipped = 0
    for record in rows:
        values, n = record.values, record.number
        row_category = values.get("category", "")
        if category is not None and row_category and row_category != category:
            skipped += 1
            continue
        store = _identifier(values["store_id"], n, "store_id", STORE_ID, problems)
        if store is not None and stores is not None and store not in stores:
            problems.add(n, "store_id", f"unknown store {store!r} (not in the store attributes)")
            store = None
        week = _whole(values["week_number"], n, "week_number", problems)
        if week is not None:
            if not 1 <= week <= horizon_weeks:
                problems.add(
                    n, "week_number", f"week {week} is outside the season (1..{horizon_weeks})"
                )
                week = None
            elif week > last_week:
                problems.add(
                    n,
                    "week_number",
                    f"week {week} is after week {last_week}, the week this upload is for",
                )
                week = None
        units = _whole(values["units_sold"], n, "units_sold", problems)
        if units is not None and units < 0:
            problems.add(n, "units_sold", f"units_sold {units} is negative")
            units = None
        elif units is not None and units > MAX_ORDER_UNITS:
            problems.add(n, "units_sold", f"units_sold {units} is implausibly large")
            units = None
        if store is None or week is None or units is None:
            continue
        key = (store, week)
        if key in first_row:
            problems.add(
                n,
                "store_id",
                f"duplicate of row {first_row[key]} (store {store}, week {week})",
            )
            continue
        first_row[key] = n
        kept.append(WeeklySalesRow(n, store, week, units))
    totals: dict[int, int] = {}
    for r in kept:
        before = totals.get(r.week_number, 0)
        totals[r.week_number] = before + r.units_sold
        if before <= MAX_ORDER_UNITS < totals[r.week_number]:  # each week reported once
            problems.add(
                r.row,
                "units_sold",
                f"week {r.week_number} sums to more than {MAX_ORDER_UNITS:,} units by this row",
            )
    problems.raise_if_any()
    if not kept:
        if skipped:
            raise FileRejectedError(
                f"The weekly sales file has no row for category {category} "
                f"({skipped} rows of other categories). Nothing was stored.",
                details=[{"row": None, "column": "category", "message": f"no {category} rows"}],
            )
        raise _empty(kind, "the file has a header but no rows")
    return WeeklySalesFile(
        rows=tuple(kept), skipped_rows=skipped, category_column="category" in columns
    )


# -- historical sales ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoricalSalesFile:
    """Rows in the shape domain.history.aggregate_weekly takes."""

    rows: list[dict[str, Any]]
    first_date: dt.date
    last_date: dt.date
    categories: list[str]
    stores: list[str]


def _iso_date(value: str, row: int, problems: _Problems, today: dt.date) -> dt.date | None:
    if not _ISO_DATE.match(value):
        problems.add(row, "date", f"date {value[:40]!r} is not YYYY-MM-DD")
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        problems.add(row, "date", f"date {value!r} does not exist")
        return None
    if not FIRST_DATE <= day <= today:
        problems.add(row, "date", f"date {value} is outside {FIRST_DATE.isoformat()}..today")
        return None
    return day


def parse_historical_sales(
    data: bytes,
    *,
    today: dt.date | None = None,
    max_bytes: int = MAX_HISTORY_FILE_BYTES,
) -> HistoricalSalesFile:
    kind = "historical sales"
    text = decode(data, kind, max_bytes)
    today = today or dt.date.today()
    problems = _Problems(kind)
    _, rows = _records(text, kind, HISTORY_COLUMNS, ("revenue",), problems)
    out: list[dict[str, Any]] = []
    numbers: list[int] = []  # the file row of each kept row
    first_row: dict[tuple[dt.date, str, str], int] = {}
    categories: set[str] = set()
    for record in rows:
        values, n = record.values, record.number
        day = _iso_date(values["date"], n, problems, today)
        store = _identifier(values["store_id"], n, "store_id", STORE_ID, problems)
        category = _identifier(values["category"], n, "category", CATEGORY_ID, problems)
        quantity = _bounded(values["quantity_sold"], n, "quantity_sold", problems, MAX_ORDER_UNITS)
        revenue: float | None = None
        raw_revenue = values.get("revenue", "")
        revenue_ok = True
        if raw_revenue:
            revenue = _bounded(raw_revenue, n, "revenue", problems, MAX_REVENUE)
            revenue_ok = revenue is not None
        if day is None or store is None or category is None or quantity is None or not revenue_ok:
            continue
        key = (day, store, category)
        if key in first_row:
            problems.add(
                n,
                "date",
                f"duplicate of row {first_row[key]} ({day}, store {store}, {category})",
            )
            continue
        first_row[key] = n
        if category not in categories and len(categories) >= MAX_CATEGORIES:
            problems.add(n, "category", f"more than {MAX_CATEGORIES} categories in one file")
            continue
        categories.add(category)
        numbers.append(n)
        out.append(
            {
                "date": day,
                "store_id": store,
                "category": category,
                "quantity_sold": quantity,
                "revenue": revenue,
            }
        )
    _check_week_totals(out, numbers, problems)
    problems.raise_if_any()
    if not out:
        raise _empty(kind, "the file has a header but no rows")
    days = [r["date"] for r in out]
    return HistoricalSalesFile(
        rows=out,
        first_date=min(days),
        last_date=max(days),
        categories=sorted(categories),
        stores=sorted({r["store_id"] for r in out}),
    )


def _check_week_totals(rows: list[dict[str, Any]], numbers: list[int], problems: _Problems) -> None:
    """A category's Monday week summed over its stores stays within 0..MAX_ORDER_UNITS (so
    every per-store week does too)."""
    totals: dict[tuple[str, dt.date], float] = {}
    first: dict[tuple[str, dt.date], int] = {}
    for n, row in zip(numbers, rows, strict=True):
        day: dt.date = row["date"]
        key = (row["category"], day - dt.timedelta(days=day.weekday()))
        totals[key] = totals.get(key, 0.0) + row["quantity_sold"]
        first.setdefault(key, n)
    for key, total in totals.items():
        if not math.isfinite(total) or total > MAX_ORDER_UNITS:
            category, week = key
            problems.add(
                first[key],
                "quantity_sold",
                f"the week of {week} sums to {total:.3g} units of {category}, more than "
                f"{MAX_ORDER_UNITS:,}",
            )


# -- store attributes ----------------------------------------------------------------------------


def _squash(value: str) -> str:
    return re.sub(r"[\s_-]", "", value).lower()


def _choice(
    value: str, row: int, column: str, allowed: tuple[str, ...], problems: _Problems
) -> str | None:
    canonical = {_squash(a): a for a in allowed}.get(_squash(value))
    if canonical is None:
        shown = value[:40] if value else "empty"
        problems.add(row, column, f"{column} {shown!r} must be one of {', '.join(allowed)}")
    return canonical


@dataclass(frozen=True)
class StoreAttributesFile:
    rows: list[dict[str, str]]

    @property
    def store_ids(self) -> list[str]:
        return [r["store_id"] for r in self.rows]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=STORE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: escape_formula(v) for k, v in row.items()} for row in self.rows)
        return buffer.getvalue()


def _plain(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


def parse_store_attributes(
    data: bytes, *, max_bytes: int = MAX_STORES_FILE_BYTES
) -> StoreAttributesFile:
    kind = "store attributes"
    text = decode(data, kind, max_bytes)
    problems = _Problems(kind)
    _, rows = _records(text, kind, STORE_COLUMNS, (), problems)
    out: list[dict[str, str]] = []
    first_row: dict[str, int] = {}
    checks: dict[str, Callable[[str, int], str | None]] = {
        "store_name": lambda v, n: _text(v, n, "store_name", problems, 100),
        "region": lambda v, n: _text(v, n, "region", problems, 64),
        "location_tier": lambda v, n: _choice(v, n, "location_tier", LOCATION_TIERS, problems),
        "fashion_tier": lambda v, n: _choice(v, n, "fashion_tier", FASHION_TIERS, problems),
        "store_format": lambda v, n: _choice(v, n, "store_format", STORE_FORMATS, problems),
    }
    for record in rows:
        values, n = record.values, record.number
        store = _identifier(values["store_id"], n, "store_id", STORE_ID, problems)
        checked = {name: check(values[name], n) for name, check in checks.items()}
        size = _whole(values["store_size_sqft"], n, "store_size_sqft", problems)
        if size is not None and not 0 < size <= 10_000_000:
            problems.add(n, "store_size_sqft", f"store_size_sqft {size} must be within 1..10^7")
            size = None
        income = _number(values["median_income"], n, "median_income", problems)
        if income is not None and not 0 < income <= 10_000_000:
            problems.add(n, "median_income", "median_income must be within 0..10^7 (exclusive 0)")
            income = None
        if store is None or size is None or income is None or None in checked.values():
            continue
        if store in first_row:
            problems.add(n, "store_id", f"duplicate of row {first_row[store]} (store {store})")
            continue
        if len(first_row) >= MAX_STORES:
            problems.add(n, "store_id", f"more than {MAX_STORES} stores")
            continue
        first_row[store] = n
        out.append(
            {
                "store_id": store,
                **{k: str(v) for k, v in checked.items()},
                "store_size_sqft": str(size),
                "median_income": _plain(income),
            }
        )
    problems.raise_if_any()
    if not out:
        raise _empty(kind, "the file has a header but no rows")
    return StoreAttributesFile(rows=[{c: r[c] for c in STORE_COLUMNS} for r in out])
