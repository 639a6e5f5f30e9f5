"""The deterministic extractor on a corpus of planners' phrasings (tests/fixtures)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fashion_forecast.adapters.openai_extraction import OpenAIExtractor
from fashion_forecast.app.parameters import extract_parameters
from fashion_forecast.extraction.models import (
    FIELD_NAMES,
    Confidence,
    InvalidExtractionInput,
    InvalidParametersError,
)
from fashion_forecast.extraction.rules import extract_with_rules, normalise
from fashion_forecast.models.parameters import REFERENCE_SCENARIOS, next_monday
from fashion_forecast.settings import Settings

CORPUS_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "extraction_corpus.json"
CORPUS = json.loads(CORPUS_PATH.read_text())
CASES = [c for c in CORPUS["cases"] if c.get("split", "dev") == "dev"]
HOLDOUT = [c for c in CORPUS["cases"] if c.get("split") == "holdout"]
TODAY = dt.date.fromisoformat(CORPUS["today"])
NO_KEY = OpenAIExtractor(
    Settings(TABLE_NAME="t", DATA_BUCKET="b", OPENAI_API_KEY=None, OPENAI_API_KEY_PARAMETER=None)
)


def case_today(case: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(case.get("today", CORPUS["today"]))


def expected_parameters(case: dict[str, Any]) -> dict[str, Any]:
    today = case_today(case)
    expected: dict[str, Any] = {
        "forecast_horizon_weeks": 12,
        "season_start_date": next_monday(today).isoformat(),
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 0.45,
        "markdown_checkpoint_week": None,
        "markdown_threshold": 0.6,
        "variance_threshold": 0.2,
    }
    expected.update(case["expected"])
    return expected


def test_corpus_is_large_and_covers_the_reference_scenarios() -> None:
    assert len(CASES) >= 40
    assert {c.get("split", "dev") for c in CORPUS["cases"]} <= {"dev", "holdout"}
    assert len({c["id"] for c in CASES}) == len(CASES)
    per_scenario = Counter(c.get("scenario") for c in CASES)
    for name, values in REFERENCE_SCENARIOS.items():
        assert per_scenario[name] >= 5, name
        for case in (c for c in CASES if c.get("scenario") == name):
            for key, value in values.items():
                assert case["expected"][key] == value, (case["id"], key)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case(case: dict[str, Any]) -> None:
    today = case_today(case)
    if case.get("error"):
        with pytest.raises(InvalidParametersError) as info:
            extract_with_rules(case["text"], today)
        assert info.value.code == case["error"]
        assert info.value.details and all(d["field"] in FIELD_NAMES for d in info.value.details)
        return

    result = extract_with_rules(case["text"], today)

    assert result.source == "rules"
    assert result.parameters.model_dump(mode="json") == expected_parameters(case)
    # exactly the fields the text does not settle are listed, and rated low
    assert result.missing_fields == [f for f in FIELD_NAMES if f not in case["expected"]]
    fields = result.confidence.fields.model_dump()
    for name in FIELD_NAMES:
        assert (fields[name] == Confidence.LOW) == (name in result.missing_fields), name
    assert bool(result.clarification_questions) == bool(case.get("questions"))
    if case.get("questions"):
        assert result.confidence.overall == Confidence.LOW


@pytest.mark.parametrize("case", HOLDOUT, ids=[c["id"] for c in HOLDOUT])
def test_holdout_case_runs(case: dict[str, Any]) -> None:
    """Held-out phrasings are scored by the benchmark, not required here: they only must not
    crash, and must either parse or be refused with the 422 error."""
    try:
        result = extract_with_rules(case["text"], case_today(case))
    except InvalidParametersError:
        return
    assert result.source == "rules"


def test_explicit_values_are_high_inferred_values_medium() -> None:
    explicit = extract_with_rules("12-week season, markdown check at week 6", TODAY)
    assert explicit.confidence.fields.forecast_horizon_weeks == Confidence.HIGH
    assert explicit.confidence.fields.markdown_checkpoint_week == Confidence.HIGH
    assert explicit.confidence.overall == Confidence.HIGH

    inferred = extract_with_rules("three months, markdown check halfway", TODAY)
    assert inferred.parameters.forecast_horizon_weeks == 13
    assert inferred.parameters.markdown_checkpoint_week == 6
    assert inferred.confidence.fields.forecast_horizon_weeks == Confidence.MEDIUM
    assert inferred.confidence.fields.markdown_checkpoint_week == Confidence.MEDIUM
    assert inferred.confidence.overall == Confidence.MEDIUM


def test_contradiction_keeps_the_default_and_asks() -> None:
    result = extract_with_rules("A 12-week season. Actually, 20 weeks.", TODAY)
    assert result.parameters.forecast_horizon_weeks == 12
    assert "forecast_horizon_weeks" in result.missing_fields
    assert any("12, 20" in q for q in result.clarification_questions)
    assert result.confidence.overall == Confidence.LOW


def test_checkpoint_beyond_an_unstated_horizon_is_a_question_not_an_error() -> None:
    result = extract_with_rules("markdown check at week 20", TODAY)
    assert result.parameters.markdown_checkpoint_week is None
    assert "markdown_checkpoint_week" in result.missing_fields
    assert any("week 20" in q for q in result.clarification_questions)


def test_invalid_checkpoint_names_the_field() -> None:
    with pytest.raises(InvalidParametersError) as info:
        extract_with_rules("an 8-week season with markdowns at week 10", TODAY)
    assert info.value.details[0]["field"] == "markdown_checkpoint_week"
    assert "8-week" not in str(info.value.details)  # the input is not echoed back


def test_default_start_is_next_monday_after_today() -> None:
    monday = dt.date(2025, 2, 17)
    result = extract_with_rules("12 weeks", monday)
    assert result.parameters.season_start_date == dt.date(2025, 2, 24)


def test_number_words_are_normalised() -> None:
    text = normalise("Twenty-six weeks, forty-five percent, the sixth week, a third, a dozen")
    assert text == "26 weeks, 45 percent, the 6th week, 33%, 12"


def test_reasoning_cites_the_text() -> None:
    result = extract_with_rules("hold back 45% at the DC", TODAY)
    assert "hold back 45%" in result.reasoning
    assert "Defaults used for" in result.reasoning


@pytest.mark.parametrize(
    "text",
    [
        "no " * 1999,
        "hold back 45% and ship " * 170,
        "week " * 800,
        "1" * 4000,
        "march 1, " * 444,
        "a" * 4000,
        "- " * 2000,
    ],
    ids=["no", "pct", "week", "digits", "dates", "letters", "dashes"],
)
@pytest.mark.timeout(30)
def test_worst_case_text_finishes(text: str) -> None:
    # Catastrophic regex backtracking on these texts would take minutes to hours: the timeout
    # catches that without timing a noisy machine (benchmarks/extraction_accuracy.py measures
    # the rules' latency).
    with contextlib.suppress(InvalidParametersError):
        extract_with_rules(text[:4000], TODAY)


def test_service_without_a_key_answers_with_rules() -> None:
    result = extract_parameters(NO_KEY, "16 weeks, no markdowns", TODAY)
    assert result.source == "rules"
    assert "no OpenAI API key is configured" in result.reasoning


@pytest.mark.parametrize("text", ["", "   \n\t", "x" * 4001])
def test_service_refuses_blank_or_long_text(text: str) -> None:
    with pytest.raises(InvalidExtractionInput):
        extract_parameters(NO_KEY, text, TODAY)


def test_rules_path_never_imports_the_openai_sdk() -> None:
    code = (
        "import sys, datetime as dt\n"
        "from fashion_forecast.adapters.openai_extraction import OpenAIExtractor\n"
        "from fashion_forecast.app.parameters import extract_parameters\n"
        "from fashion_forecast.settings import Settings\n"
        "s = Settings(TABLE_NAME='t', DATA_BUCKET='b', OPENAI_API_KEY=None)\n"
        "r = extract_parameters(OpenAIExtractor(s), '12 weeks', dt.date(2025, 2, 12))\n"
        "assert r.source == 'rules'\n"
        "assert 'openai' not in sys.modules, 'openai imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
