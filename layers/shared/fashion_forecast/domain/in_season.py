"""In-season rules around the variance check: which weeks an upload lets us evaluate, what each
week is compared against, and which flows to start. Pure (standard library + domain.variance).

Choices made here (docs/domain.md "Variance and re-forecast" leaves them open)
-------------------------------------------------------------------------
1. **Out-of-order weeks.** The variance of week n needs the actuals of weeks 1..n. An upload's
   actuals are always stored; a week whose earlier weeks are not all in is recorded as
   ``pending`` with the missing weeks listed. When an upload fills the gap, every week from
   the earliest week the upload touched (or the earliest pending week) up to the last complete
   week is evaluated again, in order; the same happens when an upload corrects an earlier
   week, since every later cumulative changes with it.
2. **What week n is compared against: the plan in effect.** Before any re-forecast that is the
   pre-season forecast, exactly docs/domain.md's ``(actual_cum - forecast_cum) / forecast_cum``.
   A re-forecast made after week k replaces the plan: weeks 1..k are what was sold (the
   Inventory agent's "need = actual so far + new remaining forecast" uses the same plan) and
   weeks k+1.. are the re-forecast's curve. Week n > k is then measured against that plan: the
   actuals of 1..k plus the curve's weeks k+1..n. Without this the early bias that already
   caused a re-forecast would trigger another one every following week. Versions that do not
   look at actuals (the markdown lift) keep the anchor k of the version they were made from.
   The plan for week n is the latest version *in effect* whose anchor is before n. In effect:
   its order was approved, or it needed no approval (a re-forecast with no extra order, an
   applied markdown's lift). A re-forecast whose extra order awaits approval, or was rejected,
   is a demand view only: the caller leaves it out of ``versions``
   (app.plan.curve_versions).
3. **One action per upload, on the latest complete week.** Only the latest week evaluated by
   an upload can start a re-forecast (with weeks 1..n); an earlier week of the same upload that
   was over the threshold is recorded as superseded by it. No re-forecast is started in the
   last week of the season (nothing remains to re-forecast). A re-forecast is started at most
   once per forecast and week, whatever the number of uploads (the execution name is derived
   from both).
4. **Markdown checkpoint.** When the checkpoint week is evaluated (weeks 1..c complete), the
   markdown flow starts with ``sold_to_date`` = actual units of weeks 1..c; at most once per
   forecast (one markdown per season). When a re-forecast is due in the same upload, the
   re-forecast starts first and the markdown flow once the re-forecast is waiting for its
   approval or has finished, so the two flows never update the forecast at the same time.
   The markdown counts the re-forecast's extra order only once it is approved and uses its
   curve only once it is in effect (rule 2).
5. **Re-forecast from the plan in effect** (``reforecast_from_plan``): the re-forecast of
   week n starts from the plan week n was measured against, so its observed ratio is the
   variance row's figure (domain.variance docstring 5) and its factor multiplies that plan's
   remaining weeks; a plan that is a markdown's lift uses the lift observed since (6).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.exact import Number
from fashion_forecast.domain.variance import (
    DEFAULT_PRIOR_WEEKS,
    MarkdownLift,
    ReforecastResult,
    VarianceResult,
    cumulative_variance,
    reforecast_remaining,
)


@dataclass(frozen=True)
class CurveVersion:
    """One version of the season curve and the weeks 1..anchor_week it was fitted to; a
    markdown's lift version also says what it assumed (``markdown``)."""

    version: int
    anchor_week: int
    weekly: Sequence[float]
    markdown: MarkdownLift | None = None


@dataclass(frozen=True)
class EvaluationPlan:
    evaluate: list[int]
    pending: dict[int, list[int]]  # week -> missing earlier weeks
    complete_through: int


def complete_through(actual_weeks: Collection[int]) -> int:
    """The largest n with weeks 1..n all present (0 when week 1 is missing)."""
    n = 0
    while n + 1 in actual_weeks:
        n += 1
    return n


