"""app.results on the fakes: forecasts (newest first, with the actuals known so far), the
allocation and markdown of a forecast, and its variance rows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fashion_forecast.api.data_schemas import AllocationView
from fashion_forecast.app import results
from fashion_forecast.app.in_season import WeekOutOfSeasonError
from fashion_forecast.models.forecasts import (
    ALLOCATION,
    FORECAST,
    MARKDOWN,
    AllocationRecord,
    AllocationStatus,
    ForecastRecord,
    MarkdownRecord,
    MarkdownStatus,
)
from fashion_forecast.models.sales import (
    VarianceAction,
    VarianceRecord,
    VarianceStatus,
    WeekActuals,
)
from fashion_forecast.models.workflows import WorkflowStatus
from fashion_forecast.ports import Container, InvalidCursorError, NotFoundError
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import seed_fake_season

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def uploaded_actuals(fakes: Fakes, forecast_id: str, week: int, total: int) -> WeekActuals:
    """A week's actuals as the variance step stores them from an upload."""
    actuals = WeekActuals(
        forecast_id=forecast_id,
        week=week,
        total_units=total,
        store_units={"S001": total},
        upload_id=f"20250310T090000000000-{week:08d}",
        updated_at=NOW,
    )
    assert fakes.in_season.put_actuals(actuals)
    return actuals


def variance_row(forecast_id: str, week: int, variance_pct: float) -> VarianceRecord:
    return VarianceRecord(
        forecast_id=forecast_id,
        week=week,
        status=VarianceStatus.EVALUATED,
        forecasted_cumulative=1000.0 * week,
        actual_cumulative=1000.0 * week * (1 + variance_pct),
        variance_pct=variance_pct,
        variance_threshold=0.2,
        action_taken=VarianceAction.NONE,
        upload_id=f"20250310T090000000000-{week:08d}",
        evaluated_at=NOW,
    )


def with_markdown(c: Container, forecast: ForecastRecord) -> MarkdownRecord:
    """A markdown stored for `forecast` and named on it (revision 2 of the forecast)."""
    markdown = MarkdownRecord(
        markdown_id="md-1",
        forecast_id=forecast.forecast_id,
        workflow_id=forecast.workflow_id,
        created_at=NOW,
        checkpoint_week=6,
        sold_to_date=5500.0,
        manufacturing_qty=10_000,
        sell_through=0.55,
        gap=0.05,
        elasticity=2.0,
        recommended_markdown_pct=0.1,
        markdown_pct=0.1,
        expected_lift=0.2,
        reasoning="the gap of 5.0 points x elasticity 2 = 10.0%",
    )
    c.records.put(MARKDOWN, markdown.markdown_id, markdown)
    c.records.replace(
        FORECAST,
        forecast.forecast_id,
        forecast.model_copy(update={"markdown_id": markdown.markdown_id, "revision": 2}),
    )
    return markdown


# -- forecasts -----------------------------------------------------------------------------------


