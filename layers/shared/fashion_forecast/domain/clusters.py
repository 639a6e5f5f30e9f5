"""Store clusters for the Demand agent: K-means over store attributes, shares and store factors.

Uses pandas, numpy and scikit-learn (the Demand function is a container image). Rules from
docs/domain.md ("Demand agent": store clusters, cluster share, store factor); the choices
docs/domain.md leaves open are listed here.

Choices this module makes
-------------------------
1. **Sales window.** The last 52 weeks end at ``as_of`` (default: the last date anywhere in
   the history) and cover the 364 days ``as_of - 363 days .. as_of``. Daily or weekly rows
   both work.
2. **Weekly sales level** (clustering feature and the "mean sales" used for naming) = a
   store's units of *all* categories in the window divided by the number of distinct weeks
   (Monday-based) in which it has rows in the window; a store with no rows gets 0. Clusters
   are therefore a property of the store base, the same for every category; shares and store
   factors are per category.
3. **Features**: weekly sales level, store_size_sqft, median_income (raw values), and the
   ordinals location_tier A=3, B=2, C=1; fashion_tier Premium=3, Mainstream=2, Value=1;
   store_format Mall=4, ShoppingCenter=3, Standalone=2, Outlet=1 (full-price fashion footfall,
   highest first). Tier/format values are matched ignoring case, spaces, "_" and "-".
   **Region** is nominal, so it is one-hot encoded; after StandardScaler the region columns
   are multiplied by ``1 / sqrt(number of regions)`` so the whole region block carries the
   weight of one feature (otherwise four region dummies would outvote sales and size).
   Every feature is standardised (StandardScaler); a constant column becomes 0.
4. **K-means**: ``KMeans(k, init="k-means++", n_init=10, random_state=42)`` on the stores
   sorted by store_id (row order of the input does not matter). ``1 <= k <= stores``; fewer
   distinct stores (feature rows) than k is a ``DomainError``.
5. **Naming and ids**: clusters are ranked by the mean weekly sales level of their stores,
   highest first (ties: the cluster holding the smaller store_id first); ``cluster_id`` is the
   rank (0 = highest). With k = 3 the names are Fashion_Forward, Mainstream, Value_Conscious;
   for any other k they are ``Cluster_1`` .. ``Cluster_k`` in the same rank order.
6. **Silhouette** (sklearn, Euclidean on the scaled features) is reported when it is defined
   (2 <= k <= stores - 1), otherwise ``None``.
7. **Cluster share** = cluster's units of the category in the window / all stores' units of
   the category in the window. Sales rows of stores missing from the attributes are ignored
   (listed in ``ignored_store_ids``). No sales of the category in the window: ``DomainError``.
8. **Store factor** = 0.7 x historical share + 0.3 x attribute score, normalised to sum to 1
   per cluster. Historical share = the store's category units / its cluster's category units
   in the window (equal shares if the cluster sold none). Attribute score = mean of the size
   ratio and the income ratio, each the store's value / the cluster total, so the scores sum
   to 1 in a cluster and the factors already do (the normalisation only removes float error).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from fashion_forecast.domain.errors import DomainError

DEFAULT_K = 3
RANDOM_STATE = 42
N_INIT = 10
WINDOW_DAYS = 364
HISTORY_SHARE_WEIGHT = 0.7
ATTRIBUTE_SCORE_WEIGHT = 0.3
K3_NAMES = ("Fashion_Forward", "Mainstream", "Value_Conscious")

LOCATION_TIER_ORDINAL = {"a": 3, "b": 2, "c": 1}
FASHION_TIER_ORDINAL = {"premium": 3, "mainstream": 2, "value": 1}
STORE_FORMAT_ORDINAL = {"mall": 4, "shoppingcenter": 3, "standalone": 2, "outlet": 1}

ATTRIBUTE_COLUMNS = (
    "store_id",
    "region",
    "store_size_sqft",
    "median_income",
    "location_tier",
    "fashion_tier",
    "store_format",
)
SALES_COLUMNS = ("date", "store_id", "category", "quantity_sold")


class StoreCluster(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: str
    cluster_id: int
    cluster_name: str
    store_factor: float = Field(ge=0.0, description="Sums to 1 within the cluster.")
    historical_share: float = Field(ge=0.0)
    attribute_score: float = Field(ge=0.0)
    weekly_sales_level: float = Field(ge=0.0, description="All categories, last 52 weeks.")


class ClusterSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster_id: int
    name: str
    store_count: int
    share: float = Field(ge=0.0, le=1.0, description="Share of the category's last-52w units.")
    category_units: float = Field(ge=0.0)
    mean_weekly_sales: float = Field(ge=0.0)


class StoreClustering(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str
    k: int
    silhouette: float | None = Field(description="In [-1, 1]; None when undefined.")
    window_start: dt.date
    window_end: dt.date
    clusters: list[ClusterSummary]
    stores: list[StoreCluster]
    ignored_store_ids: list[str] = Field(default_factory=list)

    def cluster_shares(self) -> dict[int, float]:
        return {c.cluster_id: c.share for c in self.clusters}

    def store_weights(self) -> dict[str, float]:
        """store_id -> cluster share x store factor (sums to 1 over all stores)."""
        shares = self.cluster_shares()
        return {s.store_id: shares[s.cluster_id] * s.store_factor for s in self.stores}


def cluster_names(k: int) -> list[str]:
    """Names by sales rank, highest first."""
    return list(K3_NAMES) if k == 3 else [f"Cluster_{i}" for i in range(1, k + 1)]


def _frame(data: pd.DataFrame | Iterable[Mapping[str, Any]], name: str) -> pd.DataFrame:
    frame = data.copy() if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    if frame.empty:
        raise DomainError(f"{name} is empty")
    return frame


def _require(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DomainError(
            f"{name} is missing column(s): {', '.join(missing)}",
            details=[{"row": None, "column": c, "message": "missing column"} for c in missing],
        )


def _key(value: object) -> str:
    return re.sub(r"[\s_\-]", "", str(value)).lower()


def _ordinal(series: pd.Series, mapping: dict[str, int], column: str) -> pd.Series:
    keys = series.map(_key)
    bad = sorted({str(v) for v, k in zip(series, keys, strict=True) if k not in mapping})
    if bad:
        raise DomainError(f"unknown {column} value(s): {', '.join(bad[:10])}")
    return keys.map(mapping).astype(float)


def _positive_numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = frame.loc[values.isna() | (values <= 0), "store_id"].astype(str).tolist()
    if bad:
        raise DomainError(f"{column} must be a positive number (stores: {', '.join(bad[:10])})")
    return values.astype(float)


def _clean_attributes(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = _frame(data, "store attributes")
    _require(frame, ATTRIBUTE_COLUMNS, "store attributes")
    frame["store_id"] = frame["store_id"].astype(str).str.strip()
    dupes = sorted(frame.loc[frame["store_id"].duplicated(), "store_id"].unique())
    if dupes:
        raise DomainError(f"duplicate store_id in store attributes: {', '.join(dupes[:10])}")
    if frame["region"].isna().any():
        raise DomainError("region must not be empty")
    frame["region"] = frame["region"].astype(str).str.strip()
    frame["store_size_sqft"] = _positive_numeric(frame, "store_size_sqft")
    frame["median_income"] = _positive_numeric(frame, "median_income")
    frame["location_tier_ord"] = _ordinal(
        frame["location_tier"], LOCATION_TIER_ORDINAL, "location_tier"
    )
    frame["fashion_tier_ord"] = _ordinal(
        frame["fashion_tier"], FASHION_TIER_ORDINAL, "fashion_tier"
    )
    frame["store_format_ord"] = _ordinal(
        frame["store_format"], STORE_FORMAT_ORDINAL, "store_format"
    )
    return frame.sort_values("store_id", kind="mergesort").reset_index(drop=True)


def _clean_sales(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = _frame(data, "sales history")
    _require(frame, SALES_COLUMNS, "sales history")
    dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DomainError(f"sales history has an invalid date in row {row + 1}")
    qty = pd.to_numeric(frame["quantity_sold"], errors="coerce")
    if qty.isna().any() or (qty < 0).any():
        row = int(np.flatnonzero((qty.isna() | (qty < 0)).to_numpy())[0])
        raise DomainError(f"quantity_sold must be a non-negative number (row {row + 1})")
    return pd.DataFrame(
        {
            "date": dates.dt.normalize(),
            "store_id": frame["store_id"].astype(str).str.strip(),
            "category": frame["category"].astype(str),
            "quantity_sold": qty.astype(float),
        }
    )


def weekly_sales_level(
    sales: pd.DataFrame | Iterable[Mapping[str, Any]], *, as_of: dt.date | None = None
) -> pd.Series:
    """Mean weekly units (all categories) per store over the 52 weeks ending ``as_of``."""
    frame = _clean_sales(sales)
    start, end = _window(frame, as_of)
    return _sales_level(frame, start, end)


def _window(frame: pd.DataFrame, as_of: dt.date | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    end = pd.Timestamp(as_of) if as_of is not None else frame["date"].max()
    return end - pd.Timedelta(days=WINDOW_DAYS - 1), end


def _sales_level(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    window = frame[(frame["date"] >= start) & (frame["date"] <= end)]
    week = window["date"] - pd.to_timedelta(window["date"].dt.weekday, unit="D")
    grouped = window.assign(week=week).groupby("store_id")
    return (grouped["quantity_sold"].sum() / grouped["week"].nunique()).astype(float)


def build_features(attributes: pd.DataFrame, sales_level: pd.Series) -> np.ndarray:
    """Scaled feature matrix, rows in ``attributes`` order (see docstring 3)."""
    from sklearn.preprocessing import StandardScaler

    numeric = np.column_stack(
        [
            attributes["store_id"].map(sales_level).fillna(0.0).to_numpy(dtype=float),
            attributes["store_size_sqft"].to_numpy(dtype=float),
            attributes["median_income"].to_numpy(dtype=float),
            attributes["location_tier_ord"].to_numpy(dtype=float),
            attributes["fashion_tier_ord"].to_numpy(dtype=float),
            attributes["store_format_ord"].to_numpy(dtype=float),
        ]
    )
    regions = sorted(attributes["region"].unique())
    onehot = np.column_stack([(attributes["region"] == r).to_numpy(dtype=float) for r in regions])
    scaled = StandardScaler().fit_transform(np.hstack([numeric, onehot]))
    scaled[:, numeric.shape[1] :] /= math.sqrt(len(regions))
    return np.asarray(scaled, dtype=float)


def cluster_stores(
    store_attributes: pd.DataFrame | Iterable[Mapping[str, Any]],
    sales_history: pd.DataFrame | Iterable[Mapping[str, Any]],
    category: str,
    *,
    k: int = DEFAULT_K,
    as_of: dt.date | None = None,
    level_sales: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
) -> StoreClustering:
    """Cluster the stores and compute the category's cluster shares and store factors.
    `level_sales`: the rows the stores' sales level and the window are read from (every
    category's; a store-week total per row will do, domain.history.store_week_totals), when
    `sales_history` holds only the category's own rows; by default `sales_history` itself."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise DomainError(f"k must be an integer >= 1, got {k!r}")
    attrs = _clean_attributes(store_attributes)
    sales = _clean_sales(sales_history)
    n_stores = len(attrs)
    if n_stores < k:
        raise DomainError(f"cannot form {k} clusters from {n_stores} stores")
    categories = sorted(sales["category"].unique())
    if category not in categories:
        raise DomainError(
            f"category {category!r} not in the history (found: {', '.join(categories)})"
        )

    levels = sales if level_sales is None else _clean_sales(level_sales)
    start, end = _window(levels, as_of)
    known = set(attrs["store_id"])
    ignored = sorted((set(levels["store_id"]) | set(sales["store_id"])) - known)
    sales = sales[sales["store_id"].isin(known)]
    level = _sales_level(levels[levels["store_id"].isin(known)], start, end)

    features = build_features(attrs, level)
    if len(np.unique(features, axis=0)) < k:
        raise DomainError(f"fewer than {k} distinct stores: cannot form {k} clusters")
    model = KMeans(n_clusters=k, init="k-means++", n_init=N_INIT, random_state=RANDOM_STATE)
    labels = model.fit_predict(features)
    if len(set(labels.tolist())) < k:
        raise DomainError(f"K-means found fewer than {k} distinct clusters")
    silhouette = (
        float(silhouette_score(features, labels))
        if 2 <= k <= n_stores - 1 and len(set(labels)) > 1
        else None
    )

    attrs["sales_level"] = attrs["store_id"].map(level).fillna(0.0)
    attrs["label"] = labels
    ranking = (
        attrs.groupby("label")
        .agg(mean_sales=("sales_level", "mean"), first_store=("store_id", "min"))
        .sort_values(["mean_sales", "first_store"], ascending=[False, True], kind="mergesort")
    )
    rank = {int(label): i for i, label in enumerate(ranking.index)}
    names = cluster_names(k)
    attrs["cluster_id"] = attrs["label"].map(rank).astype(int)

    in_window = sales[
        (sales["date"] >= start) & (sales["date"] <= end) & (sales["category"] == category)
    ]
    category_units = in_window.groupby("store_id")["quantity_sold"].sum()
    attrs["category_units"] = attrs["store_id"].map(category_units).fillna(0.0)
    total_units = float(attrs["category_units"].sum())
    if total_units <= 0:
        raise DomainError(
            f"no sales of {category!r} between {start.date()} and {end.date()}: "
            "cannot compute shares"
        )

    store_rows: list[StoreCluster] = []
    cluster_rows: list[ClusterSummary] = []
    for cid in range(k):
        members = attrs[attrs["cluster_id"] == cid]
        units = members["category_units"]
        cluster_units = float(units.sum())
        hist = (
            units / cluster_units
            if cluster_units > 0
            else pd.Series(1.0 / len(members), index=members.index)
        )
        size_ratio = members["store_size_sqft"] / members["store_size_sqft"].sum()
        income_ratio = members["median_income"] / members["median_income"].sum()
        attribute = (size_ratio + income_ratio) / 2
        factor = HISTORY_SHARE_WEIGHT * hist + ATTRIBUTE_SCORE_WEIGHT * attribute
        factor = factor / factor.sum()
        cluster_rows.append(
            ClusterSummary(
                cluster_id=cid,
                name=names[cid],
                store_count=len(members),
                share=cluster_units / total_units,
                category_units=cluster_units,
                mean_weekly_sales=float(members["sales_level"].mean()),
            )
        )
        for idx in members.index:
            store_rows.append(
                StoreCluster(
                    store_id=str(members.at[idx, "store_id"]),
                    cluster_id=cid,
                    cluster_name=names[cid],
                    store_factor=float(factor[idx]),
                    historical_share=float(hist[idx]),
                    attribute_score=float(attribute[idx]),
                    weekly_sales_level=float(members.at[idx, "sales_level"]),
                )
            )
    store_rows.sort(key=lambda s: s.store_id)
    return StoreClustering(
        category=category,
        k=k,
        silhouette=silhouette,
        window_start=start.date(),
        window_end=end.date(),
        clusters=cluster_rows,
        stores=store_rows,
        ignored_store_ids=ignored,
    )