def plan_evaluation(
    actual_weeks: Collection[int], touched: Collection[int], pending: Collection[int]
) -> EvaluationPlan:
    """Weeks to evaluate now and weeks left pending (rule 1)."""
    done = complete_through(actual_weeks)
    candidates = set(touched) | set(pending)
    if not candidates:
        return EvaluationPlan([], {}, done)
    start = min(candidates)
    evaluate = list(range(start, done + 1))
    still = {
        w: [m for m in range(1, w) if m not in actual_weeks] for w in sorted(candidates) if w > done
    }
    return EvaluationPlan(evaluate, still, done)


def plan_for_week(
    versions: Sequence[CurveVersion], actuals: Mapping[int, float], week: int
) -> tuple[CurveVersion, list[float]]:
    """The plan weeks 1..`week` are compared against (rule 2) and the version it comes from."""
    eligible = [v for v in versions if v.anchor_week < week]
    if not eligible:
        raise DomainError(f"no forecast version applies to week {week}")
    version = max(eligible, key=lambda v: v.version)
    if len(version.weekly) < week:
        raise DomainError(f"forecast version {version.version} has no week {week}")
    missing = [w for w in range(1, min(version.anchor_week, week) + 1) if w not in actuals]
    if missing:
        raise DomainError(
            f"forecast version {version.version} takes weeks 1..{version.anchor_week} as sold, "
            f"but the sales of week(s) {', '.join(map(str, missing))} are not known"
        )
    plan = [
        float(actuals[w]) if w <= version.anchor_week else float(version.weekly[w - 1])
        for w in range(1, week + 1)
    ]
    return version, plan


def reforecast_from_plan(
    versions: Sequence[CurveVersion],
    actuals: Mapping[int, float],
    week: int,
    *,
    prior_weeks: Number = DEFAULT_PRIOR_WEEKS,
) -> tuple[CurveVersion, ReforecastResult]:
    """Re-forecast weeks week+1..H from the plan in effect for `week` (rule 5): the version
    the variance of `week` is measured against, and the re-forecast of its remaining weeks."""
    version, _ = plan_for_week(versions, actuals, week)
    observed = [float(actuals[w]) for w in range(1, week + 1)]
    result = reforecast_remaining(
        version.weekly,
        observed,
        anchor_week=version.anchor_week,
        prior_weeks=prior_weeks,
        markdown=version.markdown,
    )
    return version, result


@dataclass(frozen=True)
class WeekVariance:
    week: int
    version: CurveVersion
    plan: list[float]
    result: VarianceResult


def evaluate_week(
    versions: Sequence[CurveVersion],
    actuals: Mapping[int, float],
    week: int,
    variance_threshold: float,
) -> WeekVariance:
    version, plan = plan_for_week(versions, actuals, week)
    observed = [float(actuals[w]) for w in range(1, week + 1)]
    result = cumulative_variance(observed, plan, variance_threshold=variance_threshold)
    return WeekVariance(week, version, plan, result)


@dataclass(frozen=True)
class Actions:
    reforecast_week: int | None
    markdown_week: int | None
    superseded: list[int]


def decide_actions(
    evaluated: Sequence[WeekVariance],
    *,
    horizon_weeks: int,
    checkpoint_week: int | None,
    markdown_done: bool,
) -> Actions:
    """Rules 3 and 4 over the weeks one upload evaluated (ascending)."""
    if not evaluated:
        return Actions(None, None, [])
    latest = evaluated[-1]
    reforecast = latest.week if latest.result.triggered and latest.week < horizon_weeks else None
    superseded = [e.week for e in evaluated[:-1] if e.result.triggered]
    markdown = (
        checkpoint_week
        if checkpoint_week is not None
        and not markdown_done
        and any(e.week == checkpoint_week for e in evaluated)
        else None
    )
    return Actions(reforecast, markdown, superseded)
