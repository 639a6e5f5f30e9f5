"""The agents' steps (app.planning) on the fakes: inventory plan, replenishment and re-plan,
the pricing step, the Demand re-forecast and markdown lift, the allocate engine call, and one
real forecast of the bundled history."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pytest

from fashion_forecast.app import plan, workflows
from fashion_forecast.app.planning import demand, inventory, pricing
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.history import WeeklySales
from fashion_forecast.models.approvals import ApprovalKind
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    AllocationStatus,
    ClusterShare,
    ForecastRecord,
    MarkdownRecord,
    MarkdownStatus,
    StoreFactor,
    VersionStatus,
)
from fashion_forecast.models.parameters import SeasonParameters
from fashion_forecast.models.sales import WeekActuals
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import Container
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    SAMPLE_STORE_IDS,
    SEASON_START,
    event_types,
    sample_store_attributes_text,
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
    # clusters 0.6 / 0.4 of 5,280 = 3,168 / 2,112, then by store factor
    assert allocation.store_allocations == [
        {
            "store_id": "S001",
            "cluster_id": 0,
            "cluster_name": "Fashion_Forward",
            "weight": 0.3,
            "quantity": 1584,
        },
        {
            "store_id": "S002",
            "cluster_id": 0,
            "cluster_name": "Fashion_Forward",
            "weight": 0.3,
            "quantity": 1584,
        },
        {
            "store_id": "S003",
            "cluster_id": 1,
            "cluster_name": "Value_Conscious",
            "weight": 0.3,
            "quantity": 1584,
        },
        {
            "store_id": "S004",
            "cluster_id": 1,
            "cluster_name": "Value_Conscious",
            "weight": 0.1,
            "quantity": 528,
        },
    ]
    assert result == {"allocation_id": allocation.allocation_id, "manufacturing_qty": 9600}
    assert [cl["name"] for cl in allocation.clusters] == ["Fashion_Forward", "Value_Conscious"]
    assert stored_forecast(c, season.forecast_id).allocation_id == allocation.allocation_id
    assert c.workflows.get(workflow.workflow_id).allocation_id == allocation.allocation_id
    types = event_types(fakes, workflow.workflow_id)
    assert types == ["agent_started", "agent_progress", "agent_progress", "agent_completed"]
    completed = fakes.event_log.events[workflow.workflow_id][-1]
    assert (completed.agent, completed.result) == ("inventory", result)


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


def test_the_order_shows_its_risk_and_a_modify_the_new_quantitys(
    fc: tuple[Container, Fakes],
) -> None:
    """Season demand 8,000 with the weeks' 80% interval summing to 6,400..9,600 (docs/domain.md,
    "Order risk"): the 9,600-unit order stocks out with probability 0.10 and leaves about 1,659
    units over; modified to 8,800 units, 0.2608 and 997."""
    c, _ = fc
    season = seed_fake_season(c, weekly=[800.0] * 10, replenishment="weekly")
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    made = inventory.plan(c, workflow.workflow_id, season.forecast_id, {})
    data = workflows.approval_data(c, ApprovalKind.MANUFACTURING, made["allocation_id"])
    assert data["risk"] == {
        "quantity": 9600,
        "demand_median": 8000.0,
        "demand_lower": 6400.0,
        "demand_upper": 9600.0,
        "interval_level": 0.8,
        "stockout_probability": 0.1,
        "expected_overstock": 1659.1,
        "expected_shortfall": 59.1,
    }
    modified = inventory.plan(
        c, workflow.workflow_id, season.forecast_id, {"manufacturing_qty": 8800}
    )
    risk = allocation_of(c, season.forecast_id).risk
    assert risk is not None and modified["allocation_id"] == made["allocation_id"]
    assert (risk.quantity, risk.stockout_probability, risk.expected_overstock) == (
        8800,
        0.2608,
        997.0,
    )


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
    # 3,840 sold (640 over the 3,200 planned); 6 x 800 still to sell x 1.25 = 6,000 needed;
    # on hand 9,600 ordered - 3,840 sold = 5,760: 240 more. (The old rule put the safety stock
    # on the units sold too: ceil(8,640 x 1.25) - 9,600 = 1,200.)
    assert (replan["need"], replan["required_qty"], replan["units_on_hand"]) == (8640, 6000, 5760)
    assert (allocation.extra_order_qty, result["extra_order_qty"]) == (240, 240)
    assert "extra_order_qty" not in replan  # one figure, on the record
    assert (allocation.status, replan["plan_to_date"], replan["below_plan"]) == (
        AllocationStatus.PROPOSED,
        3200,
        False,
    )
    moves = {s["store_id"]: s["units_received"] for s in replan["holdback"]["stores"]}
    # S001 (weight 0.3) was expected to sell 0.3 x 3,200 = 960 and sold 1,600: it claims the
    # 640 over plan; the others sold exactly their plan
    assert moves == {"S001": 640, "S002": 0, "S003": 0, "S004": 0}
    assert replan["holdback"]["dc_stock_after"] == 2000 - 640


def test_a_replan_with_store_actuals_for_only_some_weeks_leaves_the_holdback(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    sold = {"S001": 400, "S002": 240, "S003": 240, "S004": 80}
    season = seed_fake_season(
        c,
        weekly=[800.0] * 10,
        manufacturing_qty=9600,
        holdback=2000,
        clusters=TWO_CLUSTERS,
        stores=FOUR_STORES,
        actuals={w: 960.0 for w in range(1, 5)},
    )
    store_actuals(c, season.forecast_id, 3, sold)  # weeks 1..3 uploaded, week 4 not
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, {})
    result = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
    allocation = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
    assert allocation.replan is not None and allocation.replan["holdback"] is None
    assert result["extra_order_qty"] == 240  # the order is re-planned all the same
    assert stored_forecast(c, season.forecast_id).allocation_id == allocation.allocation_id


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
    # the approver's total minus what was ordered and approved, as the one figure
    assert (result["extra_order_qty"], allocation.extra_order_qty) == (1400, 1400)
    assert allocation.replan["extra_order_source"] == "approver"
    # its risk: the 8,200 on hand + 1,400 against the remaining 8 weeks, 6,400 (5,120..7,680)
    assert allocation.risk is not None
    assert allocation.risk.model_dump(
        include={
            "quantity",
            "demand_median",
            "demand_lower",
            "demand_upper",
            "stockout_probability",
        }
    ) == {
        "quantity": 9600,
        "demand_median": 6400.0,
        "demand_lower": 5120.0,
        "demand_upper": 7680.0,
        "stockout_probability": 0.0007,
    }


def test_a_replan_below_plan_proposes_no_extra_order(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=9600,
                              actuals={1: 700.0, 2: 700.0})  # fmt: skip
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, {})
    result = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
    assert result["extra_order_qty"] == 0
    replan = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord).replan
    assert replan is not None
    # 1,400 sold against 1,600 planned: below plan, no extra order. (Safety stock on the
    # remaining 6,400 alone needs 8,000, under the 8,200 on hand anyway.)
    assert (replan["plan_to_date"], replan["below_plan"], replan["units_on_hand"]) == (
        1600,
        True,
        8200,
    )


def test_a_modified_extra_order_rewrites_the_one_record(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=9600,
                              actuals={w: 960.0 for w in range(1, 5)})  # fmt: skip
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, {})
    first = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
    modified = inventory.replan(
        c, workflow.workflow_id, season.forecast_id, {"manufacturing_qty": 10_000}
    )
    assert modified["allocation_id"] == first["allocation_id"]
    record = c.records.get(ALLOCATION, first["allocation_id"], AllocationRecord)
    assert (record.extra_order_qty, record.revision) == (400, 2)  # 10,000 - 9,600 ordered
    assert record.replan is not None and "extra_order_qty" not in record.replan
    assert record.override == {"manufacturing_qty": 10_000}
    forecast = stored_forecast(c, season.forecast_id)
    assert forecast.allocation_ids == [season.allocation_id, first["allocation_id"]]


def test_a_rejected_extra_order_never_counts(fc: tuple[Container, Fakes]) -> None:
    """Re-forecast 1 proposes 240 more, the approver rejects it; re-forecast 2 re-plans from
    the 9,600 ordered and approved only, and the markdown counts those 9,600."""
    c, fakes = fc
    fakes.sales.save_category_history("womens_dresses", constant_price_history())
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=9600, checkpoint=6,
                              actuals={w: 960.0 for w in range(1, 5)})  # fmt: skip
    first = start_running_workflow(c, WorkflowType.REFORECAST, {})
    proposed = inventory.replan(c, first.workflow_id, season.forecast_id, {})
    assert proposed["extra_order_qty"] == 240
    workflows.reject(c, first.workflow_id, "not this season")
    rejected = c.records.get(ALLOCATION, proposed["allocation_id"], AllocationRecord)
    assert (rejected.status, rejected.status_reason) == (
        AllocationStatus.REJECTED,
        "rejected by the approver: not this season",
    )
    markdown = start_running_workflow(
        c,
        WorkflowType.MARKDOWN,
        {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": 4800},
    )
    made = pricing.markdown(c, markdown.workflow_id, {})
    assert c.records.get(MARKDOWN, made["markdown_id"], MarkdownRecord).manufacturing_qty == 9600
    second = start_running_workflow(c, WorkflowType.REFORECAST, {})
    again = inventory.replan(c, second.workflow_id, season.forecast_id, {})
    replan = c.records.get(ALLOCATION, again["allocation_id"], AllocationRecord).replan
    assert replan is not None and replan["ordered_approved_qty"] == 9600
    assert again["extra_order_qty"] == 240  # the rejected 240 never counted as on hand
    workflows.complete(c, second.workflow_id)  # this one goes through: approved
    book = plan.order_book(c, stored_forecast(c, season.forecast_id))
    assert [a.status for a in book.allocations] == [
        AllocationStatus.APPROVED,
        AllocationStatus.REJECTED,
        AllocationStatus.APPROVED,
    ]
    assert book.ordered_approved_qty == 9600 + 240


# -- pricing -----------------------------------------------------------------------------------


def constant_price_history(category: str = "womens_dresses") -> list[WeeklySales]:
    """12 history rows at one price (10.00 a unit): prices never varied."""
    return [
        WeeklySales(dt.date(2025, 1, 6) + dt.timedelta(weeks=w), store, category, 10.0, 100.0)
        for w in range(4)
        for store in ("S001", "S002", "S003")
    ]


def markdown_season(c: Container, fakes: Fakes) -> ForecastRecord:
    """10,000 units ordered, checkpoint 6, nothing planned after it: the sell-through of
    DOMAIN.md's table is the sell-through to date (whether or not the projection adds the
    remaining plan)."""
    fakes.sales.save_category_history("womens_dresses", constant_price_history())
    return seed_fake_season(
        c, weekly=[1000.0] * 6 + [0.0] * 6, manufacturing_qty=10_000, checkpoint=6
    )


@pytest.mark.parametrize(
    ("sold", "sell_through", "markdown_pct", "lift"),
    [
        (6300, 0.63, 0.0, 0.0),
        (5800, 0.58, 0.05, 0.1),
        (5500, 0.55, 0.1, 0.2),
        (5200, 0.52, 0.15, 0.3),
        (5000, 0.5, 0.2, 0.4),
        (4000, 0.4, 0.4, 0.8),
        (3500, 0.35, 0.4, 0.8),  # capped
    ],
)
def test_the_markdown_follows_the_domain_table(
    fc: tuple[Container, Fakes], sold: int, sell_through: float, markdown_pct: float, lift: float
) -> None:
    c, fakes = fc
    season = markdown_season(c, fakes)
    input_ = {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": sold}
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
    result = pricing.markdown(c, workflow.workflow_id, {})
    record = c.records.get(MARKDOWN, result["markdown_id"], MarkdownRecord)
    assert (record.sell_through, record.elasticity, record.manufacturing_qty) == (
        sell_through,
        2.0,
        10_000,
    )
    assert (record.markdown_pct, record.recommended_markdown_pct) == (markdown_pct, markdown_pct)
    assert record.expected_lift == pytest.approx(lift, abs=1e-12)
    assert "prices do not vary enough" in record.reasoning
    assert "using the default elasticity 2" in record.reasoning
    assert result == {"markdown_id": record.markdown_id, "markdown_pct": markdown_pct}
    assert stored_forecast(c, season.forecast_id).markdown_id == record.markdown_id
    assert c.workflows.get(workflow.workflow_id).markdown_id == record.markdown_id
    assert event_types(fakes, workflow.workflow_id)[-1] == "agent_completed"


@pytest.mark.parametrize("sold", [6000, 7380])  # exactly on plan; 23% above it
def test_a_halfway_checkpoint_on_or_above_plan_recommends_no_markdown(
    fc: tuple[Container, Fakes], sold: int
) -> None:
    c, fakes = fc
    fakes.sales.save_category_history("womens_dresses", constant_price_history())
    season = seed_fake_season(c, manufacturing_qty=15_000, checkpoint=6)  # 12 x 1,000 planned
    input_ = {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": sold}
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
    assert pricing.markdown(c, workflow.workflow_id, {})["markdown_pct"] == 0.0


def test_the_approvers_markdown_replaces_the_recommendation(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = markdown_season(c, fakes)
    input_ = {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": 5500}
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
    pricing.markdown(c, workflow.workflow_id, {})
    override = pricing.markdown(c, workflow.workflow_id, {"markdown_pct": 0.12})
    changed = c.records.get(MARKDOWN, override["markdown_id"], MarkdownRecord)
    assert (changed.markdown_pct, changed.recommended_markdown_pct) == (0.1, 0.1)  # 12% -> 10%
    override = pricing.markdown(c, workflow.workflow_id, {"markdown_pct": 0.25})
    changed = c.records.get(MARKDOWN, override["markdown_id"], MarkdownRecord)
    assert (changed.markdown_pct, changed.recommended_markdown_pct) == (0.25, 0.1)
    assert changed.expected_lift == pytest.approx(0.5)
    assert stored_forecast(c, season.forecast_id).markdown_id == changed.markdown_id


def add_extra_order(
    c: Container, forecast_id: str, units: int, status: AllocationStatus
) -> AllocationRecord:
    """A re-plan's allocation of `units` more, stored as its approval left it."""
    forecast = stored_forecast(c, forecast_id)
    extra = allocation_of(c, forecast_id).model_copy(
        update={
            "allocation_id": c.ids.new_id(),
            "workflow_id": c.ids.new_id(),
            "replan": {"week": 4},
            "extra_order_qty": units,
            "status": status,
            "revision": 1,
        }
    )
    c.records.put(ALLOCATION, extra.allocation_id, extra)
    c.records.replace(
        FORECAST,
        forecast_id,
        forecast.model_copy(
            update={
                "allocation_id": extra.allocation_id,
                "allocation_ids": [*forecast.allocation_ids, extra.allocation_id],
                "revision": forecast.revision + 1,
            }
        ),
    )
    return extra