def test_forecasts_are_listed_newest_first_page_by_page(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    oldest = seed_fake_season(c, category="mens_basics")
    fakes.clock.advance(60)
    middle = seed_fake_season(c)
    fakes.clock.advance(60)
    newest = seed_fake_season(c, category="mens_basics")

    first = results.list_forecasts(c, category_id=None, limit=2, cursor=None)
    assert [f.forecast_id for f in first.items] == [newest.forecast_id, middle.forecast_id]
    assert first.next_cursor is not None
    rest = results.list_forecasts(c, category_id=None, limit=2, cursor=first.next_cursor)
    assert [f.forecast_id for f in rest.items] == [oldest.forecast_id]
    assert rest.next_cursor is None


def test_forecasts_are_filtered_by_category(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    basics = seed_fake_season(c, category="mens_basics")
    fakes.clock.advance(60)
    seed_fake_season(c, category="womens_dresses")
    page = results.list_forecasts(c, category_id="mens_basics", limit=20, cursor=None)
    assert [f.forecast_id for f in page.items] == [basics.forecast_id]
    assert page.next_cursor is None
    none = results.list_forecasts(c, category_id="socks", limit=20, cursor=None)
    assert (none.items, none.next_cursor) == ([], None)


def test_a_foreign_cursor_is_refused(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    seed_fake_season(c)
    with pytest.raises(InvalidCursorError):
        results.list_forecasts(c, category_id=None, limit=1, cursor="not-a-cursor")


def test_a_forecast_comes_with_its_actuals_uploads_winning(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(c, actuals={1: 900.0, 2: 950.0})
    uploaded_actuals(fakes, season.forecast_id, 2, 1000)
    uploaded_actuals(fakes, season.forecast_id, 3, 1100)
    other = seed_fake_season(c)
    uploaded_actuals(fakes, other.forecast_id, 4, 7)  # another season's upload

    forecast, actuals, plan_version = results.get_forecast(c, season.forecast_id)
    assert (forecast, plan_version) == (season, 1)
    assert actuals == {1: 900.0, 2: 1000.0, 3: 1100.0}
    assert all(isinstance(v, float) for v in actuals.values())


def test_a_forecast_without_actuals_has_none(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c)
    assert results.get_forecast(c, season.forecast_id) == (season, {}, 1)


def test_an_unknown_forecast_is_not_found_everywhere(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    for read in (
        results.get_forecast,
        results.get_allocation,
        results.get_markdown,
        results.list_variance,
    ):
        with pytest.raises(NotFoundError, match="forecast nope not found"):
            read(c, "nope")
    with pytest.raises(NotFoundError, match="forecast nope not found"):
        results.get_variance(c, "nope", 1)


# -- allocation and markdown ---------------------------------------------------------------------


def test_the_allocation_of_a_forecast(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, manufacturing_qty=15_000, holdback=6_750)
    allocation, others, book = results.get_allocation(c, season.forecast_id)
    assert (others, book.ordered_approved_qty) == ([], 15_000)
    assert allocation.allocation_id == season.allocation_id
    assert allocation.forecast_id == season.forecast_id
    assert (
        allocation.season_demand,
        allocation.manufacturing_qty,
        allocation.holdback,
        allocation.initial_allocation,
    ) == (12_000.0, 15_000, 6_750, 8_250)


def extra_order(c: Container, season: ForecastRecord, units: int, status: AllocationStatus) -> str:
    base = c.records.get(ALLOCATION, season.allocation_id or "", AllocationRecord)
    record = base.model_copy(
        update={
            "allocation_id": c.ids.new_id(),
            "workflow_id": c.ids.new_id(),
            "replan": {},
            "extra_order_qty": units,
            "status": status,
        }
    )
    c.records.put(ALLOCATION, record.allocation_id, record)
    forecast = c.records.get(FORECAST, season.forecast_id, ForecastRecord)
    c.records.replace(
        FORECAST,
        season.forecast_id,
        forecast.model_copy(
            update={
                "allocation_id": record.allocation_id,
                "allocation_ids": [*forecast.allocation_ids, record.allocation_id],
                "revision": forecast.revision + 1,
            }
        ),
    )
    return record.allocation_id


def test_the_current_allocation_is_the_latest_approved(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, manufacturing_qty=15_000)
    approved = extra_order(c, season, 1_000, AllocationStatus.APPROVED)
    rejected = extra_order(c, season, 700, AllocationStatus.REJECTED)
    waiting = extra_order(c, season, 500, AllocationStatus.PROPOSED)
    current, others, book = results.get_allocation(c, season.forecast_id)
    assert (current.allocation_id, current.status) == (approved, AllocationStatus.APPROVED)
    assert [a.allocation_id for a in others] == [season.allocation_id, rejected, waiting]
    assert book.ordered_approved_qty == 16_000  # 15,000 + the approved 1,000 only
    view = AllocationView.of(current, others, book.ordered_approved_qty)
    assert [(a.allocation_id, a.order_units) for a in view.proposed] == [(waiting, 500)]
    assert [(a.allocation_id, a.kind) for a in view.rejected] == [(rejected, "extra_order")]
    assert (view.ordered_approved_qty, view.extra_order_qty) == (16_000, 1_000)


def test_before_the_order_is_approved_the_proposal_is_current(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, status=WorkflowStatus.AWAITING_APPROVAL)
    current, _, book = results.get_allocation(c, season.forecast_id)
    assert (current.status, book.ordered_approved_qty) == (AllocationStatus.PROPOSED, 0)


def test_a_forecast_without_an_allocation_says_so(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c)
    bare = season.model_copy(
        update={"forecast_id": "bare", "allocation_id": None, "allocation_ids": []}
    )
    c.records.put(FORECAST, "bare", bare)
    with pytest.raises(NotFoundError) as missing:
        results.get_allocation(c, "bare")
    assert missing.value.message == "forecast bare has no allocation yet"


def test_the_markdown_of_a_forecast(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c, checkpoint=6)
    with pytest.raises(NotFoundError) as missing:
        results.get_markdown(c, season.forecast_id)
    assert missing.value.message == f"forecast {season.forecast_id} has no markdown yet"
    markdown = with_markdown(c, season)  # stored without a status: read as proposed
    shown = results.get_markdown(c, season.forecast_id)
    assert shown == markdown.model_copy(update={"status": MarkdownStatus.PROPOSED})
    applied = markdown.model_copy(update={"applied": True, "revision": 2})
    c.records.replace(MARKDOWN, markdown.markdown_id, applied)
    assert results.get_markdown(c, season.forecast_id).status is MarkdownStatus.APPLIED


# -- variance ------------------------------------------------------------------------------------


def test_variance_rows_are_listed_by_week(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(c)
    fid = season.forecast_id
    assert results.list_variance(c, fid) == []
    third, first = variance_row(fid, 3, 0.25), variance_row(fid, 1, -0.05)
    fakes.in_season.save_variance(third)
    fakes.in_season.save_variance(first)
    other = seed_fake_season(c)
    fakes.in_season.save_variance(variance_row(other.forecast_id, 2, 0.0))
    assert results.list_variance(c, fid) == [first, third]


def test_the_variance_of_one_week(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(c)
    fid = season.forecast_id
    row = variance_row(fid, 12, 0.1)
    fakes.in_season.save_variance(row)
    assert results.get_variance(c, fid, 12) == row


def test_a_week_without_variance_is_not_found_with_the_reason(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    season = seed_fake_season(c)
    with pytest.raises(NotFoundError) as missing:
        results.get_variance(c, season.forecast_id, 4)
    assert missing.value.message == (
        f"no variance for week 4 of forecast {season.forecast_id} yet: no sales uploaded for "
        "that week, or its upload is still being processed"
    )


@pytest.mark.parametrize("week", [0, 13, -1])
def test_a_week_outside_the_season_is_refused(fc: tuple[Container, Fakes], week: int) -> None:
    c, _ = fc
    season = seed_fake_season(c)  # 12 weeks
    with pytest.raises(WeekOutOfSeasonError) as outside:
        results.get_variance(c, season.forecast_id, week)
    assert outside.value.code == "week_out_of_range"
    assert outside.value.message == (
        f"week {week} is outside the season of forecast {season.forecast_id} (1..12)"
    )
    assert outside.value.details == [{"field": "week", "message": "must be within 1..12"}]


@pytest.mark.parametrize(
    ("workflow_status", "expected"),
    [
        (WorkflowStatus.COMPLETED, AllocationStatus.APPROVED),
        (WorkflowStatus.CANCELLED, AllocationStatus.REJECTED),
        (WorkflowStatus.AWAITING_APPROVAL, AllocationStatus.PROPOSED),
    ],
)
def test_an_allocation_stored_before_statuses_reads_as_its_workflows_outcome(
    fc: tuple[Container, Fakes], workflow_status: WorkflowStatus, expected: AllocationStatus
) -> None:
    c, fakes = fc
    season = seed_fake_season(c, status=workflow_status)
    key = (ALLOCATION, season.allocation_id or "")
    body, revision, record = fakes.records.items[key]
    legacy = {k: v for k, v in json.loads(body).items() if k not in {"status", "status_reason"}}
    fakes.records.items[key] = (json.dumps(legacy), revision, record)  # as stored before
    current, _, book = results.get_allocation(c, season.forecast_id)
    assert current.status is expected
    assert book.ordered_approved_qty == (15_000 if expected is AllocationStatus.APPROVED else 0)
