"""app.parameters (language model, then the rules) and app.engine (the API's side of the
engine endpoints) on the fakes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.app import engine
from fashion_forecast.app.parameters import extract_parameters
from fashion_forecast.extraction.models import InvalidExtractionInput
from fashion_forecast.extraction.rules import extract_with_rules
from fashion_forecast.ports import LanguageModelUnavailable, UnavailableError
from tests.fakes import FakeLanguageModel, fake_container

TODAY = dt.date(2025, 2, 12)
ZARA = "12-week season, no replenishment, ship everything up front, markdown check at week 6"


@pytest.mark.parametrize("text", ["", "  \n", "x" * 4001])
def test_blank_or_long_text_is_refused_before_any_model_call(text: str) -> None:
    model = FakeLanguageModel()
    with pytest.raises(InvalidExtractionInput):
        extract_parameters(model, text, TODAY)
    assert model.calls == []


def test_the_models_answer_is_returned_as_it_is() -> None:
    answer = extract_with_rules(ZARA, TODAY).model_copy(update={"source": "llm"})
    model = FakeLanguageModel(result=answer)
    assert extract_parameters(model, ZARA, TODAY) is answer
    assert model.calls == [(ZARA, TODAY)]


def test_without_a_key_the_rules_answer_and_say_why() -> None:
    result = extract_parameters(FakeLanguageModel(), ZARA, TODAY)
    assert result.source == "rules"
    assert result.parameters.forecast_horizon_weeks == 12
    assert result.parameters.markdown_checkpoint_week == 6
    assert "Answered by the deterministic rules: no OpenAI API key is configured." in (
        result.reasoning
    )


def test_a_failed_model_call_falls_back_to_the_rules() -> None:
    failed = FakeLanguageModel(unavailable=LanguageModelUnavailable("the OpenAI request timed out"))
    result = extract_parameters(failed, ZARA, TODAY)
    assert result.source == "rules"
    assert (
        "The OpenAI path failed (the OpenAI request timed out); answered by the deterministic "
        "rules." in result.reasoning
    )


# -- engine ------------------------------------------------------------------------------------


def test_the_engine_calls_go_to_the_demand_function() -> None:
    c, fakes = fake_container()
    fakes.demand_function.handler = lambda payload: {"total": 1.0, "echo": payload["mode"]}
    history = [{"week_start": "2024-01-01", "units": 5.0}]
    assert engine.forecast_series(c, history, 4) == {"total": 1.0, "echo": "engine_forecast"}
    engine.allocate_order(c, {"season_demand": 8000, "parameters": {}})
    assert fakes.demand_function.payloads == [
        {"mode": "engine_forecast", "history": history, "horizon_weeks": 4},
        {"mode": "engine_allocate", "season_demand": 8000, "parameters": {}},
    ]


def test_a_refusal_by_the_engine_is_its_own_domain_error() -> None:
    c, fakes = fake_container()
    details = [{"field": "history", "message": "26 weeks"}]

    def refuse(payload: dict[str, Any]) -> dict[str, Any]:
        message = "need at least 26 weeks of history, got 3"
        return {"error": {"code": "insufficient_history", "message": message, "details": details}}

    fakes.demand_function.handler = refuse
    with pytest.raises(engine.EngineRefusedError) as refused:
        engine.forecast_series(c, [], 4)
    assert refused.value.code == "insufficient_history"
    assert refused.value.message == "need at least 26 weeks of history, got 3"
    assert refused.value.details == details
    fakes.demand_function.reachable = False
    with pytest.raises(UnavailableError):
        engine.allocate_order(c, {})


@pytest.mark.parametrize(
    ("sold", "markdown"),
    [(5800, 0.05), (5500, 0.10), (5200, 0.15), (5000, 0.20), (4000, 0.40), (6300, 0.0)],
)
def test_the_markdown_analysis_follows_the_domain_table(sold: int, markdown: float) -> None:
    result = engine.analyze_markdown(sold, 10_000, 0.60, None)
    assert result.elasticity == 2.0
    assert result.markdown_pct == pytest.approx(markdown)
    assert result.expected_lift == pytest.approx(2.0 * markdown)
    steeper = engine.analyze_markdown(sold, 10_000, 0.60, 3.0)
    assert steeper.elasticity == 3.0 and steeper.markdown_pct >= result.markdown_pct