def test_the_units_ordered_and_approved_count_approved_extra_orders_only(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = markdown_season(c, fakes)
    add_extra_order(c, season.forecast_id, 1000, AllocationStatus.APPROVED)
    add_extra_order(c, season.forecast_id, 700, AllocationStatus.REJECTED)
    add_extra_order(c, season.forecast_id, 500, AllocationStatus.PROPOSED)  # awaiting approval
    input_ = {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": 5500}
    workflow = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
    record = c.records.get(
        MARKDOWN, pricing.markdown(c, workflow.workflow_id, {})["markdown_id"], MarkdownRecord
    )
    # 10,000 + the approved 1,000; neither the rejected 700 nor the proposed 500
    assert (record.manufacturing_qty, record.sell_through, record.markdown_pct) == (
        11_000,
        0.5,
        0.2,
    )


def test_a_halfway_markdown_projects_with_the_plan_in_effect(fc: tuple[Container, Fakes]) -> None:
    """DOMAIN's revised example: 12 x 1,000 planned, 15,000 ordered, checkpoint 6. 3,000 sold
    of 6,000 planned (50% under plan): (3,000 + 6,000) / 15,000 = 60%, the target: none. With
    an 18,000 order: 50%, gap 10 points x 2 = 20%; 6,000 x 1.4 = 8,400 fits the 15,000 left."""
    c, fakes = fc
    fakes.sales.save_category_history("womens_dresses", constant_price_history())
    on_target = seed_fake_season(c, manufacturing_qty=15_000, checkpoint=6)
    big = seed_fake_season(c, manufacturing_qty=18_000, checkpoint=6)
    results = []
    for season in (on_target, big):
        input_ = {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": 3000}
        workflow = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
        made = pricing.markdown(c, workflow.workflow_id, {})
        results.append(c.records.get(MARKDOWN, made["markdown_id"], MarkdownRecord))
    assert [(r.sell_through, r.markdown_pct) for r in results] == [(0.6, 0.0), (0.5, 0.2)]
    record = results[1]
    assert (record.remaining_forecast, record.plan_to_date, record.above_plan) == (
        6000,
        6000,
        False,
    )
    assert (record.sell_through_to_date, record.stock_cap_pct, record.status) == (
        pytest.approx(1 / 6),
        0.4,
        MarkdownStatus.PROPOSED,
    )
    assert record.reasoning.startswith(
        "Projected season-end sell-through at week 6 is 50.0% (3,000 sold + 6,000 still "
        "planned, of 18,000 units ordered and approved) against a 60.0% target"
    )


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


def test_the_reforecast_of_the_domain_example(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    weekly = [600.0, 625.0, 650.0, 675.0, 700.0, 725.0, 750.0, 750.0, 700.0, 650.0, 600.0, 550.0]
    season = seed_fake_season(c, weekly=weekly)
    input_ = {
        "forecast_id": season.forecast_id,
        "actual_sales_week_1_to_n": [750, 780, 820, 850],  # 3,200: every week over
        "forecasted_week_1_to_n": weekly[:4],
        "remaining_weeks": 8,
        "variance_pct": 0.255,
    }
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, input_)
    result = demand.reforecast(c, workflow.workflow_id)
    # R = 3,200 / 2,550, consistency 1, w = 4 / (4 + 4) = 0.5: factor 1 + 0.5 x (R - 1)
    assert result["factor"] == pytest.approx(1 + 0.5 * (3200 / 2550 - 1), abs=1e-12)
    updated = stored_forecast(c, season.forecast_id)
    assert [w.forecast for w in updated.weekly] == [
        *weekly[:4],
        *[789.22, 817.4, 845.59, 845.59, 789.22, 732.84, 676.47, 620.1],
    ]
    assert round(sum(w.forecast for w in updated.weekly[4:]), 2) == 6116.43
    # the version's season demand is its plan's: 3,200 sold + 6,116.43 still to sell (the
    # figure the re-plan sizes the order on), not the curve's 2,550 planned for weeks 1-4
    assert updated.total_demand == updated.versions[-1].total_demand == 9316.43
    assert (updated.weekly[4].lower, updated.weekly[4].upper) == (631.37, 947.06)  # scaled too
    version = updated.versions[-1]
    assert (version.version, version.reason, version.workflow_id) == (
        2,
        "re-forecast after week 4",
        workflow.workflow_id,
    )
    assert {k: version.details[k] for k in ("observed_weeks", "consistency", "weight")} == {
        "observed_weeks": 4,
        "consistency": 1.0,
        "weight": 0.5,
    }
    assert [v.version for v in updated.versions] == [1, 2]
    assert updated.versions[0].weekly == season.weekly  # the pre-season curve is kept
    assert c.workflows.get(workflow.workflow_id).forecast_id == season.forecast_id
    assert event_types(fakes, workflow.workflow_id)[-1] == "agent_completed"


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


def test_after_a_markdown_a_reforecast_uses_the_lift_observed(
    fc: tuple[Container, Fakes],
) -> None:
    """A 10% markdown at week 6 assumed +20%; weeks 7-10 sold 1,050 against the pre-markdown
    1,000: the re-forecast lifts weeks 11-12 by the +5% observed, not the +20% assumed."""
    c, _ = fc
    season = seed_fake_season(c, checkpoint=6)
    lift = start_running_workflow(c, WorkflowType.MARKDOWN, {})
    demand.markdown_lift(c, lift.workflow_id, store_markdown(c, season, 0.2))
    lifted = stored_forecast(c, season.forecast_id).versions[-1]
    assert (lifted.status, lifted.details["base_version"], lifted.details["anchor_week"]) == (
        VersionStatus.APPROVED,
        1,
        0,
    )
    input_ = {
        "forecast_id": season.forecast_id,
        "actual_sales_week_1_to_n": [1000] * 6 + [1050] * 4,
        "remaining_weeks": 2,
    }
    workflow = start_running_workflow(c, WorkflowType.REFORECAST, input_)
    result = demand.reforecast(c, workflow.workflow_id)
    updated = stored_forecast(c, season.forecast_id)
    details = updated.versions[-1].details
    assert (details["method"], details["plan_version"]) == ("observed_lift", 2)
    assert (details["assumed_lift"], details["observed_lift"]) == (0.2, pytest.approx(0.05))
    assert result["factor"] == pytest.approx(1.05 / 1.2)
    assert [w.forecast for w in updated.weekly[10:]] == [1050.0, 1050.0]
    assert details["observed_ratio"] == pytest.approx(10_200 / 10_800)  # the variance row's


def test_statuses_follow_the_approval_outcome(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.sales.save_category_history("womens_dresses", constant_price_history())
    # a markdown accepted: applied by the lift step, kept at completion
    season = markdown_season(c, fakes)
    input_ = {"forecast_id": season.forecast_id, "checkpoint_week": 6, "sold_to_date": 5500}
    accepted = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
    made = pricing.markdown(c, accepted.workflow_id, {})
    assert c.records.get(MARKDOWN, made["markdown_id"], MarkdownRecord).status is (
        MarkdownStatus.PROPOSED
    )
    demand.markdown_lift(c, accepted.workflow_id, made["markdown_id"])
    workflows.complete(c, accepted.workflow_id)
    record = c.records.get(MARKDOWN, made["markdown_id"], MarkdownRecord)
    assert (record.status, record.applied) == (MarkdownStatus.APPLIED, True)
    # a 0% markdown: not needed; a rejected one: rejected
    for sold, outcome, status in (
        (6300, workflows.complete, MarkdownStatus.NOT_NEEDED),
        (5500, lambda c, wid: workflows.reject(c, wid, None), MarkdownStatus.REJECTED),
    ):
        other = markdown_season(c, fakes)
        input_ = {"forecast_id": other.forecast_id, "checkpoint_week": 6, "sold_to_date": sold}
        flow = start_running_workflow(c, WorkflowType.MARKDOWN, input_)
        made = pricing.markdown(c, flow.workflow_id, {})
        outcome(c, flow.workflow_id)
        assert c.records.get(MARKDOWN, made["markdown_id"], MarkdownRecord).status is status
    # a re-forecast cancelled while its extra order waits: the order and the version rejected
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=9600,
                              actuals={w: 960.0 for w in range(1, 5)})  # fmt: skip
    input_ = {
        "forecast_id": season.forecast_id,
        "actual_sales_week_1_to_n": [960] * 4,
        "remaining_weeks": 6,
    }
    flow = start_running_workflow(c, WorkflowType.REFORECAST, input_)
    demand.reforecast(c, flow.workflow_id)
    planned = inventory.replan(c, flow.workflow_id, season.forecast_id, {})
    c.workflows.transition(flow.workflow_id, WorkflowStatus.AWAITING_APPROVAL)
    workflows.cancel(c, flow.workflow_id, caller=TEST_CALLER)
    allocation = c.records.get(ALLOCATION, planned["allocation_id"], AllocationRecord)
    assert (allocation.status, allocation.status_reason) == (
        AllocationStatus.REJECTED,
        "workflow cancelled by user",
    )
    forecast = stored_forecast(c, season.forecast_id)
    assert [v.status for v in forecast.versions] == [VersionStatus.APPROVED, VersionStatus.REJECTED]
    assert forecast.version == 1


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


@pytest.mark.parametrize("on_record", ["stores_only", "history_only"])
def test_the_allocate_engine_call_refuses_half_a_record(
    fc: tuple[Container, Fakes], on_record: str
) -> None:
    c, fakes = fc
    if on_record == "stores_only":
        fakes.sales.save_store_attributes(sample_store_attributes_text())
    else:
        fakes.sales.save_category_history("womens_dresses", constant_price_history())
    parameters = SeasonParameters(season_start_date=SEASON_START)
    with pytest.raises(DomainError, match="no store attributes with sales history on record"):
        demand.engine_allocate(
            c,
            parameters,
            season_demand=8000,
            weekly_forecast=None,
            safety_stock_pct=None,
            stores=None,
            category_id="womens_dresses",
        )


def test_the_allocate_engine_call_prefers_the_given_stores_to_the_record(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    seed_sample_sales(fakes)
    parameters = SeasonParameters(season_start_date=SEASON_START, replenishment_strategy="none",
                                  dc_holdback_percentage=0.0)  # fmt: skip
    allocated = demand.engine_allocate(
        c,
        parameters,
        season_demand=None,
        weekly_forecast=[100.0] * 12,
        safety_stock_pct=None,
        stores=given_stores(),
        category_id="womens_dresses",
    )
    assert (allocated["manufacturing_qty"], allocated["holdback"]) == (1500, 0)
    assert sorted(s["store_id"] for s in allocated["store_allocations"]) == [
        "X00",
        "X01",
        "X10",
        "X11",
        "X20",
        "X21",
    ]
    assert sum(s["quantity"] for s in allocated["store_allocations"]) == 1500


# -- one real forecast -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forecast_of_the_bundled_history() -> Iterator[tuple[Container, Fakes, str, dict[str, object]]]:
    c, fakes = fake_container()
    seed_sample_sales(fakes)
    fakes.sales.make_unreadable("mens_broken", "the history of mens_broken, line 7: inf units")
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
    assert {s.store_id for s in forecast.stores} == set(SAMPLE_STORE_IDS)
    assert math.isclose(sum(cl.share for cl in forecast.clusters), 1.0, abs_tol=1e-6)
    for cluster in forecast.clusters:
        factors = [s.store_factor for s in forecast.stores if s.cluster_id == cluster.cluster_id]
        assert len(factors) == cluster.store_count
        assert math.isclose(sum(factors), 1.0, abs_tol=1e-6)
    assert all(w.lower < w.forecast < w.upper for w in forecast.weekly)
    assert forecast.total_demand == round(sum(w.forecast for w in forecast.weekly), 2)
    assert [v.version for v in forecast.versions] == [1]
    assert c.workflows.get(workflow_id).forecast_id == forecast.forecast_id
    assert event_types(fakes, workflow_id)[-1] == "agent_completed"


def test_another_categorys_unreadable_history_is_left_out_of_the_sales_level_not_fatal(
    forecast_of_the_bundled_history: tuple[Container, Fakes, str, dict[str, object]],
) -> None:
    c, fakes, workflow_id, result = forecast_of_the_bundled_history
    forecast = c.records.get(FORECAST, str(result["forecast_id"]), ForecastRecord)
    assert forecast.sales_level_excluded == {
        "mens_broken": "the history of mens_broken, line 7: inf units"
    }
    assert "Store sales level leaves out mens_broken: history unreadable" in [
        getattr(e, "message", None) for e in fakes.event_log.events[workflow_id]
    ]


def test_the_planned_categorys_unreadable_history_fails_the_step_naming_it(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    seed_sample_sales(fakes)
    fakes.sales.make_unreadable("womens_dresses", "the history of womens_dresses, line 3: bad")
    parameters = SeasonParameters(season_start_date=SEASON_START)
    workflow = start_running_workflow(
        c, WorkflowType.FORECAST, {"parameters": parameters.model_dump(mode="json")}
    )
    with pytest.raises(DomainError, match="the history of womens_dresses, line 3"):
        demand.forecast_season(c, workflow.workflow_id)
