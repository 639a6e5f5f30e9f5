"""Where the sales history and store attributes live in the data bucket.

history/weekly/<category>.csv   weekly sums per store (domain.history's CSV form)
stores/attributes.csv           the store attributes CSV as uploaded (DOMAIN.md columns)
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fashion_forecast.adapters.errors import NotFoundError
from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.domain import history
from fashion_forecast.domain.history import WeeklySales

HISTORY_PREFIX = "history/weekly/"
STORES_KEY = "stores/attributes.csv"


class SalesData:
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects

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

    def store_attributes(self) -> list[dict[str, Any]]:
        try:
            text = self.objects.get_text(STORES_KEY)
        except NotFoundError:
            return []
        return list(csv.DictReader(io.StringIO(text)))

    def save_store_attributes(self, text: str) -> None:
        self.objects.put_text(STORES_KEY, text)
