"""The seeded sample-data generator and the committed seed-42 files."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest

from fashion_forecast_local import sample_data
from fashion_forecast_local.sample_data import (
    FILES,
    HISTORY_WEEKS,
    SEASON_START,
    SEASON_WEEKS,
    generate,
    generate_bytes,
    load_sample_frame,
    load_sample_history,
    load_sample_season_expected,
    load_sample_store_attributes,
    load_sample_weekly_sales,
    sample_file,
)


@pytest.fixture(scope="module")
def seed42() -> dict[str, bytes]:
    return generate_bytes(42)


def test_committed_files_match_seed_42(tmp_path: Path) -> None:
    written = generate(tmp_path / "out", seed=42)
    assert set(written) == set(FILES.values())
    for name, path in written.items():
        committed = sample_file(name).read_bytes()
        assert path.read_bytes() == committed, f"{name} differs from the committed file"
    total = sum(sample_file(name).read_bytes().__len__() for name in FILES.values())
    assert total < 3_000_000


def test_same_seed_same_bytes_other_seed_differs(seed42: dict[str, bytes]) -> None:
    other = generate_bytes(7)
    assert set(other) == set(seed42)
    for name in seed42:
        assert other[name] != seed42[name], name


def test_cli_writes_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sample_data.main(["--out", str(tmp_path), "--seed", "3"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES.values())
    assert (tmp_path / FILES["store_attributes"]).read_bytes() == generate_bytes(3)[
        FILES["store_attributes"]
    ]
    assert "store_attributes.csv" in capsys.readouterr().out


def test_store_attributes() -> None:
    stores = load_sample_store_attributes()
    assert [s["store_id"] for s in stores] == [f"S{i:03d}" for i in range(1, 51)]
    assert list(stores[0]) == [
        "store_id",
        "store_name",
        "region",
        "store_size_sqft",
        "median_income",
        "location_tier",
        "fashion_tier",
        "store_format",
    ]
    assert {s["location_tier"] for s in stores} == {"A", "B", "C"}
    assert {s["fashion_tier"] for s in stores} == {"Premium", "Mainstream", "Value"}
    assert {s["store_format"] for s in stores} == {"Mall", "Standalone", "ShoppingCenter", "Outlet"}
    assert len({s["region"] for s in stores}) == 4
    assert all(isinstance(s["store_size_sqft"], int) and s["store_size_sqft"] > 0 for s in stores)
    assert all(isinstance(s["median_income"], int) and s["median_income"] > 0 for s in stores)
    assert len({s["store_name"] for s in stores}) == 50


def test_history_shape_and_types() -> None:
    rows = load_sample_history()
    assert list(rows[0]) == ["date", "store_id", "category", "quantity_sold", "revenue"]
    dates = sorted({r["date"] for r in rows})
    assert len(dates) == HISTORY_WEEKS
    parsed = [dt.date.fromisoformat(d) for d in dates]
    assert all(d.weekday() == 0 for d in parsed)
    assert parsed[-1] + dt.timedelta(weeks=1) == SEASON_START
    assert (parsed[-1] - parsed[0]).days == 7 * (HISTORY_WEEKS - 1)
    assert {r["category"] for r in rows} == {"mens_basics", "womens_dresses", "womens_outerwear"}
    assert len(rows) == HISTORY_WEEKS * 50 * 3
    assert all(isinstance(r["quantity_sold"], int) and r["quantity_sold"] >= 0 for r in rows)
    assert all(r["revenue"] >= 0 for r in rows)


def _by(rows: list[dict[str, object]], key: str) -> dict[tuple[str, object], int]:
    totals: dict[tuple[str, object], int] = defaultdict(int)
    for r in rows:
        totals[(str(r["category"]), r[key])] += int(r["quantity_sold"])  # type: ignore[call-overload]
    return totals


def test_history_seasonality_growth_and_prices() -> None:
    rows = load_sample_history()
    for r in rows:
        r["month"] = int(str(r["date"])[5:7])
        r["year_index"] = (dt.date.fromisoformat(str(r["date"])) - dt.date(2022, 3, 7)).days // 364
    by_month = _by(rows, "month")
    # winter peak for outerwear, summer peak for dresses, basics nearly flat
    assert by_month[("womens_outerwear", 12)] > 3 * by_month[("womens_outerwear", 7)]
    assert by_month[("womens_dresses", 6)] > 2.5 * by_month[("womens_dresses", 12)]
    basics = [by_month[("mens_basics", m)] for m in range(1, 13)]
    assert max(basics) < 1.8 * min(basics)
    by_year = _by(rows, "year_index")
    assert by_year[("womens_outerwear", 2)] > by_year[("womens_outerwear", 0)] * 1.1
    assert by_year[("mens_basics", 2)] < by_year[("mens_basics", 0)]
    # promotions: several distinct unit prices per category
    for category in ("mens_basics", "womens_dresses", "womens_outerwear"):
        prices = {
            round(r["revenue"] / r["quantity_sold"], 2)
            for r in rows
            if r["category"] == category and r["quantity_sold"]
        }
        assert len(prices) >= 6, category


def test_season_files() -> None:
    expected = load_sample_season_expected()
    assert [r["week_number"] for r in expected] == list(range(1, SEASON_WEEKS + 1))
    assert expected[0]["week_start"] == SEASON_START.isoformat() == "2025-03-03"
    assert {r["category"] for r in expected} == {"womens_dresses"}
    weekly = {s: load_sample_weekly_sales(s) for s in ("normal", "shock_up", "shock_down")}
    for rows in weekly.values():
        assert list(rows[0]) == ["store_id", "week_number", "units_sold", "category"]
        assert len(rows) == 50 * SEASON_WEEKS
        assert len({(r["store_id"], r["week_number"]) for r in rows}) == len(rows)
        assert all(isinstance(r["units_sold"], int) and r["units_sold"] >= 0 for r in rows)
    # the shocks start at week 5: weeks 1-4 are the normal scenario's
    for scenario in ("shock_up", "shock_down"):
        early = [r for r in weekly[scenario] if r["week_number"] < 5]
        assert early == [r for r in weekly["normal"] if r["week_number"] < 5]
    with pytest.raises(KeyError):
        load_sample_weekly_sales("mystery")
    with pytest.raises(KeyError):
        sample_file("passwords.csv")


def test_load_sample_frame() -> None:
    frame = load_sample_frame("weekly_sales_normal")
    assert list(frame.columns) == ["store_id", "week_number", "units_sold", "category"]
    assert len(frame) == 600
    assert str(frame["units_sold"].dtype).startswith("int")
