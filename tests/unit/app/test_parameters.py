"""app.parameters: season parameters from a planner's words, by the language model when it
answers, else by the deterministic rules with a note saying why."""

from __future__ import annotations

import datetime as dt

import pytest

from fashion_forecast.app.parameters import extract_parameters
from fashion_forecast.extraction.models import (
    MAX_TEXT_CHARS,
    InvalidExtractionInput,
    InvalidParametersError,
)
from fashion_forecast.extraction.rules import extract_with_rules
from fashion_forecast.ports import LanguageModelUnavailable
from tests.fakes import FakeLanguageModel

TODAY = dt.date(2025, 2, 12)
ZARA = "12-week season, no replenishment, ship everything up front, markdown check at week 6"
RULES_REASONING = (
    "forecast_horizon_weeks=12 from '12-week'. replenishment_strategy=none from 'no "
    "replenishment'. dc_holdback_percentage=0.0 from 'ship everything up front'. "
    "markdown_checkpoint_week=6 from 'week 6'. Defaults used for: season_start_date, "
    "markdown_threshold, variance_threshold."
)


# -- refused text --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "  \n\t "])
def test_blank_text_is_refused_before_any_model_call(text: str) -> None:
    model = FakeLanguageModel()
    with pytest.raises(InvalidExtractionInput) as refused:
        extract_parameters(model, text, TODAY)
    assert refused.value.code == "invalid_text"
    assert refused.value.message == "text must not be blank"
    assert refused.value.details == [{"field": "text"}]
    assert model.calls == []


def test_over_long_text_is_refused_before_any_model_call() -> None:
    model = FakeLanguageModel()
    text = "x" * (MAX_TEXT_CHARS + 1)
    with pytest.raises(InvalidExtractionInput) as refused:
        extract_parameters(model, text, TODAY)
    assert refused.value.code == "invalid_text"
    assert refused.value.message == "text is 4001 characters; the limit is 4000"
    assert refused.value.details == [{"field": "text", "message": "at most 4000 characters"}]
    assert model.calls == []


def test_text_of_exactly_the_limit_is_read() -> None:
    model = FakeLanguageModel()
    text = ZARA + " " * (MAX_TEXT_CHARS - len(ZARA))
    assert len(text) == MAX_TEXT_CHARS
    result = extract_parameters(model, text, TODAY)
    assert result.source == "rules"
    assert model.calls == [(text, TODAY)]


# -- the model's answer --------------------------------------------------------------------------


def test_the_models_answer_is_returned_as_it_is() -> None:
    answer = extract_with_rules(ZARA, TODAY).model_copy(
        update={"source": "llm", "reasoning": "read by the model"}
    )
    model = FakeLanguageModel(result=answer)
    result = extract_parameters(model, ZARA, TODAY)
    assert result is answer
    assert (result.source, result.reasoning) == ("llm", "read by the model")
    assert model.calls == [(ZARA, TODAY)]


# -- the rules -----------------------------------------------------------------------------------


def test_without_a_key_the_rules_answer_with_a_note() -> None:
    model = FakeLanguageModel()  # no key configured: attempted=False
    result = extract_parameters(model, ZARA, TODAY)
    assert result.source == "rules"
    assert result.reasoning == (
        "Answered by the deterministic rules: no OpenAI API key is configured. " + RULES_REASONING
    )
    assert result.parameters == extract_with_rules(ZARA, TODAY).parameters
    assert (
        result.parameters.forecast_horizon_weeks,
        result.parameters.replenishment_strategy,
        result.parameters.dc_holdback_percentage,
        result.parameters.markdown_checkpoint_week,
        result.parameters.season_start_date,
    ) == (12, "none", 0.0, 6, dt.date(2025, 2, 17))
    assert model.calls == [(ZARA, TODAY)]


def test_a_failed_model_call_falls_back_to_the_rules_saying_why() -> None:
    model = FakeLanguageModel(unavailable=LanguageModelUnavailable("the OpenAI request timed out"))
    result = extract_parameters(model, ZARA, TODAY)
    assert result.source == "rules"
    assert result.reasoning == (
        "The OpenAI path failed (the OpenAI request timed out); answered by the deterministic "
        "rules. " + RULES_REASONING
    )
    assert result.parameters == extract_with_rules(ZARA, TODAY).parameters
    assert model.calls == [(ZARA, TODAY)]


def test_the_rules_read_relative_dates_from_the_given_day() -> None:
    text = "8-week season starting next Monday"
    result = extract_parameters(FakeLanguageModel(), text, dt.date(2025, 3, 5))
    assert result.parameters.season_start_date == dt.date(2025, 3, 10)
    assert result.parameters.forecast_horizon_weeks == 8


def test_values_the_season_refuses_are_an_error_of_the_rules() -> None:
    with pytest.raises(InvalidParametersError) as refused:
        extract_parameters(FakeLanguageModel(), "a 60-week season", TODAY)
    assert refused.value.code == "invalid_parameters"
    assert refused.value.details == [
        {
            "field": "forecast_horizon_weeks",
            "message": "Input should be less than or equal to 52",
            "type": "less_than_equal",
        }
    ]
