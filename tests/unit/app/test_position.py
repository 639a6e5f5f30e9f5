"""The season's inventory position (app.plan.refresh_position) on the fakes: what it counts,
the top-up reviews, holdback moves paid once, extra orders, warnings, and its balance."""

from __future__ import annotations

import pytest

from fashion_forecast.app import in_season, plan, workflows
from fashion_forecast.app.planning import inventory
from fashion_forecast.app.planning.demand import new_version
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    AllocationRecord,
    AllocationStatus,
    ForecastRecord,
    VersionStatus,
)
from fashion_forecast.models.sales import InventoryPosition, WeekActuals
from fashion_forecast.models.workflows import Workflow, WorkflowType
from fashion_forecast.ports import Container
from tests.auth import TEST_CALLER
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    SAMPLE_STORE_IDS,
    seed_fake_season,
    seed_sample_stores,
    start_running_workflow,
    weekly_sales_csv,
    wire_variance_step,
)
from tests.unit.app.test_planning import FOUR_STORES, TWO_CLUSTERS


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    c, fakes = fake_container()
    seed_sample_stores(fakes)
    return c, fakes


def balanced(p: InventoryPosition) -> None:
    """ordered = DC + shipped; shipped = on hand + sold, per store and in total."""
    assert p.ordered_approved == p.at_dc + p.shipped
    assert p.ordered_approved == sum(o.units for o in p.orders if o.status == "approved")
    assert p.shipped == sum(s.units for s in p.shipments) == sum(s.shipped for s in p.stores)
    assert p.shipped == p.store_on_hand + p.sold
    assert p.sold == sum(s.sold for s in p.stores)
    for s in p.stores:
        assert s.shipped == s.on_hand + s.sold


def upload(c: Container, fakes: Fakes, forecast_id: str, week: int, per_store: int) -> None:
    """A weekly file through the API's use case, the variance step run as S3 would."""
    wire_variance_step(c, fakes)
    in_season.accept_weekly_file(
        c, forecast_id, week, weekly_sales_csv(week, per_store), caller=TEST_CALLER
    )


def put_store_week(c: Container, forecast_id: str, week: int, units: dict[str, int]) -> None:
    c.in_season.put_actuals(
        WeekActuals(
            forecast_id=forecast_id,
            week=week,
            total_units=sum(units.values()),
            store_units=units,
            upload_id=f"u-{week:02d}",
            updated_at=c.clock.now(),
        )
    )


