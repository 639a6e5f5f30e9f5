"""EventLog: each workflow's events numbered 1, 2, 3, ... without gaps, read back in pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.models.events import (
    AgentCompleted,
    AgentProgress,
    AgentStarted,
    ErrorEvent,
    Event,
    HumanInputRequired,
    WorkflowComplete,
)
from fashion_forecast.ports import MAX_EVENT_PAGE

EXPIRES = dt.datetime(2025, 3, 5, 9, 0, 0, 512331, tzinfo=dt.UTC)


def progress(workflow_id: str, n: int) -> AgentProgress:
    return AgentProgress(workflow_id=workflow_id, agent="demand", message=f"m{n}", progress_pct=n)


def one_of_each(workflow_id: str) -> list[Event]:
    return [
        AgentStarted(workflow_id=workflow_id, agent="demand", message="go"),
        progress(workflow_id, 25),
        AgentCompleted(
            workflow_id=workflow_id,
            agent="demand",
            message="done",
            duration_seconds=1.84,
            result={"forecast_id": "f-1", "total_demand": 64187.67, "weeks": [1, 2]},
        ),
        HumanInputRequired(
            workflow_id=workflow_id,
            action="manufacturing_approval",
            message="approve",
            approval_id="ap-1",
            data={"manufacturing_qty": 80235},
            options=["accept", "modify", "reject"],
            expires_at=EXPIRES,
        ),
        ErrorEvent(workflow_id=workflow_id, agent=None, error_message="boom"),
        WorkflowComplete(workflow_id=workflow_id, status="cancelled", message="cancelled"),
    ]


def content(event: Event) -> dict[str, Any]:
    """What the appender chose: all but the sequence and timestamp the log assigns."""
    return event.model_dump(exclude={"sequence", "timestamp"})


def sequences(page: Any) -> list[int]:
    return [e.sequence for e in page.events]


def test_appends_are_numbered_per_workflow_without_gaps(event_log: Any) -> None:
    stored = [event_log.append(progress("wf-a", i)) for i in range(3)]
    other = event_log.append(AgentStarted(workflow_id="wf-b", agent="demand", message="go"))
    stored.append(event_log.append(progress("wf-a", 3)))
    assert [e.sequence for e in stored] == [1, 2, 3, 4]
    assert other.sequence == 1
    assert [content(e) for e in stored] == [content(progress("wf-a", i)) for i in range(4)]


def test_the_log_assigns_the_sequence_and_timestamp(event_log: Any) -> None:
    claimed = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    stored = event_log.append(progress("wf-a", 1).model_copy(update={"sequence": 7}))
    later = event_log.append(progress("wf-a", 2).model_copy(update={"timestamp": claimed}))
    assert (stored.sequence, later.sequence) == (1, 2)
    # all that both the fake (its clock) and DynamoDB (the wall clock) guarantee about a time:
    # UTC, and not before the previous event's
    assert stored.timestamp.utcoffset() == dt.timedelta(0)
    assert later.timestamp >= stored.timestamp and later.timestamp != claimed


def test_every_kind_of_event_reads_back_as_appended(event_log: Any) -> None:
    stored = [event_log.append(event) for event in one_of_each("wf-a")]
    page = event_log.after("wf-a")
    assert page.events == stored
    assert [type(e) for e in page.events] == [type(e) for e in one_of_each("wf-a")]
    assert (page.has_more, page.last_sequence) == (False, 6)


def test_after_pages_from_a_sequence(event_log: Any) -> None:
    for i in range(5):
        event_log.append(progress("wf-a", i))
    event_log.append(progress("wf-b", 9))
    page = event_log.after("wf-a", since=1, limit=2)
    assert (sequences(page), page.has_more, page.last_sequence) == ([2, 3], True, 3)
    rest = event_log.after("wf-a", since=3, limit=2)
    assert (sequences(rest), rest.has_more, rest.last_sequence) == ([4, 5], False, 5)
    whole = event_log.after("wf-a", since=0, limit=5)  # exactly the rest: nothing more
    assert (sequences(whole), whole.has_more) == ([1, 2, 3, 4, 5], False)
    assert [e.message for e in whole.events] == ["m0", "m1", "m2", "m3", "m4"]


def test_after_the_last_event_there_is_nothing(event_log: Any) -> None:
    for i in range(3):
        event_log.append(progress("wf-a", i))
    for since in (3, 4, 100):
        empty = event_log.after("wf-a", since=since)
        assert (empty.events, empty.has_more, empty.last_sequence) == ([], False, None)
    unknown = event_log.after("wf-none")
    assert (unknown.events, unknown.has_more, unknown.last_sequence) == ([], False, None)


def test_following_last_sequence_reads_the_whole_log_once(event_log: Any) -> None:
    stored = [event_log.append(progress("wf-a", i)) for i in range(7)]
    seen: list[Any] = []
    since, more = 0, True
    while more:
        page = event_log.after("wf-a", since=since, limit=3)
        seen += page.events
        more = page.has_more
        since = page.last_sequence or since
    assert seen == stored


def test_limits_at_the_bounds_are_accepted(event_log: Any) -> None:
    for i in range(3):
        event_log.append(progress("wf-a", i))
    assert sequences(event_log.after("wf-a", limit=1)) == [1]
    assert event_log.after("wf-a", limit=1).has_more is True
    assert sequences(event_log.after("wf-a", limit=MAX_EVENT_PAGE)) == [1, 2, 3]


@pytest.mark.parametrize(
    ("since", "limit"),
    [(-1, 10), (0, 0), (0, -1), (0, MAX_EVENT_PAGE + 1)],
    ids=["since-negative", "limit-0", "limit-negative", "limit-too-big"],
)
def test_out_of_range_arguments_are_value_errors(event_log: Any, since: int, limit: int) -> None:
    event_log.append(progress("wf-a", 1))
    with pytest.raises(ValueError):
        event_log.after("wf-a", since=since, limit=limit)
