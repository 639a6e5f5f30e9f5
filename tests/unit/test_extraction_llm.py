"""The OpenAI path, mocked at the HTTP layer (httpx.MockTransport): the real SDK runs, with
its retries, timeouts and structured-output parsing; no request ever leaves the process."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from fashion_forecast.adapters.openai_extraction import LLMSeasonExtraction, OpenAIExtractor
from fashion_forecast.app.parameters import extract_parameters
from fashion_forecast.extraction.models import Confidence, InvalidParametersError
from fashion_forecast.settings import Settings

TODAY = dt.date(2025, 2, 12)
SECRET = "sk-test-DO-NOT-LEAK-0123456789"
ZARA_TEXT = "12-week season, no replenishment, ship everything up front, markdown check at week 6"
Handler = Callable[[httpx.Request], httpx.Response]


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "TABLE_NAME": "unused",
        "DATA_BUCKET": "unused",
        "OPENAI_API_KEY": SECRET,
        "OPENAI_API_KEY_PARAMETER": None,
        "OPENAI_MODEL": "gpt-test-model",
        "OPENAI_TIMEOUT_SECONDS": 2.0,
        "OPENAI_MAX_RETRIES": 2,
    }
    values.update(overrides)
    return Settings(**values)


class Recorder:
    """A transport that answers from a list of handlers, one per request, and records them."""

    def __init__(self, *handlers: Handler) -> None:
        self.handlers = list(handlers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.handlers[min(len(self.requests), len(self.handlers)) - 1]
        return handler(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def completion(content: str | None, refusal: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def answer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "forecast_horizon_weeks": 12,
        "season_start_date": "2025-03-03",
        "replenishment_strategy": "none",
        "dc_holdback_percentage": 0.0,
        "markdown_checkpoint_week": 6,
        "markdowns_disabled": False,
        "markdown_threshold": None,
        "variance_threshold": None,
        "field_confidence": {
            "forecast_horizon_weeks": "high",
            "season_start_date": "high",
            "replenishment_strategy": "high",
            "dc_holdback_percentage": "medium",
            "markdown_checkpoint_week": "high",
            "markdown_threshold": "low",
            "variance_threshold": "low",
        },
        "ambiguous_fields": [],
        "clarification_questions": [],
        "reasoning": "12-week season, no replenishment, everything shipped, check at week 6.",
    }
    body.update(overrides)
    return body


def ok(body: dict[str, Any]) -> Handler:
    return lambda request: httpx.Response(200, json=completion(json.dumps(body)))


def rate_limited(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        429,
        headers={"retry-after-ms": "1"},
        json={"error": {"message": "Rate limit reached", "type": "requests", "code": None}},
    )


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("read timed out", request=request)


def run(recorder: Recorder, text: str = ZARA_TEXT, **overrides: Any) -> Any:
    model = OpenAIExtractor(settings(**overrides), http_client=recorder.client())
    return extract_parameters(model, text, TODAY)


# --------------------------------------------------------------------------- happy path


def test_success_parses_structured_output_into_parameters() -> None:
    recorder = Recorder(ok(answer()))
    result = run(recorder)

    assert result.source == "llm"
    assert result.parameters.forecast_horizon_weeks == 12
    assert result.parameters.season_start_date == dt.date(2025, 3, 3)
    assert result.parameters.replenishment_strategy == "none"
    assert result.parameters.dc_holdback_percentage == 0.0
    assert result.parameters.markdown_checkpoint_week == 6
    assert result.missing_fields == ["markdown_threshold", "variance_threshold"]
    assert result.confidence.fields.dc_holdback_percentage == Confidence.MEDIUM
    assert result.confidence.overall == Confidence.MEDIUM
    assert result.clarification_questions == []

    (request,) = recorder.requests
    assert request.url.path.endswith("/chat/completions")
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    sent = json.loads(request.content)
    assert sent["model"] == "gpt-test-model"
    schema = sent["response_format"]
    assert schema["type"] == "json_schema" and schema["json_schema"]["strict"] is True
    props = schema["json_schema"]["schema"]
    assert set(props["required"]) == set(LLMSeasonExtraction.model_fields)
    assert props["additionalProperties"] is False
    assert ZARA_TEXT in sent["messages"][-1]["content"]
    assert "2025-02-12" in sent["messages"][-1]["content"]


def test_markdowns_disabled_is_a_stated_null_checkpoint() -> None:
    body = answer(markdown_checkpoint_week=None, markdowns_disabled=True)
    result = run(Recorder(ok(body)))
    assert result.source == "llm"
    assert result.parameters.markdown_checkpoint_week is None
    assert "markdown_checkpoint_week" not in result.missing_fields


def test_ambiguous_fields_take_defaults_and_carry_questions() -> None:
    body = answer(
        forecast_horizon_weeks=None,
        markdown_checkpoint_week=None,
        ambiguous_fields=["forecast_horizon_weeks"],
        clarification_questions=["Is the season 12 or 16 weeks?"],
    )
    result = run(Recorder(ok(body)))
    assert result.source == "llm"
    assert result.parameters.forecast_horizon_weeks == 12
    assert "forecast_horizon_weeks" in result.missing_fields
    assert result.clarification_questions == ["Is the season 12 or 16 weeks?"]
    assert result.confidence.overall == Confidence.LOW


def test_429_then_success_is_retried_by_the_sdk() -> None:
    recorder = Recorder(rate_limited, ok(answer()))
    result = run(recorder)
    assert result.source == "llm"
    assert len(recorder.requests) == 2
    assert recorder.requests[1].headers.get("x-stainless-retry-count") == "1"


# --------------------------------------------------------------------------- fallbacks


def assert_rules_fallback(result: Any, reason: str) -> None:
    assert result.source == "rules"
    assert "OpenAI path failed" in result.reasoning and reason in result.reasoning
    # the rules read the same text
    assert result.parameters.forecast_horizon_weeks == 12
    assert result.parameters.replenishment_strategy == "none"
    assert result.parameters.dc_holdback_percentage == 0.0
    assert result.parameters.markdown_checkpoint_week == 6


def test_malformed_json_falls_back_to_rules() -> None:
    recorder = Recorder(lambda r: httpx.Response(200, json=completion('{"forecast_horizon_')))
    assert_rules_fallback(run(recorder), "not valid JSON")
    assert len(recorder.requests) == 1


def test_json_missing_required_fields_falls_back_to_rules() -> None:
    recorder = Recorder(lambda r: httpx.Response(200, json=completion('{"reasoning": "x"}')))
    assert_rules_fallback(run(recorder), "not valid JSON")


def test_refusal_falls_back_to_rules() -> None:
    refusal = Recorder(lambda r: httpx.Response(200, json=completion(None, "I can't help.")))
    assert_rules_fallback(run(refusal), "refused")


def test_timeout_falls_back_to_rules_after_bounded_retries() -> None:
    recorder = Recorder(timeout)
    result = run(recorder, OPENAI_MAX_RETRIES=1)
    assert_rules_fallback(result, "timed out")
    assert len(recorder.requests) == 2  # one try + OPENAI_MAX_RETRIES


def test_persistent_429_falls_back_after_max_retries() -> None:
    recorder = Recorder(rate_limited)
    assert_rules_fallback(run(recorder, OPENAI_MAX_RETRIES=2), "rate limit")
    assert len(recorder.requests) == 3


def test_server_error_falls_back_to_rules() -> None:
    recorder = Recorder(lambda r: httpx.Response(500, headers={"retry-after-ms": "1"}, json={}))
    assert_rules_fallback(run(recorder, OPENAI_MAX_RETRIES=0), "HTTP 500")


def test_answer_outside_the_model_ranges_falls_back_to_rules() -> None:
    recorder = Recorder(ok(answer(dc_holdback_percentage=45)))  # a percent, not a fraction
    result = run(recorder)
    assert_rules_fallback(result, "broke the parameter rules")
    assert result.parameters.dc_holdback_percentage == 0.0


def test_unreadable_date_falls_back_to_rules() -> None:
    recorder = Recorder(ok(answer(season_start_date="next Monday")))
    assert_rules_fallback(run(recorder), "unreadable date")


def test_invalid_text_is_still_refused_after_the_fallback() -> None:
    recorder = Recorder(ok(answer(forecast_horizon_weeks=100)))
    with pytest.raises(InvalidParametersError):
        run(recorder, text="a 100-week season")


# --------------------------------------------------------------------------- the key


def all_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record with all its fields (message, extra keys, exception text)."""
    return "\n".join(f"{r.getMessage()} {r.__dict__} {r.exc_text or ''}" for r in caplog.records)


