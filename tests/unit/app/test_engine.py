"""app.engine on the fakes: the payloads the API sends the Demand function, its refusals as
EngineRefusedError, and the in-place markdown analysis (docs/domain.md, "Pricing agent")."""

from __future__ import annotations

from typing import Any

import pytest

from fashion_forecast.app import engine
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.ports import Container, UnavailableError
from tests.fakes import Fakes, fake_container

HISTORY = [
    {"week_start": "2024-01-01", "units": 120.0},
    {"week_start": "2024-01-08", "units": 135.5},
]
REFUSAL_DETAILS = [{"field": "history", "message": "at least 26 weeks"}]


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def refusing(details: list[dict[str, Any]] | None) -> Any:
    def handler(payload: dict[str, Any]) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": "insufficient_history",
            "message": "need at least 26 weeks of history, got 2",
        }
        if details is not None:
            error["details"] = details
        return {"error": error}

    return handler


# -- what is sent --------------------------------------------------------------------------------


def test_a_series_forecast_is_sent_to_the_demand_function(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    answer = {"weekly": [{"week": 1, "forecast": 130.0}], "total": 130.0}
    fakes.demand_function.handler = lambda payload: answer
    assert engine.forecast_series(c, HISTORY, 4) == answer
    assert fakes.demand_function.payloads == [
        {"mode": "engine_forecast", "history": HISTORY, "horizon_weeks": 4}
    ]


def test_an_allocation_is_sent_with_the_request_beside_the_mode(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    fakes.demand_function.handler = lambda payload: {"manufacturing_qty": 9600}
    request = {"season_demand": 8000, "parameters": {"replenishment_strategy": "weekly"}}
    assert engine.allocate_order(c, request) == {"manufacturing_qty": 9600}
    assert fakes.demand_function.payloads == [
        {
            "mode": "engine_allocate",
            "season_demand": 8000,
            "parameters": {"replenishment_strategy": "weekly"},
        }
    ]


def test_an_answer_with_an_empty_error_is_an_answer(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.demand_function.handler = lambda payload: {"error": None, "total": 1.0}
    assert engine.forecast_series(c, HISTORY, 1) == {"error": None, "total": 1.0}


# -- refusals and failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: engine.forecast_series(c, HISTORY, 4),
        lambda c: engine.allocate_order(c, {"season_demand": 8000}),
    ],
    ids=["forecast", "allocate"],
)
def test_a_refusal_is_raised_with_the_engines_code_message_and_details(
    fc: tuple[Container, Fakes], call: Any
) -> None:
    c, fakes = fc
    fakes.demand_function.handler = refusing(REFUSAL_DETAILS)
    with pytest.raises(engine.EngineRefusedError) as refused:
        call(c)
    assert isinstance(refused.value, DomainError)
    assert refused.value.code == "insufficient_history"
    assert refused.value.message == "need at least 26 weeks of history, got 2"
    assert str(refused.value) == "need at least 26 weeks of history, got 2"
    assert refused.value.details == REFUSAL_DETAILS


@pytest.mark.parametrize("details", [None, []])
def test_a_refusal_without_details_has_none(
    fc: tuple[Container, Fakes], details: list[dict[str, Any]] | None
) -> None:
    c, fakes = fc
    fakes.demand_function.handler = refusing(details)
    with pytest.raises(engine.EngineRefusedError) as refused:
        engine.forecast_series(c, HISTORY, 4)
    assert refused.value.details == []


def test_a_refusal_code_is_per_instance(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.demand_function.handler = refusing(None)
    with pytest.raises(engine.EngineRefusedError):
        engine.forecast_series(c, HISTORY, 4)
    assert engine.EngineRefusedError.code == DomainError.code == "domain_error"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: engine.forecast_series(c, HISTORY, 4),
        lambda c: engine.allocate_order(c, {"season_demand": 8000}),
    ],
    ids=["forecast", "allocate"],
)
def test_a_demand_function_that_cannot_run_is_unavailable(
    fc: tuple[Container, Fakes], call: Any
) -> None:
    c, fakes = fc
    fakes.demand_function.reachable = False
    with pytest.raises(UnavailableError) as unavailable:
        call(c)
    assert not isinstance(unavailable.value, engine.EngineRefusedError)
    assert unavailable.value.message == "Lambda DemandFunction failed (fake)"
    assert len(fakes.demand_function.payloads) == 1