def test_the_position_starts_from_the_approved_order_and_its_initial_allocation(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    season = seed_fake_season(
        c, weekly=[1000.0] * 4, manufacturing_qty=5000, holdback=2500, replenishment="weekly"
    )
    position = plan.refresh_position(c, season.forecast_id)
    assert position is not None and c.in_season.get_position(season.forecast_id) == position
    assert (position.through_week, position.ordered_approved, position.at_dc) == (0, 5000, 2500)
    assert [(s.kind, s.week, s.units) for s in position.shipments] == [("initial", 1, 2500)]
    assert {s.shipped for s in position.stores} == {50}  # 2,500 over 50 equal stores
    assert [(o.kind, o.units, o.status) for o in position.orders] == [
        ("pre_season", 5000, "approved")
    ]
    balanced(position)


def test_a_weekly_top_up_ships_to_next_weeks_plan_plus_safety_from_what_is_left(
    fc: tuple[Container, Fakes],
) -> None:
    """50 stores, 1,000 units a week planned (20 a store), 25% safety: a top-up brings each
    store to 20 x 1.25 = 25 units. After week 1 (40 sold a store, 10 left) each asks 15:
    750 ship at the start of week 2, 1,750 stay. Planned: week 3 asks 20 a store (1,000),
    week 4 as much but only 750 are left, so nothing is planned to stay at the DC."""
    c, fakes = fc
    season = seed_fake_season(
        c,
        weekly=[1000.0] * 4,
        manufacturing_qty=5000,
        holdback=2500,
        replenishment="weekly",
        variance_threshold=1.0,
    )
    upload(c, fakes, season.forecast_id, 1, 40)
    position = c.in_season.get_position(season.forecast_id)
    assert (position.through_week, position.sold, position.at_dc) == (1, 2000, 1750)
    assert [(s.kind, s.week, s.units) for s in position.shipments] == [
        ("initial", 1, 2500),
        ("replenishment", 2, 750),
    ]
    assert set(position.shipments[1].stores.values()) == {15}
    assert [(p.week, p.requested, p.units, p.dc_after) for p in position.planned_shipments] == [
        (3, 1000, 1000, 750),
        (4, 1000, 750, 0),
    ]
    assert (position.planned_dc_end_of_season, position.warnings) == (0, [])
    balanced(position)
    upload(c, fakes, season.forecast_id, 2, 20)  # as planned: week 3 ships the 1,000
    position = c.in_season.get_position(season.forecast_id)
    assert [(s.week, s.units) for s in position.shipments[2:]] == [(3, 1000)]
    assert (position.at_dc, position.store_on_hand, position.revision) == (750, 1250, 2)
    balanced(position)


def test_a_correction_of_a_week_changes_what_was_sold_not_what_was_shipped(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    season = seed_fake_season(
        c, weekly=[1000.0] * 4, manufacturing_qty=5000, holdback=2500, replenishment="weekly",
        variance_threshold=1.0,
    )  # fmt: skip
    upload(c, fakes, season.forecast_id, 1, 40)
    upload(c, fakes, season.forecast_id, 1, 30)  # a corrected week 1
    position = c.in_season.get_position(season.forecast_id)
    assert (position.sold, position.shipped) == (1500, 3250)  # the week-2 top-up stays made
    balanced(position)


def test_replenishment_none_with_a_holdback_warns_that_the_dc_stock_has_no_plan(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    season = seed_fake_season(c, manufacturing_qty=10_000, holdback=5_625)
    position = plan.refresh_position(c, season.forecast_id)
    assert position is not None
    assert (position.at_dc, position.planned_shipments) == (5_625, [])
    assert position.warnings == [
        "replenishment none: 5,625 units at the DC have no shipment planned; only a re-plan's "
        "holdback move to fast stores sends them out"
    ]


def test_units_planned_to_stay_at_the_dc_are_a_warning(fc: tuple[Container, Fakes]) -> None:
    """Bi-weekly, 4 weeks: one review at week 3 covering weeks 3-4 (2,000 x 1.25 = 2,500 minus
    what the stores still hold); 9,000 at the DC cannot all be needed."""
    c, _ = fc
    season = seed_fake_season(
        c, weekly=[1000.0] * 4, manufacturing_qty=12_000, holdback=9_000, replenishment="bi-weekly"
    )
    position = plan.refresh_position(c, season.forecast_id)
    assert position is not None
    # stores hold 3,000, sell 2,000 in weeks 1-2 as planned: 1,000 left, so 1,500 ship at week 3
    assert [(p.week, p.covers_weeks, p.units) for p in position.planned_shipments] == [
        (3, [3, 4], 1500)
    ]
    assert position.planned_dc_end_of_season == 7_500
    assert position.warnings == [
        "7,500 units are planned to remain at the DC at season end: the top-ups to the plan's "
        "next weeks plus safety stock do not need them"
    ]


def test_proposed_and_rejected_extra_orders_never_count_as_ordered(
    fc: tuple[Container, Fakes],
) -> None:
    c, _ = fc
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=9600,
                              actuals={w: 960.0 for w in range(1, 5)})  # fmt: skip
    flow = {"forecast_id": season.forecast_id}
    first = start_running_workflow(c, WorkflowType.REFORECAST, flow)
    proposed = inventory.replan(c, first.workflow_id, season.forecast_id, {})
    assert proposed["extra_order_qty"] == 240
    position = c.in_season.get_position(season.forecast_id)
    assert position.ordered_approved == 9600  # proposed: not ordered
    workflows.reject(c, first.workflow_id, "not this season")
    position = c.in_season.get_position(season.forecast_id)
    assert [(o.kind, o.units, o.status) for o in position.orders] == [
        ("pre_season", 9600, "approved"),
        ("extra", 240, "rejected"),
    ]
    assert (position.ordered_approved, position.at_dc) == (9600, 0)
    second = start_running_workflow(c, WorkflowType.REFORECAST, flow)
    inventory.replan(c, second.workflow_id, season.forecast_id, {})
    workflows.complete(c, second.workflow_id)
    position = c.in_season.get_position(season.forecast_id)
    assert position.ordered_approved == 9600 + 240
    balanced(position)


def four_weeks_over_plan(c: Container) -> tuple[ForecastRecord, Workflow]:
    """A season of 800 a week (9,600 shipped to the 50 sample stores) whose weeks 1-4 sold 960
    a week (20 a store in 40 stores, 16 in ten), and the re-forecast workflow they start."""
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=9600)
    units = {s: 20 if i < 40 else 16 for i, s in enumerate(SAMPLE_STORE_IDS)}
    for week in range(1, 5):
        put_store_week(c, season.forecast_id, week, units)
    workflow = start_running_workflow(
        c,
        WorkflowType.REFORECAST,
        {"forecast_id": season.forecast_id, "actual_sales_week_1_to_n": [960.0] * 4},
    )
    return season, workflow


def test_with_no_replenishment_an_approved_extra_order_goes_to_the_stores(
    fc: tuple[Container, Fakes],
) -> None:
    """Weeks 1-4 sold 960 a week over 50 stores (19.2 a store): 3,840 sold of 9,600 shipped.
    The re-plan orders 240 more; approved, they arrive at the start of week 5 and top every
    store up to the rest of the plan (6 x 800 x 1.25 / 50 = 120) minus what it holds."""
    c, _ = fc
    season, workflow = four_weeks_over_plan(c)
    result = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
    assert result["extra_order_qty"] == 240
    record = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
    assert record.replan is not None
    assert (record.replan["dc_after_move"], record.replan["warnings"]) == (0, [])
    workflows.complete(c, workflow.workflow_id)
    position = c.in_season.get_position(season.forecast_id)
    (extra,) = [s for s in position.shipments if s.kind == "extra"]
    # 192 on hand each: the 40 stores that sold 20 a week hold 112 and ask 8 (320), the ten
    # that sold 16 hold 128 and ask none; 240 split 6 a store over the 40 by largest remainder
    assert (extra.week, extra.units, set(extra.stores.values())) == (5, 240, {6})
    assert (position.at_dc, position.ordered_approved) == (0, 9840)
    balanced(position)


def test_a_move_pays_each_unit_of_over_plan_sales_once_and_never_more_than_the_dc_holds(
    fc: tuple[Container, Fakes],
) -> None:
    """S001 (weight 0.3) sells 400 a week against 240 planned: 640 over plan after week 4
    (12,000 ordered: no extra order, so the DC holds only the 2,000 held back).
    The first re-plan moves them 640 from the 2,000 at the DC; a second re-plan at week 4 (the
    same sales) moves nothing more; after week 5 (+160 more over plan) it claims just 160."""
    c, _ = fc
    sold = {"S001": 400, "S002": 240, "S003": 240, "S004": 80}
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=12_000, holdback=2000,
                              clusters=TWO_CLUSTERS, stores=FOUR_STORES)  # fmt: skip
    for week in range(1, 5):
        put_store_week(c, season.forecast_id, week, sold)

    def replan_and_approve(weeks: int) -> dict[str, int]:
        workflow = start_running_workflow(
            c,
            WorkflowType.REFORECAST,
            {"forecast_id": season.forecast_id, "actual_sales_week_1_to_n": [960.0] * weeks},
        )
        result = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
        record = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
        workflows.complete(c, workflow.workflow_id)
        assert record.replan is not None
        return {s["store_id"]: s["units_received"] for s in record.replan["holdback"]["stores"]}

    assert replan_and_approve(4)["S001"] == 640
    position = c.in_season.get_position(season.forecast_id)
    assert (position.at_dc, position.over_plan_credited) == (2000 - 640, {"S001": 640})
    assert replan_and_approve(4)["S001"] == 0  # the same 640 are never paid again
    put_store_week(c, season.forecast_id, 5, sold)
    moved = replan_and_approve(5)
    assert moved["S001"] == 160
    position = c.in_season.get_position(season.forecast_id)
    assert [(s.kind, s.week, s.units) for s in position.shipments if s.kind == "move"] == [
        ("move", 5, 640),
        ("move", 6, 160),
    ]
    assert position.over_plan_credited == {"S001": 800}
    balanced(position)


