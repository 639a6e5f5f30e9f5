"""The read-side use cases on the fakes: app.results (forecasts, allocations, markdowns,
variance rows) and app.readiness."""

from __future__ import annotations

import pytest

from fashion_forecast.app import in_season, readiness, results
from fashion_forecast.models.forecasts import FORECAST
from fashion_forecast.ports import Container, InvalidCursorError, NotFoundError
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    process_object,
    put_weekly_object,
    seed_fake_season,
    seed_sample_stores,
    weekly_sales_csv,
)


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    c, fakes = fake_container()
    seed_sample_stores(fakes)
    return c, fakes


def test_a_forecast_with_its_actuals_allocation_and_markdown(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(c, actuals={1: 900.0})
    key = put_weekly_object(
        fakes, season.forecast_id, 2, "20250317T090000000000-aaaaaaaa", weekly_sales_csv(2, 20)
    )
    process_object(c, fakes, key)
    forecast, actuals = results.get_forecast(c, season.forecast_id)
    assert forecast.forecast_id == season.forecast_id
    assert actuals == {1: 900.0, 2: 1000.0}  # re-forecast actuals, then the uploads
    assert results.get_allocation(c, season.forecast_id).manufacturing_qty == 15_000
    with pytest.raises(NotFoundError, match="has no markdown yet"):
        results.get_markdown(c, season.forecast_id)
    bare = season.model_copy(update={"forecast_id": "bare", "allocation_id": None})
    c.records.put(FORECAST, "bare", bare)
    with pytest.raises(NotFoundError, match="has no allocation yet"):
        results.get_allocation(c, "bare")
    with pytest.raises(NotFoundError):
        results.get_forecast(c, "nope")


def test_variance_rows_of_a_season(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    season = seed_fake_season(c)
    fid = season.forecast_id
    assert results.list_variance(c, fid) == []
    with pytest.raises(NotFoundError, match="no variance for week 1"):
        results.get_variance(c, fid, 1)
    key = put_weekly_object(
        fakes, fid, 1, "20250310T090000000000-aaaaaaaa", weekly_sales_csv(1, 20)
    )
    process_object(c, fakes, key)
    assert [r.week for r in results.list_variance(c, fid)] == [1]
    assert results.get_variance(c, fid, 1).actual_cumulative == 1000.0
    with pytest.raises(in_season.WeekOutOfSeasonError) as outside:
        results.get_variance(c, fid, 13)
    assert outside.value.details == [{"field": "week", "message": "must be within 1..12"}]
    with pytest.raises(NotFoundError):
        results.list_variance(c, "nope")


def test_forecasts_are_listed_newest_first(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    first = seed_fake_season(c, category="mens_basics")
    fakes.clock.advance(60)
    second = seed_fake_season(c)
    page = results.list_forecasts(c, category_id=None, limit=1, cursor=None)
    assert [f.forecast_id for f in page.items] == [second.forecast_id]
    rest = results.list_forecasts(c, category_id=None, limit=1, cursor=page.next_cursor)
    assert [f.forecast_id for f in rest.items] == [first.forecast_id]
    basics = results.list_forecasts(c, category_id="mens_basics", limit=5, cursor=None)
    assert [f.forecast_id for f in basics.items] == [first.forecast_id]
    with pytest.raises(InvalidCursorError):
        results.list_forecasts(c, category_id=None, limit=1, cursor="x")


def test_readiness_reports_each_dependency(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    assert readiness.readiness(c) == {"dynamodb": "ok", "state_machine": "ok"}
    fakes.workflows.reachable = False
    fakes.state_machine.exists = False
    assert readiness.readiness(c) == {
        "dynamodb": "DynamoDB unreachable (fake)",
        "state_machine": "state machine does not exist",
    }
