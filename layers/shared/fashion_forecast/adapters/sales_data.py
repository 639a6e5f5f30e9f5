"""Where the sales history, store attributes and uploads live in the data bucket.

history/weekly/<category>.csv                      weekly sums per store (domain.history's CSV)
history/summary/<category>.json                    rows, stores and week range of that file
stores/attributes.csv                              the store attributes (DOMAIN.md columns)
uploads/history/<upload_id>.csv                    historical sales files as uploaded
uploads/stores/<upload_id>.csv                     store attribute files as uploaded
uploads/weekly/<forecast_id>/week-<nn>/<upload_id>.csv
                                                   weekly sales files as uploaded; creating one
                                                   invokes the variance Lambda (template.yaml)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from fashion_forecast.adapters.errors import NotFoundError
from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.domain import history
from fashion_forecast.domain.history import WeeklySales

HISTORY_PREFIX = "history/weekly/"
SUMMARY_PREFIX = "history/summary/"
STORES_KEY = "stores/attributes.csv"
WEEKLY_UPLOAD_PREFIX = "uploads/weekly/"
_WEEKLY_KEY = re.compile(
    r"^uploads/weekly/(?P<forecast_id>[A-Za-z0-9][A-Za-z0-9_-]{0,79})/"
    r"week-(?P<week>\d{2})/(?P<upload_id>[A-Za-z0-9][A-Za-z0-9_-]{0,79})\.csv$"
)


@dataclass(frozen=True)
class WeeklyUploadKey:
    forecast_id: str
    week: int
    upload_id: str

    @property
    def key(self) -> str:
        return f"{WEEKLY_UPLOAD_PREFIX}{self.forecast_id}/week-{self.week:02d}/{self.upload_id}.csv"

    @classmethod
    def parse(cls, key: str) -> WeeklyUploadKey | None:
        """The parts of a weekly upload key; None for any other key."""
        match = _WEEKLY_KEY.match(key)
        if match is None or not 1 <= int(match["week"]) <= 52:
            return None
        return cls(match["forecast_id"], int(match["week"]), match["upload_id"])


@dataclass(frozen=True)
class CategorySummary:
    category: str
    rows: int
    stores: int
    first_week: dt.date
    last_week: dt.date

    @classmethod
    def of(cls, category: str, rows: list[WeeklySales]) -> CategorySummary:
        weeks = [r.week_start for r in rows]
        return cls(category, len(rows), len({r.store_id for r in rows}), min(weeks), max(weeks))

    def to_json(self) -> str:
        return json.dumps(
            {
                "category": self.category,
                "rows": self.rows,
                "stores": self.stores,
                "first_week": self.first_week.isoformat(),
                "last_week": self.last_week.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CategorySummary:
        data = json.loads(text)
        return cls(
            data["category"],
            int(data["rows"]),
            int(data["stores"]),
            dt.date.fromisoformat(data["first_week"]),
            dt.date.fromisoformat(data["last_week"]),
        )


class SalesData:
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects

    @property
    def bucket(self) -> str:
        return self.objects.bucket

    # -- history ------------------------------------------------------------------------------

    def categories(self) -> list[str]:
        return [
            key.removeprefix(HISTORY_PREFIX).removesuffix(".csv")
            for key in self.objects.keys(HISTORY_PREFIX)
            if key.endswith(".csv")
        ]

    def category_history(self, category: str) -> list[WeeklySales]:
        """Raises NotFoundError for a category with no history."""
        return history.from_csv(self.objects.get_text(f"{HISTORY_PREFIX}{category}.csv"))

    def all_history(self) -> list[WeeklySales]:
        return [row for category in self.categories() for row in self.category_history(category)]

    def save_category_history(self, category: str, rows: list[WeeklySales]) -> None:
        self.objects.put_text(f"{HISTORY_PREFIX}{category}.csv", history.to_csv(rows))
        if rows:
            summary = CategorySummary.of(category, rows)
            self.objects.put_text(
                f"{SUMMARY_PREFIX}{category}.json", summary.to_json(), "application/json"
            )

    def merged_history(self, category: str, uploaded: list[WeeklySales]) -> list[WeeklySales]:
        """The category's history with every week present in `uploaded` replaced by it."""
        try:
            existing = self.category_history(category)
        except NotFoundError:
            existing = []
        weeks = {r.week_start for r in uploaded}
        kept = [r for r in existing if r.week_start not in weeks]
        return sorted([*kept, *uploaded], key=lambda r: (r.week_start, r.store_id))

    def category_summary(self, category: str) -> CategorySummary:
        """Raises NotFoundError for an unknown category."""
        try:
            return CategorySummary.from_json(
                self.objects.get_text(f"{SUMMARY_PREFIX}{category}.json")
            )
        except NotFoundError:
            rows = self.category_history(category)  # NotFoundError for an unknown category
            if not rows:
                raise
            return CategorySummary.of(category, rows)

    # -- stores -------------------------------------------------------------------------------

    def store_attributes(self) -> list[dict[str, Any]]:
        try:
            text = self.objects.get_text(STORES_KEY)
        except NotFoundError:
            return []
        return list(csv.DictReader(io.StringIO(text)))

    def store_ids(self) -> set[str]:
        return {str(row["store_id"]) for row in self.store_attributes()}

    def save_store_attributes(self, text: str) -> None:
        self.objects.put_text(STORES_KEY, text)

    # -- uploads ------------------------------------------------------------------------------

    def save_raw_upload(self, kind: str, upload_id: str, data: bytes) -> str:
        """Keep an uploaded history or store file as it came; returns its key."""
        key = f"uploads/{kind}/{upload_id}.csv"
        self.objects.put_bytes(key, data)
        return key

    def put_weekly_upload(self, key: WeeklyUploadKey, data: bytes) -> str:
        """Store a weekly sales file (this invokes the variance Lambda); returns its ETag."""
        return self.objects.put_bytes(key.key, data)

    def weekly_upload_url(self, key: WeeklyUploadKey, expires_in: int) -> str:
        return self.objects.presigned_put_url(key.key, expires_in)

    def read_upload(self, key: str) -> bytes:
        return self.objects.get_bytes(key)
