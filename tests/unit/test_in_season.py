"""In-season rules: which weeks an upload evaluates, the plan in effect, and the actions."""

from __future__ import annotations

import pytest

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.in_season import (
    CurveVersion,
    complete_through,
    decide_actions,
    evaluate_week,
    plan_evaluation,
    plan_for_week,
)

FLAT = CurveVersion(version=1, anchor_week=0, weekly=[1000.0] * 12)


def test_complete_through() -> None:
    assert complete_through(set()) == 0
    assert complete_through({2, 3}) == 0
    assert complete_through({1, 2, 4}) == 2


def test_in_order_upload_evaluates_its_week_only() -> None:
    plan = plan_evaluation({1, 2, 3}, touched={3}, pending=set())
    assert (plan.evaluate, plan.pending, plan.complete_through) == ([3], {}, 3)


def test_out_of_order_weeks_wait_then_fill() -> None:
    first = plan_evaluation({3}, touched={3}, pending=set())
    assert (first.evaluate, first.pending) == ([], {3: [1, 2]})
    second = plan_evaluation({1, 3}, touched={1}, pending={3})
    assert (second.evaluate, second.pending) == ([1], {3: [2]})
    third = plan_evaluation({1, 2, 3}, touched={2}, pending={3})
    assert (third.evaluate, third.pending) == ([2, 3], {})


def test_a_correction_re_evaluates_the_later_weeks() -> None:
    plan = plan_evaluation({1, 2, 3, 4}, touched={2}, pending=set())
    assert plan.evaluate == [2, 3, 4]


def test_plan_before_and_after_a_reforecast() -> None:
    v2 = CurveVersion(version=2, anchor_week=4, weekly=[1000.0] * 4 + [1200.0] * 8)
    actuals = {1: 1300, 2: 1300, 3: 1300, 4: 1300, 5: 1250}
    version, plan = plan_for_week([FLAT, v2], actuals, 4)
    assert version.version == 1 and plan == [1000.0] * 4
    version, plan = plan_for_week([FLAT, v2], actuals, 5)
    assert version.version == 2 and plan == [1300.0] * 4 + [1200.0]
    after = evaluate_week([FLAT, v2], actuals, 5, 0.2)
    assert (after.result.actual_cum, after.result.forecast_cum) == (6450.0, 6400.0)
    assert after.result.display == "+0.8%" and not after.result.triggered
    with pytest.raises(DomainError):
        plan_for_week([v2], actuals, 3)


def test_exact_variance_example() -> None:
    e = evaluate_week([FLAT], {1: 1000, 2: 1500}, 2, 0.2)
    assert (e.result.actual_cum, e.result.forecast_cum, e.result.variance_rounded) == (
        2500.0,
        2000.0,
        0.25,
    )
    assert e.result.triggered and not e.result.emergency


def test_actions_act_on_the_latest_week_only() -> None:
    actuals = {1: 1500, 2: 700, 3: 1500}  # +50%, +10%, +23.3%
    evaluated = [evaluate_week([FLAT], actuals, w, 0.2) for w in (1, 2, 3)]
    actions = decide_actions(evaluated, horizon_weeks=12, checkpoint_week=2, markdown_done=False)
    assert (actions.reforecast_week, actions.markdown_week, actions.superseded) == (3, 2, [1])
    done = decide_actions(evaluated, horizon_weeks=12, checkpoint_week=2, markdown_done=True)
    assert done.markdown_week is None


def test_no_reforecast_in_the_last_week_and_none_within_threshold() -> None:
    over = [evaluate_week([FLAT], dict.fromkeys(range(1, 13), 1500), 12, 0.2)]
    assert decide_actions(over, horizon_weeks=12, checkpoint_week=None, markdown_done=False) == (
        decide_actions([], horizon_weeks=12, checkpoint_week=None, markdown_done=False)
    )
    within = [evaluate_week([FLAT], {1: 1200}, 1, 0.2)]  # exactly 20%: not over
    assert (
        decide_actions(
            within, horizon_weeks=12, checkpoint_week=None, markdown_done=False
        ).reforecast_week
        is None
    )
