"""Where a season sits on the history's weekly grid (domain/season.py; docs/domain.md, "Season
start"). Bundled sample data: last history week 2025-02-24, so the first forecast week is
2025-03-03."""

from __future__ import annotations

import datetime as dt

import pytest

from fashion_forecast.domain.season import SeasonOutOfReachError, season_offset

LAST = dt.date(2025, 2, 24)


@pytest.mark.parametrize(
    ("start", "offset"),
    [
        (dt.date(2025, 3, 3), 0),
        (dt.date(2025, 3, 5), 0),  # a Wednesday start forecasts the week it falls in
        (dt.date(2025, 3, 9), 0),
        (dt.date(2025, 3, 10), 1),
        (dt.date(2025, 3, 11), 1),
        (dt.date(2025, 12, 8), 40),
        (dt.date(2025, 12, 14), 40),  # inside the latest reachable week
    ],
)
def test_a_season_starts_in_the_forecast_week_its_start_falls_in(
    start: dt.date, offset: int
) -> None:
    assert season_offset(LAST, start, 12) == offset


@pytest.mark.parametrize(
    ("start", "detail"),
    [(dt.date(2025, 3, 2), "before the history"), (dt.date(2025, 12, 15), "too far ahead")],
)
def test_a_season_out_of_reach_is_refused(start: dt.date, detail: str) -> None:
    with pytest.raises(SeasonOutOfReachError) as refused:
        season_offset(LAST, start, 12)
    assert refused.value.details[0]["message"] == detail
