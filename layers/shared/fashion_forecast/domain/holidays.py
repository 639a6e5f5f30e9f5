"""Moving holidays on a weekly grid (docs/domain.md, "Holidays").

"The same week last year" (lag 52, 364 days back) keeps the weekday but lets a holiday slide:
Christmas moves one weekday a year (two after a leap day), so the days before it split between
weeks differently each year; Thanksgiving (fourth Thursday of November) jumps a week every five
or six years; Easter moves by up to five weeks. Members that use last year's weeks ask
:func:`reference_positions` where, on last year's grid, the days that correspond to a week lie:

* a week whose start falls inside a holiday's window (days relative to the holiday that year)
  looks back by the holiday's own shift, ``holiday(year) - holiday(year - 1)`` days, instead of
  364; several windows: the holiday nearest the week's middle;
* any other week looks back 364 days (lag 52 exactly).

The same rule reads ``years`` years back (``lag_days(week, years)``,
``reference_positions(..., years)``): a holiday week looks back by
``holiday(year) - holiday(year - years)`` days, any other week by 364 x ``years`` (lag 52 x
``years``); the scaled seasonal naive reads two years back this way (Thanksgiving 2013's week
reads Thanksgiving 2011's, 735 days or 105 weeks back, where lag 104 would miss it by a week).

A shift that is not a whole number of weeks gives a fractional position: the value is read by
linear interpolation between the two weeks it straddles (a week 365 days back is 6/7 of lag 52
and 1/7 of lag 53). The same holidays give Prophet its regressors (:func:`holiday_features`):
the share of each holiday's key days that falls inside the week.

Pure standard library apart from ``dateutil.easter`` (a pandas dependency).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from dateutil.easter import easter

WEEK_DAYS = 7
YEAR_LAG_DAYS = 364
"""Lag 52: the default look-back, same weekday last year."""


def thanksgiving(year: int) -> dt.date:
    """US Thanksgiving: the fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=3)


def christmas(year: int) -> dt.date:
    return dt.date(year, 12, 25)


def easter_sunday(year: int) -> dt.date:
    return easter(year)


@dataclass(frozen=True)
class Holiday:
    """A moving holiday: its date in a year, the window (days relative to it) in which a week's
    start makes the week follow the holiday rather than the weekday, and the key days (relative
    to it) that Prophet's regressors count."""

    name: str
    date: Callable[[int], dt.date]
    window: tuple[int, int]
    key_days: tuple[tuple[str, int, int], ...]
    """(regressor name, first day, last day) relative to the holiday, inclusive."""


HOLIDAYS: tuple[Holiday, ...] = (
    Holiday(
        "thanksgiving",
        thanksgiving,
        window=(-10, 7),  # the week before, the week of, the week after (Cyber Monday)
        key_days=(("thanksgiving_weekend", 0, 3),),  # Thursday to Sunday
    ),
    Holiday(
        "christmas",
        christmas,
        window=(-24, 7),  # December's shopping weeks and the week after
        key_days=(
            ("christmas_minus_2w", -14, -8),
            ("christmas_minus_1w", -7, -1),
            ("christmas_week_after", 0, 6),
        ),
    ),
    Holiday(
        "easter",
        easter_sunday,
        window=(-13, 3),  # the week before Holy Week, Holy Week, the Easter weekend
        key_days=(("easter_weekend", -2, 0),),  # Good Friday to Easter Sunday
    ),
)


def _nearest(week_start: dt.date) -> tuple[Holiday, int] | None:
    """The holiday whose window holds this week start (the nearest one to the week's middle),
    with the year of that occurrence."""
    best: tuple[int, Holiday, int] | None = None
    for holiday in HOLIDAYS:
        for year in (week_start.year - 1, week_start.year, week_start.year + 1):
            day = holiday.date(year)
            offset = (week_start - day).days
            if holiday.window[0] <= offset <= holiday.window[1]:
                distance = abs(2 * offset + WEEK_DAYS)  # half-days from the week's middle
                if best is None or distance < best[0]:
                    best = (distance, holiday, year)
    return None if best is None else (best[1], best[2])


@lru_cache(maxsize=4096)
def lag_days(week_start: dt.date, years: int = 1) -> int:
    """Days back to the same days ``years`` years before: the holiday's own shift inside its
    window, else 364 per year (lag 52 per year)."""
    found = _nearest(week_start)
    if found is None:
        return YEAR_LAG_DAYS * years
    holiday, year = found
    return (holiday.date(year) - holiday.date(year - years)).days


def reference_positions(
    first_week: dt.date, targets: Sequence[dt.date], years: int = 1
) -> list[float]:
    """Position (weeks since ``first_week``, fractional) of the same days ``years`` years
    before for each target week start. Positions may fall outside the history; the caller
    decides what then."""
    out = []
    for target in targets:
        position = (target - first_week).days / WEEK_DAYS
        out.append(position - lag_days(target, years) / WEEK_DAYS)
    return out


def holiday_features(week_starts: Sequence[dt.date]) -> dict[str, list[float]]:
    """Per key-day group: the share of its days that fall inside each week [start, start+7)."""
    rows = [_week_features(start) for start in week_starts]
    return {name: [row[i] for row in rows] for i, name in enumerate(FEATURE_NAMES)}


FEATURE_NAMES: tuple[str, ...] = tuple(
    name for holiday in HOLIDAYS for name, _, _ in holiday.key_days
)


@lru_cache(maxsize=4096)
def _week_features(start: dt.date) -> tuple[float, ...]:
    end = start + dt.timedelta(days=WEEK_DAYS - 1)
    row = []
    for holiday in HOLIDAYS:
        for _, first, last in holiday.key_days:
            inside = 0
            for year in {start.year, end.year}:
                day = holiday.date(year)
                lo = max(start, day + dt.timedelta(days=first))
                hi = min(end, day + dt.timedelta(days=last))
                inside += max(0, (hi - lo).days + 1)
            row.append(inside / (last - first + 1))
    return tuple(row)
