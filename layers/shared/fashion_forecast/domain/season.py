"""Where a season sits on the history's weekly grid (docs/domain.md, "Season start").

Pure standard library: the API checks a request with these rules before it starts a workflow,
and the Demand agent uses the same ones to cut the season out of the forecast.

The forecaster forecasts from the week after the last history week; the season's week 1 is
the forecast week the start date falls in (a Wednesday start takes the curve of the week that
began the Monday before). So a season must start after the history ends, and its last week
must lie within MAX_HORIZON_WEEKS weeks of the history.
"""

from __future__ import annotations

import datetime as dt

from fashion_forecast.constants import MAX_HORIZON_WEEKS, MIN_HISTORY_WEEKS
from fashion_forecast.domain.errors import DomainError, InsufficientHistoryError
from fashion_forecast.models.parameters import next_monday


class SeasonOutOfReachError(DomainError):
    code = "season_out_of_range"


def season_offset(last_history_week: dt.date, season_start: dt.date, horizon_weeks: int) -> int:
    """Weeks between the first forecast week (the week after the history) and the forecast
    week the season starts in."""
    first_forecast_week = last_history_week + dt.timedelta(weeks=1)
    days = (season_start - first_forecast_week).days
    if days < 0:
        raise SeasonOutOfReachError(
            f"the season starts on {season_start}, before the history ends (its last week "
            f"starts {last_history_week}); plan a season that starts after the history",
            details=[{"field": "parameters.season_start_date", "message": "before the history"}],
        )
    offset = days // 7  # the forecast week the start date falls in
    if offset + horizon_weeks > MAX_HORIZON_WEEKS:
        raise SeasonOutOfReachError(
            f"the history's last week starts {last_history_week}, {offset} weeks before the "
            f"season: forecasting {offset + horizon_weeks} weeks ahead exceeds "
            f"{MAX_HORIZON_WEEKS}; upload more recent sales history or start the season earlier",
            details=[{"field": "parameters.season_start_date", "message": "too far ahead"}],
        )
    return offset


def default_season_start(last_history_week: dt.date, horizon_weeks: int, today: dt.date) -> dt.date:
    """Next Monday when a season starting then can be forecast from the history; otherwise
    the Monday after the history's last week (the first week that can be forecast)."""
    monday = next_monday(today)
    first_forecast_week = last_history_week + dt.timedelta(weeks=1)
    if monday >= first_forecast_week:
        offset = (monday - first_forecast_week).days // 7
        if offset + horizon_weeks <= MAX_HORIZON_WEEKS:
            return monday
    return first_forecast_week


def check_history_length(weeks: int, category_id: str) -> None:
    """A forecast needs MIN_HISTORY_WEEKS weeks of history (docs/domain.md, "Demand agent")."""
    if weeks < MIN_HISTORY_WEEKS:
        raise InsufficientHistoryError(
            f"category {category_id} has {weeks} weeks of history; a forecast needs at least "
            f"{MIN_HISTORY_WEEKS}",
            details=[{"field": "category_id", "message": "not enough history"}],
        )
