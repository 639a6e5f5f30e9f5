"""Where the sales history, store attributes and uploads live in the data bucket.

history/weekly/<category>.csv                      weekly sums per store (domain.history's CSV)
history/summary/<category>.json                    rows, stores and week range of that file
history/store-weeks.json                           every store's units per week over every
                                                   category (models.sales.StoreWeekTotals)
stores/attributes.csv                              the store attributes (docs/domain.md columns)
uploads/history/<upload_id>.csv                    historical sales files as uploaded
uploads/stores/<upload_id>.csv                     store attribute files as uploaded
uploads/weekly/<forecast_id>/week-<nn>/<upload_id>.csv
                                                   weekly sales files as uploaded; creating one
                                                   invokes the variance Lambda (template.yaml)
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.domain import history
from fashion_forecast.domain.history import HistoryFileError, WeeklySales
from fashion_forecast.models.sales import CategorySummary, StoreWeekTotals, WeeklyUploadKey
from fashion_forecast.ports import NotFoundError

HISTORY_PREFIX = "history/weekly/"
SUMMARY_PREFIX = "history/summary/"
STORE_WEEKS_KEY = "history/store-weeks.json"
STORES_KEY = "stores/attributes.csv"


class SalesData:
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects

    @property
    def bucket(self) -> str:
        return self.objects.bucket

    # -- history ------------------------------------------------------------------------------

    def categories(self) -> list[str]:
        # by name: the keys' ".csv" would sort "tops-basic" before "tops"
        return sorted(self.history_versions())

    def category_history(self, category: str) -> list[WeeklySales]:
        """Raises NotFoundError for a category with no history, HistoryFileError for a file
        that cannot be read back."""
        key = f"{HISTORY_PREFIX}{category}.csv"
        name = f"the history of {category} ({key})"
        try:
            text = self.objects.get_bytes(key).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HistoryFileError(
                f"{name} is not UTF-8 text (byte {exc.start}); re-upload that history"
            ) from None
        return history.from_csv(text, name)

    def save_category_history(self, category: str, rows: list[WeeklySales]) -> None:
        self.objects.put_text(f"{HISTORY_PREFIX}{category}.csv", history.to_csv(rows))
        summary_key = f"{SUMMARY_PREFIX}{category}.json"
        if not rows:  # no history, no summary: never a stale one
            self.objects.delete(summary_key)
            return
        summary = history.summarize(category, rows).model_dump_json()
        self.objects.put_text(summary_key, summary, "application/json")

    def history_versions(self) -> dict[str, str]:
        return {
            key.removeprefix(HISTORY_PREFIX).removesuffix(".csv"): etag
            for key, etag in self.objects.etags(HISTORY_PREFIX).items()
            if key.endswith(".csv")
        }

    def store_week_totals(self) -> StoreWeekTotals:
        """Raises NotFoundError before any were saved."""
        return StoreWeekTotals.model_validate_json(self.objects.get_text(STORE_WEEKS_KEY))

    def save_store_week_totals(self, totals: StoreWeekTotals) -> None:
        self.objects.put_text(STORE_WEEKS_KEY, totals.model_dump_json(), "application/json")

    def category_summary(self, category: str) -> CategorySummary:
        """Raises NotFoundError for an unknown category."""
        try:
            return CategorySummary.model_validate_json(
                self.objects.get_text(f"{SUMMARY_PREFIX}{category}.json")
            )
        except NotFoundError:
            rows = self.category_history(category)  # NotFoundError for an unknown category
            if not rows:
                raise
            return history.summarize(category, rows)

    # -- stores -------------------------------------------------------------------------------

    def store_attributes(self) -> list[dict[str, Any]]:
        try:
            text = self.objects.get_text(STORES_KEY)
        except NotFoundError:
            return []
        return list(csv.DictReader(io.StringIO(text)))

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