def test_the_key_never_reaches_logs_or_responses(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "Confidential-Collection-Name-XYZ"
    text = f"{ZARA_TEXT}. {marker}"
    unauthorized = Recorder(
        lambda r: httpx.Response(401, json={"error": {"message": f"bad key {SECRET[:8]}..."}})
    )
    failed = run(unauthorized, text=text)
    succeeded = run(Recorder(ok(answer())), text=text)

    logs = all_logged(caplog)
    for result in (failed, succeeded):
        assert SECRET not in result.model_dump_json()
    assert SECRET not in logs
    assert marker not in logs  # the planner's text is not logged
    assert "falling back to rules" in logs


# --------------------------------------------------------------------------- SSM key


@pytest.fixture
def ssm() -> Iterator[Any]:
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters import base

    parameters.clear_caches()
    base.DEFAULT_PROVIDERS.clear()
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")
    parameters.clear_caches()
    base.DEFAULT_PROVIDERS.clear()


def test_key_from_an_ssm_securestring_is_read_once_and_cached(ssm: Any) -> None:
    ssm.put_parameter(Name="/ff/openai-key", Value="sk-from-ssm", Type="SecureString")
    config = {"OPENAI_API_KEY": None, "OPENAI_API_KEY_PARAMETER": "/ff/openai-key"}

    recorder = Recorder(ok(answer()))
    assert run(recorder, **config).source == "llm"
    assert recorder.requests[0].headers["authorization"] == "Bearer sk-from-ssm"

    ssm.delete_parameter(Name="/ff/openai-key")  # cached by Powertools (max_age=300)
    again = Recorder(ok(answer()))
    assert run(again, **config).source == "llm"
    assert again.requests[0].headers["authorization"] == "Bearer sk-from-ssm"


def test_unreadable_ssm_parameter_falls_back_to_rules(
    ssm: Any, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(ok(answer()))
    result = run(recorder, OPENAI_API_KEY=None, OPENAI_API_KEY_PARAMETER="/ff/missing")
    assert result.source == "rules"
    assert "could not be read" in result.reasoning
    assert recorder.requests == []
    assert "could not read the OpenAI key parameter" in all_logged(caplog)
