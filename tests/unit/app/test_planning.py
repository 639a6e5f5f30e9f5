"""The agents' steps (app.planning) on the fakes: inventory plan, replenishment and re-plan,
the pricing step, the Demand re-forecast and markdown lift, the allocate engine call, and one
real forecast of the bundled history."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pytest

from fashion_forecast.app.planning import demand, inventory, pricing
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.history import WeeklySales
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    ClusterShare,
    ForecastRecord,
    MarkdownRecord,
    StoreFactor,
)
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.sales import WeekActuals
from fashion_forecast.models.workflows import WorkflowType
from fashion_forecast.ports import Container
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    SEASON_START,
    event_types,
    seed_fake_season,
    seed_sample_sales,
    start_running_workflow,
    stored_forecast,
)

TWO_CLUSTERS = [
    ClusterShare(cluster_id=0, name="Fashion_Forward", store_count=2, share=0.6),
    ClusterShare(cluster_id=1, name="Value_Conscious", store_count=2, share=0.4),
]
FOUR_STORES = [
    StoreFactor(store_id="S001", cluster_id=0, cluster_name="Fashion_Forward", store_factor=0.5),
    StoreFactor(store_id="S002", cluster_id=0, cluster_name="Fashion_Forward", store_factor=0.5),
    StoreFactor(store_id="S003", cluster_id=1, cluster_name="Value_Conscious", store_factor=0.75),
    StoreFactor(store_id="S004", cluster_id=1, cluster_name="Value_Conscious", store_factor=0.25),
]


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def allocation_of(c: Container, forecast_id: str) -> AllocationRecord:
    forecast = stored_forecast(c, forecast_id)
    return c.records.get(ALLOCATION, forecast.allocation_id or "", AllocationRecord)


# -- inventory ---------------------------------------------------------------------------------


def test_plan_sizes_the_order_of_the_domain_example(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(
        c,
        weekly=[800.0] * 10,  # 8,000 units of season demand
        replenishment="weekly",
        dc_holdback_percentage=0.45,
        clusters=TWO_CLUSTERS,
        stores=FOUR_STORES,
    )
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    result = inventory.plan(c, workflow.workflow_id, season.forecast_id, {})
    allocation = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
    assert (allocation.manufacturing_qty, allocation.safety_stock_pct) == (9600, 0.2)
    assert (allocation.holdback, allocation.initial_allocation) == (4320, 5280)
    assert sum(s["quantity"] for s in allocation.store_allocations) == 5280
    assert allocation.store_allocations[0] == {
        "store_id": "S001",
        "cluster_id": 0,
        "cluster_name": "Fashion_Forward",
        "weight": 0.3,
        "quantity": 1584,
    }
    assert [cl["name"] for cl in allocation.clusters] == ["Fashion_Forward", "Value_Conscious"]
    assert stored_forecast(c, season.forecast_id).allocation_id == allocation.allocation_id
    assert c.workflows.get(workflow.workflow_id).allocation_id == allocation.allocation_id
    types = event_types(fakes, workflow.workflow_id)
    assert types[0] == "agent_started" and types[-1] == "agent_completed"


def test_the_approvers_overrides_resize_the_order(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, weekly=[800.0] * 10, replenishment="weekly")
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    safety = inventory.plan(c, workflow.workflow_id, season.forecast_id, {"safety_stock_pct": 0.3})
    assert safety["manufacturing_qty"] == 10400
    quantity = inventory.plan(
        c, workflow.workflow_id, season.forecast_id, {"manufacturing_qty": 8800}
    )
    allocation = c.records.get(ALLOCATION, quantity["allocation_id"], AllocationRecord)
    assert (allocation.manufacturing_qty, allocation.safety_stock_pct) == (8800, pytest.approx(0.1))
    assert allocation.override == {"manufacturing_qty": 8800}


def test_replenishment_ships_no_more_than_the_dc_holds(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(
        c,
        weekly=[800.0] * 10,
        replenishment="bi-weekly",
        dc_holdback_percentage=0.45,
        clusters=TWO_CLUSTERS,
        stores=FOUR_STORES,
    )
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    planned = inventory.plan(c, workflow.workflow_id, season.forecast_id, {})
    shipped = inventory.replenishment(c, workflow.workflow_id, planned["allocation_id"])
    allocation = c.records.get(ALLOCATION, planned["allocation_id"], AllocationRecord)
    plan = allocation.replenishment
    assert plan is not None and allocation.revision == 2
    assert [p["week"] for p in plan["periods"]] == [3, 5, 7, 9]
    assert shipped["total_shipped"] == plan["total_shipped"] <= allocation.holdback
    assert plan["total_shipped"] + plan["dc_stock_end"] == allocation.holdback
    zara = seed_fake_season(c, replenishment="none")
    with pytest.raises(DomainError, match="replenishment strategy is none"):
        inventory.replenishment(c, workflow.workflow_id, zara.allocation_id or "")


def store_actuals(c: Container, forecast_id: str, weeks: int, units: dict[str, int]) -> None:
    for week in range(1, weeks + 1):
        c.in_season.put_actuals(
            WeekActuals(
                forecast_id=forecast_id,
                week=week,
                total_units=sum(units.values()),
                store_units=units,
                upload_id=f"u-{week}",
                updated_at=c.clock.now(),
            )
        )


def test_a_replan_orders_the_gap_and_moves_the_holdback_to_fast_stores(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    sold = {"S001": 400, "S002": 240, "S003": 240, "S004": 80}  # a week, per store
    season = seed_fake_season(
        c,
        weekly=[800.0] * 10,
        manufacturing_qty=9600,
        holdback=2000,
        clusters=TWO_CLUSTERS,
        stores=FOUR_STORES,
        actuals={w: 960.0 for w in range(1, 5)},
    )
    store_actuals(c, season.forecast_id, 4, sold)
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, {})
    result = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
    allocation = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
    replan = allocation.replan
    assert replan is not None
    # need = 3,840 sold + 6 x 800 still to sell = 8,640; x 1.25 = 10,800; 9,600 ordered
    assert (replan["need"], replan["required_qty"], result["extra_order_qty"]) == (
        8640,
        10800,
        1200,
    )
    moves = {s["store_id"]: s["units_received"] for s in replan["holdback"]["stores"]}
    # S001 (weight 0.3) was expected to sell 0.3 x 3,200 = 960 and sold 1,600: it claims the
    # 640 over plan; the others sold exactly their plan
    assert moves == {"S001": 640, "S002": 0, "S003": 0, "S004": 0}
    assert replan["holdback"]["dc_stock_after"] == 2000 - 640


def test_a_replan_without_store_actuals_leaves_the_holdback(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=9600, holdback=2000,
                              actuals={1: 700.0, 2: 700.0})  # fmt: skip
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, {})
    result = inventory.replan(
        c, workflow.workflow_id, season.forecast_id, {"manufacturing_qty": 11000}
    )
    allocation = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
    assert allocation.replan is not None and allocation.replan["holdback"] is None
    assert result["extra_order_qty"] == 1400  # the override's total minus what was ordered


# -- pricing -----------------------------------------------------------------------------------


def test_the_markdown_follows_the_domain_table(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.sales.save_category_history(
        "womens_dresses", [WeeklySales(dt.date(2025, 1, 6), "S001", "womens_dresses", 10.0, None)]
    )
    season = seed_fake_season(c, manufacturing_qty=10_000, checkpoint=6)
    input_ = {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": 5500}
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
    result = pricing.markdown(c, workflow.workflow_id, {})
    record = c.records.get(MARKDOWN, result["markdown_id"], MarkdownRecord)
    assert (record.sell_through, record.elasticity) == (0.55, 2.0)
    assert (record.markdown_pct, record.expected_lift) == (0.1, 0.2)
    assert "Elasticity:" in record.reasoning
    override = pricing.markdown(c, workflow.workflow_id, {"markdown_pct": 0.25})
    changed = c.records.get(MARKDOWN, override["markdown_id"], MarkdownRecord)
    assert (changed.markdown_pct, changed.recommended_markdown_pct) == (0.25, 0.1)


# -- demand ------------------------------------------------------------------------------------


def test_a_reforecast_moves_the_remaining_weeks_and_keeps_their_shape(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    weekly = [1000.0 + 10 * w for w in range(12)]
    season = seed_fake_season(c, weekly=weekly)
    input_ = {
        "forecast_id": season.forecast_id,
        "actual_sales_week_1_to_n": [1300, 1313, 1326, 1339],
        "forecasted_week_1_to_n": weekly[:4],
        "remaining_weeks": 8,
        "variance_pct": 0.3,
    }
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, input_)
    result = demand.reforecast(c, workflow.workflow_id)
    updated = stored_forecast(c, season.forecast_id)
    assert (result["version"], updated.version) == (2, 2)
    assert [w.forecast for w in updated.weekly[:4]] == weekly[:4]
    ratios = [new.forecast / old for new, old in zip(updated.weekly[4:], weekly[4:], strict=True)]
    assert all(r == pytest.approx(result["factor"], abs=1e-3) for r in ratios)
    assert result["factor"] > 1.0
    assert updated.actuals == {1: 1300.0, 2: 1313.0, 3: 1326.0, 4: 1339.0}
    details = updated.versions[-1].details
    assert (details["observed_weeks"], details["variance_pct"]) == (4, 0.3)


def store_markdown(c: Container, forecast: ForecastRecord, lift: float) -> str:
    record = MarkdownRecord(
        markdown_id="md-1",
        forecast_id=forecast.forecast_id,
        workflow_id="wf-md",
        created_at=c.clock.now(),
        checkpoint_week=6,
        sold_to_date=5500,
        manufacturing_qty=10000,
        sell_through=0.55,
        gap=0.05,
        elasticity=2.0,
        recommended_markdown_pct=0.1,
        markdown_pct=0.1,
        expected_lift=lift,
        reasoning="r",
    )
    c.records.put(MARKDOWN, record.markdown_id, record)
    return record.markdown_id


def test_the_markdown_lift_raises_the_weeks_after_the_checkpoint_once(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    season = seed_fake_season(c)
    markdown_id = store_markdown(c, season, 0.2)
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, {})
    demand.markdown_lift(c, workflow.workflow_id, markdown_id)
    lifted = stored_forecast(c, season.forecast_id)
    assert [w.forecast for w in lifted.weekly] == [1000.0] * 6 + [1200.0] * 6
    assert lifted.versions[-1].reason == "markdown 10% at week 6"
    assert c.records.get(MARKDOWN, markdown_id, MarkdownRecord).applied is True
    with pytest.raises(DomainError, match="already has its one markdown"):
        demand.markdown_lift(c, workflow.workflow_id, markdown_id)
    markdown_workflow = start_running_workflow(
        c, WorkflowType.MARKDOWN, {"forecast_id": season.forecast_id, "checkpoint_week": 6}
    )
    with pytest.raises(DomainError, match="already had its one markdown"):
        pricing.markdown(c, markdown_workflow.workflow_id, {})


def given_stores() -> list[dict[str, object]]:
    tiers = [("A", "Premium", "Mall", 90), ("B", "Mainstream", "ShoppingCenter", 50)]
    tiers += [("C", "Value", "Outlet", 20)]
    return [
        {
            "store_id": f"X{i}{j}",
            "store_name": f"Store {i}{j}",
            "region": "West",
            "store_size_sqft": 10000 + 1000 * i + j,
            "median_income": 40000 + 20000 * (2 - i) + j,
            "location_tier": tier,
            "fashion_tier": fashion,
            "store_format": fmt,
            "weekly_sales": sales + j,
        }
        for i, (tier, fashion, fmt, sales) in enumerate(tiers)
        for j in range(2)
    ]


def test_the_allocate_engine_call_uses_the_given_stores_and_never_made_up_ones(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    parameters = SeasonParameters(season_start_date=SEASON_START, replenishment_strategy="weekly")
    allocated = demand.engine_allocate(
        c,
        parameters,
        season_demand=8000,
        weekly_forecast=None,
        safety_stock_pct=None,
        stores=given_stores(),
        category_id=None,
    )
    assert (allocated["manufacturing_qty"], allocated["holdback"]) == (9600, 4320)
    assert sum(s["quantity"] for s in allocated["store_allocations"]) == 5280
    by_store = {s["store_id"]: s["cluster_name"] for s in allocated["store_allocations"]}
    assert by_store["X00"] == "Fashion_Forward" and by_store["X20"] == "Value_Conscious"
    with pytest.raises(DomainError, match="no stores given") as refused:
        demand.engine_allocate(
            c,
            parameters,
            season_demand=8000,
            weekly_forecast=None,
            safety_stock_pct=None,
            stores=None,
            category_id=None,
        )
    assert refused.value.details[0]["field"] == "stores"


# -- one real forecast -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forecast_of_the_bundled_history() -> Iterator[tuple[Container, Fakes, str, dict[str, object]]]:
    c, fakes = fake_container()
    seed_sample_sales(fakes)
    parameters = SeasonParameters(
        season_start_date=SEASON_START,
        replenishment_strategy="none",
        dc_holdback_percentage=0.0,
        markdown_checkpoint_week=6,
    )
    workflow = start_running_workflow(
        c, WorkflowType.FORECAST, {"parameters": parameters.model_dump(mode="json")}
    )
    yield c, fakes, workflow.workflow_id, demand.forecast_season(c, workflow.workflow_id)


def test_the_forecast_step_stores_a_season_curve_and_store_clusters(
    forecast_of_the_bundled_history: tuple[Container, Fakes, str, dict[str, object]],
) -> None:
    c, fakes, workflow_id, result = forecast_of_the_bundled_history
    forecast = c.records.get(FORECAST, str(result["forecast_id"]), ForecastRecord)
    assert [w.week for w in forecast.weekly] == list(range(1, 13))
    assert [w.week_start for w in forecast.weekly] == [
        SEASON_START + dt.timedelta(weeks=i) for i in range(12)
    ]
    assert all(0 <= w.lower <= w.forecast <= w.upper for w in forecast.weekly)
    assert math.isclose(sum(forecast.method_weights.values()), 1.0, abs_tol=1e-6)
    assert result["total_demand"] == forecast.total_demand > 0
    assert [cl.name for cl in forecast.clusters] == [
        "Fashion_Forward",
        "Mainstream",
        "Value_Conscious",
    ]
    assert sum(cl.store_count for cl in forecast.clusters) == len(forecast.stores) == 50
    assert c.workflows.get(workflow_id).forecast_id == forecast.forecast_id
    assert event_types(fakes, workflow_id)[-1] == "agent_completed"
