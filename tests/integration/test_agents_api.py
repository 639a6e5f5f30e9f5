"""The engine's debug endpoints (/api/agents/*), with the Demand Lambda run in-process."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import pytest

from fashion_forecast.ports import UnavailableError
from tests.integration.flows import Live, live_stack


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


def seasonal_history(
    weeks: int = 156, start: dt.date = dt.date(2022, 1, 3)
) -> list[dict[str, Any]]:
    return [
        {
            "week_start": str(start + dt.timedelta(weeks=i)),
            "units": round(1000 + 400 * math.sin(2 * math.pi * i / 52), 3),
        }
        for i in range(weeks)
    ]


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message", "details", "request_id"}
    return dict(body)


# -- demand ------------------------------------------------------------------------------------


def test_forecast_of_a_pure_seasonal_series(live: Live) -> None:
    history = seasonal_history()
    response = live.api.post(
        "/api/agents/demand/forecast", json={"history": history, "horizon_weeks": 12}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["weekly"]) == 12
    last = dt.date.fromisoformat(history[-1]["week_start"])
    assert [w["week_start"] for w in body["weekly"]] == [
        str(last + dt.timedelta(weeks=i + 1)) for i in range(12)
    ]
    assert body["total"] == pytest.approx(sum(w["forecast"] for w in body["weekly"]))
    expected = [1000 + 400 * math.sin(2 * math.pi * (156 + i) / 52) for i in range(12)]
    wape = sum(abs(w["forecast"] - e) for w, e in zip(body["weekly"], expected, strict=True))
    assert wape / sum(expected) < 0.02
    assert math.isclose(sum(body["method_weights"].values()), 1.0, abs_tol=1e-9)
    assert set(body["backtest"]) >= set(body["method_weights"])
    assert all(w["lower"] <= w["forecast"] <= w["upper"] for w in body["weekly"])


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda b: b.update(history=[]), 422, "validation_error"),
        (lambda b: b.update(horizon_weeks=0), 422, "validation_error"),
        (lambda b: b.update(horizon_weeks=53), 422, "validation_error"),
        (lambda b: b["history"][5].update(units=-3), 422, "validation_error"),
        (lambda b: b["history"][5].update(units="many"), 422, "validation_error"),
        (lambda b: b["history"][5].update(week_start="last week"), 422, "validation_error"),
        (lambda b: b.update(history=b["history"] * 4), 422, "validation_error"),  # > 520 weeks
        (lambda b: b.update(history=b["history"][:20]), 422, "insufficient_history"),
        (lambda b: b["history"][10].update(week_start="2022-03-15"), 422, "invalid_series"),
        (lambda b: b.update(extra=True), 422, "validation_error"),
    ],
)
def test_forecast_refuses_bad_input(live: Live, mutate: Any, status: int, code: str) -> None:
    body: dict[str, Any] = {"history": seasonal_history(), "horizon_weeks": 12}
    mutate(body)
    assert (
        error_of(live.api.post("/api/agents/demand/forecast", json=body), status)["error_code"]
        == code
    )


def test_non_weekly_dates_name_the_position(live: Live) -> None:
    history = seasonal_history()
    history[10]["week_start"] = "2022-03-15"
    body = error_of(
        live.api.post("/api/agents/demand/forecast", json={"history": history, "horizon_weeks": 4}),
        422,
    )
    assert "week_starts[10]" in body["message"]


def test_engine_unavailable_is_503(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(payload: dict[str, Any]) -> dict[str, Any]:
        raise UnavailableError("DemandFunction failed: out of memory")

    monkeypatch.setattr(live.container.demand_function, "invoke", down)
    response = live.api.post(
        "/api/agents/demand/forecast", json={"history": seasonal_history(), "horizon_weeks": 4}
    )
    assert error_of(response, 503)["error_code"] == "service_unavailable"


# -- inventory ---------------------------------------------------------------------------------


def test_allocate_the_domain_example_over_the_stores_on_record(live: Live) -> None:
    response = live.api.post(
        "/api/agents/inventory/allocate",
        json={
            "season_demand": 8000,
            "parameters": {
                "forecast_horizon_weeks": 12,
                "replenishment_strategy": "weekly",
                "dc_holdback_percentage": 0.45,
            },
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["manufacturing_qty"], body["holdback"], body["initial_allocation"]) == (
        9600,
        4320,
        5280,
    )
    assert body["safety_stock_pct"] == 0.2
    stores = body["store_allocations"]
    assert len(stores) == 50
    assert sum(s["quantity"] for s in stores) == 5280
    assert all(isinstance(s["quantity"], int) and s["quantity"] >= 0 for s in stores)
    assert {s["cluster_name"] for s in stores} == {
        "Fashion_Forward",
        "Mainstream",
        "Value_Conscious",
    }
    assert -1 <= body["silhouette"] <= 1


def test_allocate_a_weekly_curve_over_given_stores(live: Live) -> None:
    stores = [
        {
            "store_id": f"X{i}",
            "region": "West" if i % 2 else "East",
            "store_size_sqft": 10_000 + 2_000 * i,
            "median_income": 50_000 + 5_000 * i,
            "location_tier": "ABC"[i % 3],
            "fashion_tier": ["Premium", "Mainstream", "Value"][i % 3],
            "store_format": "Mall",
            "weekly_sales": 100 + 30 * i,
        }
        for i in range(6)
    ]
    response = live.api.post(
        "/api/agents/inventory/allocate",
        json={
            "weekly_forecast": [100.0] * 4,
            "parameters": {
                "forecast_horizon_weeks": 4,
                "replenishment_strategy": "none",
                "dc_holdback_percentage": 0.0,
            },
            "stores": stores,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["manufacturing_qty"] == 500  # 400 x 1.25 with no replenishment
    assert body["holdback"] == 0
    assert sorted(s["store_id"] for s in body["store_allocations"]) == [f"X{i}" for i in range(6)]
    assert sum(s["quantity"] for s in body["store_allocations"]) == 500


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"parameters": {}}, "validation_error"),  # neither demand
        ({"season_demand": 10, "weekly_forecast": [10.0]}, "validation_error"),  # both
        ({"season_demand": -5}, "validation_error"),
        ({"season_demand": 100, "safety_stock_pct": 0.9}, "validation_error"),
        (
            {"weekly_forecast": [10.0, 20.0], "parameters": {"forecast_horizon_weeks": 3}},
            "domain_error",
        ),
        ({"season_demand": 100, "stores": [{"store_id": "../x"}]}, "validation_error"),
        ({"season_demand": 100, "parameters": {"forecast_horizon_weeks": 100}}, "validation_error"),
    ],
)
def test_allocate_refuses_bad_input(live: Live, body: dict[str, Any], code: str) -> None:
    response = live.api.post("/api/agents/inventory/allocate", json=body)
    assert error_of(response, 422)["error_code"] == code


def _store(store_id: str, **values: Any) -> dict[str, Any]:
    return {"store_id": store_id, "region": "West", "location_tier": "C", **values}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        # found by schemathesis: numbers this big overflow in the engine, which then failed
        # (503: NaN in the clustering; a sum too large for a float) or answered null bounds
        (
            "/api/agents/inventory/allocate",
            {  # as schemathesis sent it, less its unicode names
                "season_demand": 921553803.522416,
                "safety_stock_pct": 0.3015585214567038,
                "category_id": "eQ-r",
                "stores": [
                    _store(
                        "VqYL_Z",
                        store_size_sqft=75000.0,
                        median_income=0.05,
                        fashion_tier="MAInStReAM",
                        store_format="OutLeT",
                        weekly_sales=16922.4,
                    ),
                    _store(
                        "r",
                        store_size_sqft=3596199.482242673,
                        median_income=7858030.831532064,
                        fashion_tier="PReMiUM",
                        store_format="StaNDALoNe",
                        weekly_sales=2.1836889537608542e93,
                    ),
                    _store(
                        "FJ",
                        store_size_sqft=6030753.721423764,
                        median_income=10.0,
                        fashion_tier="mainsTReaM",
                        store_format="OUTLeT",
                        weekly_sales=2.069617344182397e307,
                    ),
                ],
            },
            "stores.1.weekly_sales",
        ),
        (
            "/api/agents/inventory/allocate",
            {"weekly_forecast": [1e308, 1e308], "parameters": {"forecast_horizon_weeks": 2}},
            "weekly_forecast.0",
        ),
        (
            "/api/agents/demand/forecast",
            {
                "history": [{**p, "units": 1e308} for p in seasonal_history(30)],
                "horizon_weeks": 4,
            },
            "history.0.units",
        ),
    ],
)
def test_numbers_too_big_to_compute_with_are_refused_up_front(
    live: Live, path: str, body: dict[str, Any], field: str
) -> None:
    error = error_of(live.api.post(path, json=body), 422)
    assert error["error_code"] == "validation_error"
    assert field in {d["field"] for d in error["details"]}


# -- pricing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sold", "markdown", "lift"),
    [
        (5800, 0.05, 0.10),
        (5500, 0.10, 0.20),
        (5200, 0.15, 0.30),
        (5000, 0.20, 0.40),
        (4000, 0.40, 0.80),
        (6300, 0.0, 0.0),
    ],
)
def test_pricing_follows_the_markdown_table(
    live: Live, sold: int, markdown: float, lift: float
) -> None:
    response = live.api.post(
        "/api/agents/pricing/analyze",
        json={"sold_to_date": sold, "manufacturing_qty": 10_000, "markdown_threshold": 0.6},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sell_through"] == pytest.approx(sold / 10_000)
    assert body["recommended_markdown_pct"] == pytest.approx(markdown)
    assert body["expected_lift"] == pytest.approx(lift)
    assert body["reasoning"]


def test_pricing_projects_with_the_remaining_forecast(live: Live) -> None:
    halfway = {"sold_to_date": 3000, "manufacturing_qty": 15_000, "markdown_threshold": 0.6}
    on_target = live.api.post(
        "/api/agents/pricing/analyze", json={**halfway, "remaining_forecast": 6000}
    ).json()
    # (3,000 + 6,000) / 15,000 = 60%: the target, no markdown (to date alone: 20% -> 40%)
    assert (on_target["sell_through"], on_target["recommended_markdown_pct"]) == (0.6, 0.0)
    behind = live.api.post(
        "/api/agents/pricing/analyze", json={**halfway, "remaining_forecast": 4500}
    ).json()
    assert (behind["sell_through"], behind["recommended_markdown_pct"]) == (0.5, 0.2)
    assert (behind["elasticity"], behind["elasticity_source"]) == (2.0, "default")
    assert behind["stock_cap_pct"] == 0.4


def test_pricing_with_a_category_uses_the_flows_estimate(live: Live) -> None:
    body = {"sold_to_date": 5500, "manufacturing_qty": 10_000, "category_id": "womens_dresses"}
    estimated = live.api.post("/api/agents/pricing/analyze", json=body).json()
    # womens_dresses: fitted 2.32 at R^2 0.10, used 2 + 0.10 x 0.32 = 2.03 (the Pricing step's)
    assert (estimated["elasticity"], estimated["elasticity_source"]) == (2.03, "category_estimate")
    assert estimated["elasticity_estimate"] == pytest.approx(2.319, abs=1e-3)
    assert estimated["elasticity_r_squared"] == pytest.approx(0.101, abs=1e-3)
    assert "used 2.03 = 2 + 0.10 x (2.32 - 2)" in estimated["reasoning"]
    given = live.api.post("/api/agents/pricing/analyze", json={**body, "elasticity": 3.0}).json()
    assert (given["elasticity"], given["elasticity_source"]) == (3.0, "request")
    unknown = live.api.post(
        "/api/agents/pricing/analyze", json={**body, "category_id": "no_such_category"}
    )
    assert error_of(unknown, 422)["details"] == [
        {"field": "category_id", "message": "no sales history"}
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"sold_to_date": 10, "manufacturing_qty": 0},
        {"sold_to_date": -1, "manufacturing_qty": 10},
        {"sold_to_date": 1, "manufacturing_qty": 10, "elasticity": 5},
        {"sold_to_date": 1, "manufacturing_qty": 10, "markdown_threshold": 2},
        {"manufacturing_qty": 10},
        {"sold_to_date": 1, "manufacturing_qty": 10, "remaining_forecast": -5},
        {"sold_to_date": 1, "manufacturing_qty": 10, "category_id": "../x"},
    ],
)
def test_pricing_refuses_bad_input(live: Live, body: dict[str, Any]) -> None:
    response = live.api.post("/api/agents/pricing/analyze", json=body)
    assert error_of(response, 422)["error_code"] == "validation_error"
