"""Load the bundled sample data into the data bucket, the way an upload stores it."""

from __future__ import annotations

from fashion_forecast.app import store_totals
from fashion_forecast.domain.history import aggregate_weekly
from fashion_forecast.ports import SalesStore
from fashion_forecast_local import sample_data


def seed_sample_data(sales: SalesStore) -> list[str]:
    """Weekly history per category and the store attributes; returns the categories."""
    by_category = aggregate_weekly(sample_data.load_sample_history())
    for category, rows in by_category.items():
        sales.save_category_history(category, rows)
    sales.save_store_attributes(sample_data.sample_file("store_attributes.csv").read_text())
    store_totals.rebuild(sales)
    return sorted(by_category)