# -- markdown analysis (pure, in place) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sold", "markdown", "steps", "capped"),
    [
        (5800, 0.05, 1, False),
        (5500, 0.10, 2, False),
        (5200, 0.15, 3, False),
        (5000, 0.20, 4, False),
        (4000, 0.40, 8, False),  # 0.20 x 2 reaches the 40% ceiling exactly
        (3500, 0.40, 8, True),  # 0.25 x 2 = 50%: cut to 40%
        (6300, 0.0, 0, False),
    ],
    ids=["58%", "55%", "52%", "50%", "40%-at-cap", "35%-capped", "63%-none"],
)
def test_the_markdown_follows_the_domain_table_at_the_default_elasticity(
    fc: tuple[Container, Fakes], sold: int, markdown: float, steps: int, capped: bool
) -> None:
    _, fakes = fc
    result = engine.analyze_markdown(sold, 10_000, 0.60, None)
    assert result.elasticity == 2.0
    assert result.sell_through == sold / 10_000
    assert result.markdown_pct == markdown
    assert result.markdown_steps == steps
    assert result.apply_markdown is (markdown > 0)
    assert result.capped is capped
    assert result.expected_lift == pytest.approx(2.0 * markdown)
    assert result.overridden is False and result.checkpoint_week is None
    assert fakes.demand_function.payloads == []  # no Demand call


def test_the_markdown_at_the_domain_example_states_its_reasoning() -> None:
    result = engine.analyze_markdown(5500, 10_000, 0.60, None)
    assert result.gap == pytest.approx(0.05)
    assert (result.markdown_pct, result.expected_lift) == (0.1, 0.2)
    assert result.reasoning == (
        "Projected season-end sell-through is 55.0% (5,500 sold + 0 still planned, of 10,000 "
        "units ordered and approved) against a 60.0% target; the gap of 5.0 points x "
        "elasticity 2 = 10.0%, rounded to the nearest 5% -> 10%; expected demand lift on the "
        "remaining weeks +20% (elasticity 2 x 10%)."
    )


def test_no_markdown_is_needed_when_the_target_is_met() -> None:
    result = engine.analyze_markdown(6300, 10_000, 0.60, None)
    assert (result.markdown_pct, result.expected_lift, result.apply_markdown) == (0.0, 0.0, False)
    assert result.gap == pytest.approx(-0.03)
    assert "the target is met, so no markdown is needed" in result.reasoning


@pytest.mark.parametrize(
    ("sold", "elasticity", "markdown"),
    [
        (5500, 1.0, 0.05),  # 0.05 x 1 = 5%
        (5500, 3.0, 0.15),  # 0.05 x 3 = 15%
        (5800, 3.0, 0.05),  # 0.02 x 3 = 6% -> 5%
        (5200, 3.0, 0.25),  # 0.08 x 3 = 24% -> 25%
        (4500, 3.0, 0.40),  # 0.15 x 3 = 45% -> capped at 40%
        (5500, 2.0, 0.10),  # an explicit 2.0 is the default
    ],
)
def test_a_given_elasticity_is_used(sold: int, elasticity: float, markdown: float) -> None:
    result = engine.analyze_markdown(sold, 10_000, 0.60, elasticity)
    assert result.elasticity == elasticity
    assert result.markdown_pct == markdown
    assert result.expected_lift == pytest.approx(elasticity * markdown)


@pytest.mark.parametrize("elasticity", [0.0, 0.5, 3.5])
def test_an_elasticity_outside_1_to_3_is_refused(elasticity: float) -> None:
    with pytest.raises(DomainError, match=r"elasticity must be between 1\.0 and 3\.0"):
        engine.analyze_markdown(5500, 10_000, 0.60, elasticity)


def test_another_target_moves_the_gap() -> None:
    result = engine.analyze_markdown(5500, 10_000, 0.70, None)  # gap 0.15 x 2 = 30%
    assert result.markdown_pct == 0.3
    assert result.markdown_threshold == 0.7