def test_a_move_is_limited_to_the_dc_stock_really_left(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    sold = {"S001": 400, "S002": 240, "S003": 240, "S004": 80}
    season = seed_fake_season(c, weekly=[800.0] * 10, manufacturing_qty=12_000, holdback=500,
                              clusters=TWO_CLUSTERS, stores=FOUR_STORES)  # fmt: skip
    for week in range(1, 5):
        put_store_week(c, season.forecast_id, week, sold)
    workflow = start_running_workflow(
        c,
        WorkflowType.REFORECAST,
        {"forecast_id": season.forecast_id, "actual_sales_week_1_to_n": [960.0] * 4},
    )
    result = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
    record = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
    assert record.replan is not None
    holdback = record.replan["holdback"]
    assert (holdback["dc_stock_before"], holdback["moved"], holdback["dc_stock_after"]) == (
        500,
        500,
        0,
    )
    workflows.complete(c, workflow.workflow_id)
    position = c.in_season.get_position(season.forecast_id)
    assert position.at_dc == 0 and position.over_plan_credited == {"S001": 500}
    balanced(position)


def test_an_extra_order_read_approved_before_its_curve_waits_for_the_settle(
    fc: tuple[Container, Fakes],
) -> None:
    """A weekly upload's refresh racing a re-forecast's settle can read the forecast before
    its curve is approved and the order book after its order is. The extra order must not be
    shipped then, against the old curve (a shipment is kept): the settle's own refresh ships
    it against the new one. Weeks 1-4 as above (112 or 128 on hand a store); the
    re-forecast's curve is 960 a week."""
    c, _ = fc
    season, workflow = four_weeks_over_plan(c)
    forecast = c.records.get(FORECAST, season.forecast_id, ForecastRecord)
    c.records.replace(
        FORECAST,
        season.forecast_id,
        new_version(
            forecast,
            c.clock.now(),
            workflow.workflow_id,
            "re-forecast",
            [960.0] * 10,
            {"observed_weeks": 4},
            base=forecast.weekly,
            status=VersionStatus.PROPOSED,
            sold=[960.0] * 4,
        ),
    )
    result = inventory.replan(c, workflow.workflow_id, season.forecast_id, {})
    extra_qty = result["extra_order_qty"]
    assert extra_qty > 0
    # mid-settle: the order reads approved, its curve still proposed
    record = c.records.get(ALLOCATION, result["allocation_id"], AllocationRecord)
    c.records.replace(
        ALLOCATION,
        record.allocation_id,
        record.model_copy(
            update={"status": AllocationStatus.APPROVED, "revision": record.revision + 1}
        ),
    )
    racing = plan.refresh_position(c, season.forecast_id)
    assert racing is not None
    assert [s.kind for s in racing.shipments] == ["initial"]  # nothing shipped on the old curve
    assert racing.ordered_approved == 9600 + extra_qty
    balanced(racing)

    workflows.complete(c, workflow.workflow_id)
    position = c.in_season.get_position(season.forecast_id)
    (extra,) = [s for s in position.shipments if s.kind == "extra"]
    # the new curve's rest (6 x 960 x 1.25 / 50 = 144 a store) minus what each holds: 32 for
    # the 40 stores holding 112, 16 for the ten holding 128 (the old curve would ask 8 and 0)
    assert (extra.week, extra.units) == (5, min(extra_qty, 40 * 32 + 10 * 16))
    balanced(position)
