"""Store clusters: naming, silhouette, determinism, shares, store factors, errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from fashion_forecast.domain.clusters import (
    StoreClustering,
    cluster_names,
    cluster_stores,
    weekly_sales_level,
)
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.history import (
    ALL_CATEGORIES,
    WeeklySales,
    aggregate_weekly,
    store_week_totals,
)
from fashion_forecast_local.sample_data import load_sample_frame

CATEGORY = "womens_dresses"


@pytest.fixture(scope="module")
def attributes() -> pd.DataFrame:
    return load_sample_frame("store_attributes")


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return load_sample_frame("historical_sales")


@pytest.fixture(scope="module")
def clustering(attributes: pd.DataFrame, history: pd.DataFrame) -> StoreClustering:
    return cluster_stores(attributes, history, CATEGORY)


def test_k3_names_ranked_by_mean_sales(clustering: StoreClustering) -> None:
    names = [c.name for c in clustering.clusters]
    assert names == ["Fashion_Forward", "Mainstream", "Value_Conscious"]
    assert [c.cluster_id for c in clustering.clusters] == [0, 1, 2]
    means = [c.mean_weekly_sales for c in clustering.clusters]
    assert means == sorted(means, reverse=True) and len(set(means)) == 3
    for cluster in clustering.clusters:
        members = [s for s in clustering.stores if s.cluster_id == cluster.cluster_id]
        assert len(members) == cluster.store_count
        assert {s.cluster_name for s in members} == {cluster.name}
        level = sum(s.weekly_sales_level for s in members) / len(members)
        assert level == pytest.approx(cluster.mean_weekly_sales)


def test_silhouette_and_shapes(clustering: StoreClustering) -> None:
    assert clustering.silhouette is not None and -1 <= clustering.silhouette <= 1
    assert clustering.silhouette > 0.15  # the sample has real segments
    assert len(clustering.stores) == 50
    assert [s.store_id for s in clustering.stores] == [f"S{i:03d}" for i in range(1, 51)]
    assert sum(c.store_count for c in clustering.clusters) == 50
    assert (clustering.window_start, clustering.window_end) == (
        dt.date(2024, 2, 27),
        dt.date(2025, 2, 24),
    )


def test_shares_are_last_52_weeks_category_sales(
    clustering: StoreClustering, history: pd.DataFrame
) -> None:
    dates = pd.to_datetime(history["date"])
    window = history[(dates > pd.Timestamp("2024-02-26")) & (history["category"] == CATEGORY)]
    by_store = window.groupby("store_id")["quantity_sold"].sum()
    total = by_store.sum()
    for cluster in clustering.clusters:
        ids = [s.store_id for s in clustering.stores if s.cluster_id == cluster.cluster_id]
        assert cluster.share == pytest.approx(by_store[ids].sum() / total)
    assert sum(clustering.cluster_shares().values()) == pytest.approx(1.0)
    assert sum(clustering.store_weights().values()) == pytest.approx(1.0)


def test_store_factor_formula(
    clustering: StoreClustering, attributes: pd.DataFrame, history: pd.DataFrame
) -> None:
    dates = pd.to_datetime(history["date"])
    window = history[(dates > pd.Timestamp("2024-02-26")) & (history["category"] == CATEGORY)]
    units = window.groupby("store_id")["quantity_sold"].sum()
    attrs = attributes.set_index("store_id")
    for cluster in clustering.clusters:
        members = [s for s in clustering.stores if s.cluster_id == cluster.cluster_id]
        ids = [s.store_id for s in members]
        assert sum(s.store_factor for s in members) == pytest.approx(1.0)
        for store in members:
            hist = units[store.store_id] / units[ids].sum()
            size = (
                attrs.at[store.store_id, "store_size_sqft"]
                / attrs.loc[ids, "store_size_sqft"].sum()
            )
            income = (
                attrs.at[store.store_id, "median_income"] / attrs.loc[ids, "median_income"].sum()
            )
            expected = 0.7 * hist + 0.3 * (size + income) / 2
            assert store.store_factor == pytest.approx(expected)
            assert store.historical_share == pytest.approx(hist)


def test_deterministic_and_row_order_independent(
    clustering: StoreClustering, attributes: pd.DataFrame, history: pd.DataFrame
) -> None:
    shuffled_attrs = attributes.sample(frac=1.0, random_state=7)
    shuffled_history = history.sample(frac=1.0, random_state=3)
    again = cluster_stores(shuffled_attrs, shuffled_history, CATEGORY)
    assert again == clustering
    # records (list of dicts) work like DataFrames
    small = history[pd.to_datetime(history["date"]) > pd.Timestamp("2024-02-26")]
    from_records = cluster_stores(attributes.to_dict("records"), small.to_dict("records"), CATEGORY)
    assert from_records == clustering


def test_other_k_naming(attributes: pd.DataFrame, history: pd.DataFrame) -> None:
    assert cluster_names(3) == ["Fashion_Forward", "Mainstream", "Value_Conscious"]
    assert cluster_names(4) == ["Cluster_1", "Cluster_2", "Cluster_3", "Cluster_4"]
    result = cluster_stores(attributes, history, "mens_basics", k=4)
    assert [c.name for c in result.clusters] == cluster_names(4)
    means = [c.mean_weekly_sales for c in result.clusters]
    assert means == sorted(means, reverse=True)
    assert result.silhouette is not None and -1 <= result.silhouette <= 1


def _tiny() -> tuple[pd.DataFrame, pd.DataFrame]:
    stores = []
    sales = []
    for i in range(6):
        big = i < 3
        sid = f"T{i}"
        stores.append(
            {
                "store_id": sid,
                "store_name": f"Store {i}",
                "region": "West" if i % 2 else "East",
                "store_size_sqft": 30000 + 1000 * i if big else 9000 + 500 * i,
                "median_income": 120000 if big else 45000,
                "location_tier": "A" if big else "c",
                "fashion_tier": "Premium" if big else "value",
                "store_format": "Mall" if big else "shopping center",
            }
        )
        for week in range(60):
            day = dt.date(2024, 1, 1) + dt.timedelta(weeks=week)
            sales.append(
                {
                    "date": day.isoformat(),
                    "store_id": sid,
                    "category": "tops",
                    "quantity_sold": (300 if big else 80) + i,
                }
            )
    sales.append({"date": "2024-01-01", "store_id": "ZZZ", "category": "tops", "quantity_sold": 5})
    return pd.DataFrame(stores), pd.DataFrame(sales)


def test_tiny_dataset_two_clusters_and_daily_level() -> None:
    attrs, sales = _tiny()
    result = cluster_stores(attrs, sales, "tops", k=2)
    assert [c.store_count for c in result.clusters] == [3, 3]
    assert [s.cluster_id for s in result.stores] == [0, 0, 0, 1, 1, 1]
    assert result.ignored_store_ids == ["ZZZ"]
    assert result.silhouette is not None and result.silhouette > 0.5
    level = weekly_sales_level(sales)
    assert level["T0"] == pytest.approx(300.0)
    # daily rows: 7 days of 10 units a week -> 70 a week
    daily = pd.DataFrame(
        [
            {"date": dt.date(2024, 1, 1) + dt.timedelta(days=d), "store_id": "D", "category": "x"}
            | {"quantity_sold": 10}
            for d in range(70)
        ]
    )
    assert weekly_sales_level(daily)["D"] == pytest.approx(70.0)
    one = cluster_stores(attrs, sales, "tops", k=1)
    assert one.silhouette is None and one.clusters[0].name == "Cluster_1"
    assert one.clusters[0].share == 1.0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a, s: (a.drop(columns=["median_income"]), s), "median_income"),
        (lambda a, s: (a, s.drop(columns=["quantity_sold"])), "quantity_sold"),
        (lambda a, s: (a.assign(location_tier="Z"), s), "location_tier"),
        (lambda a, s: (a.assign(store_format="Kiosk"), s), "store_format"),
        (lambda a, s: (a.assign(store_size_sqft=-5), s), "store_size_sqft"),
        (lambda a, s: (pd.concat([a, a.iloc[:1]]), s), "duplicate"),
        (lambda a, s: (a, s.assign(quantity_sold=-1)), "quantity_sold"),
        (lambda a, s: (a, s.assign(date="not a date")), "date"),
        (lambda a, s: (a.iloc[:0], s), "empty"),
    ],
)
def test_bad_inputs(mutate: Any, message: str) -> None:
    attrs, sales = mutate(*_tiny())
    with pytest.raises(DomainError, match=message):
        cluster_stores(attrs, sales, "tops", k=2)


def test_bad_k_and_category() -> None:
    attrs, sales = _tiny()
    with pytest.raises(DomainError, match="6 stores"):
        cluster_stores(attrs, sales, "tops", k=7)
    with pytest.raises(DomainError):
        cluster_stores(attrs, sales, "tops", k=0)
    with pytest.raises(DomainError, match="not in the history"):
        cluster_stores(attrs, sales, "shoes", k=2)
    identical = attrs.assign(
        store_size_sqft=10000,
        median_income=50000,
        location_tier="B",
        fashion_tier="Mainstream",
        store_format="Mall",
        region="West",
    )
    flat_sales = sales.assign(quantity_sold=10)
    with pytest.raises(DomainError, match="distinct"):
        cluster_stores(identical, flat_sales, "tops", k=2)
    old = sales.assign(category="old")
    newer = pd.DataFrame(
        [{"date": "2025-06-02", "store_id": "T0", "category": "tops", "quantity_sold": 0}]
    )
    with pytest.raises(DomainError, match="no sales"):
        cluster_stores(attrs, pd.concat([old, newer]), "tops", k=2)


def test_clustering_feeds_the_inventory_plan(clustering: StoreClustering) -> None:
    from fashion_forecast.domain.inventory import plan_inventory
    from fashion_forecast.models.parameters import REFERENCE_SCENARIOS, SeasonParameters

    params = SeasonParameters(**REFERENCE_SCENARIOS["standard"])
    forecast = [8000 / 26] * 26
    plan = plan_inventory(forecast, clustering.stores, clustering.cluster_shares(), params)
    assert plan.manufacturing.manufacturing_qty == 9600
    assert (plan.manufacturing.holdback_qty, plan.manufacturing.initial_allocation) == (4320, 5280)
    quantities = plan.allocation.quantities()
    assert sum(quantities.values()) == 5280 and len(quantities) == 50
    # cluster totals follow the shares to within the two-week minimum adjustments
    for cluster in plan.allocation.clusters:
        assert abs(cluster.quantity - 5280 * cluster.share) <= cluster.store_count
    assert all(s.quantity >= s.minimum for s in plan.allocation.stores)


def test_the_level_read_from_store_week_totals_is_the_level_of_every_row(
    attributes: pd.DataFrame, history: pd.DataFrame, clustering: StoreClustering
) -> None:
    """The Demand step passes its category's rows and every store's weekly totals over all
    categories (domain.history.store_week_totals): the clustering is the same as from every
    category's rows."""
    weekly = aggregate_weekly(history.to_dict("records"))
    totals = [
        {"date": r.week_start, "store_id": r.store_id, "category": r.category,
         "quantity_sold": r.quantity_sold}
        for r in store_week_totals(row for rows in weekly.values() for row in rows)
    ]  # fmt: skip
    own = history[history["category"] == CATEGORY]
    assert cluster_stores(attributes, own, CATEGORY, level_sales=totals) == clustering
    assert {t["category"] for t in totals} == {ALL_CATEGORIES}


def test_store_week_totals_sum_categories_and_keep_weeks_that_sold_nothing() -> None:
    week = dt.date(2025, 3, 3)
    rows = [
        WeeklySales(week, "S002", "dresses", 4.0, None),
        WeeklySales(week, "S001", "dresses", 2.5, 10.0),
        WeeklySales(week, "S001", "basics", 3.0, None),
        WeeklySales(week + dt.timedelta(weeks=1), "S001", "basics", 0.0, None),
    ]
    assert store_week_totals(rows) == [
        WeeklySales(week, "S001", ALL_CATEGORIES, 5.5, None),
        WeeklySales(week, "S002", ALL_CATEGORIES, 4.0, None),
        WeeklySales(week + dt.timedelta(weeks=1), "S001", ALL_CATEGORIES, 0.0, None),
    ]
    assert store_week_totals([]) == []
