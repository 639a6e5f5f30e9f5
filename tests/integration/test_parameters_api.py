"""POST /api/parameters/extract through the real app: status codes, shapes, both paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fashion_forecast.api.app import create_app
from fashion_forecast.container import build as build_container
from fashion_forecast.settings import Settings
from tests.auth import as_caller

URL = "/api/parameters/extract"
ERROR_KEYS = {"error_code", "message", "details", "request_id"}


def build_app(settings: Settings, openai_http_client: httpx.Client | None = None) -> FastAPI:
    return as_caller(create_app(build_container(settings, openai_http_client=openai_http_client)))  # type: ignore[return-value]


def make_client(openai_http_client: httpx.Client | None = None, **settings: Any) -> TestClient:
    values: dict[str, Any] = {"OPENAI_API_KEY": None, "OPENAI_API_KEY_PARAMETER": None}
    values.update(settings)
    app = build_app(Settings(**values), openai_http_client)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error_code"] == code
    assert body["message"]
    assert isinstance(body["details"], list)
    assert body["request_id"] and body["request_id"] == response.headers["x-request-id"]
    return body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "12-week season, no replenishment, ship everything up front, markdown check at week 6",
            (12, "none", 0.0, 6),
        ),
        ("26 weeks, weekly top-ups, hold back 45%, markdown at week 12", (26, "weekly", 0.45, 12)),
        (
            "16 weeks, replenish every two weeks, 30% at the DC, no markdowns",
            (16, "bi-weekly", 0.3, None),
        ),
    ],
    ids=["zara", "standard", "luxury"],
)
def test_reference_scenarios_without_a_key(
    client: TestClient, text: str, expected: tuple[Any, ...]
) -> None:
    response = client.post(URL, json={"text": text, "today": "2025-02-12"})
    assert response.status_code == 200, response.text
    body = response.json()
    p = body["parameters"]
    got = (
        p["forecast_horizon_weeks"],
        p["replenishment_strategy"],
        p["dc_holdback_percentage"],
        p["markdown_checkpoint_week"],
    )
    assert got == expected
    assert p["season_start_date"] == "2025-02-17"  # next Monday after `today`
    assert body["source"] == "rules"
    assert body["missing_fields"] == [
        "season_start_date",
        "markdown_threshold",
        "variance_threshold",
    ]
    assert body["confidence"]["fields"]["season_start_date"] == "low"
    assert body["confidence"]["overall"] in {"high", "medium"}
    assert body["clarification_questions"] == []
    assert "no OpenAI API key" in body["reasoning"]


def test_vague_text_gets_questions(client: TestClient) -> None:
    body = client.post(URL, json={"text": "a season for spring"}).json()
    assert body["clarification_questions"]
    assert body["confidence"]["overall"] == "low"
    assert len(body["missing_fields"]) == 7


def test_horizon_over_52_is_422(client: TestClient) -> None:
    body = assert_error(
        client.post(URL, json={"text": "a 100-week season"}), 422, "invalid_parameters"
    )
    assert body["details"][0]["field"] == "forecast_horizon_weeks"


def test_checkpoint_after_the_horizon_is_422(client: TestClient) -> None:
    response = client.post(URL, json={"text": "8-week season, markdown check at week 10"})
    body = assert_error(response, 422, "invalid_parameters")
    assert body["details"][0]["field"] == "markdown_checkpoint_week"


def test_text_over_4000_characters_is_413(client: TestClient) -> None:
    body = assert_error(
        client.post(URL, json={"text": "12 weeks " * 500}), 413, "payload_too_large"
    )
    assert body["details"][0]["field"] == "text"


def test_exactly_4000_characters_is_accepted(client: TestClient) -> None:
    text = ("12 weeks. " * 400)[:4000]
    assert client.post(URL, json={"text": text}).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{"text": "   "}, {"text": ""}, {}, {"text": 12}, {"text": "12 weeks", "today": "not a date"}],
    ids=["blank", "empty", "missing", "not-a-string", "bad-today"],
)
def test_malformed_requests_are_422(client: TestClient, payload: dict[str, Any]) -> None:
    body = assert_error(client.post(URL, json=payload), 422, "validation_error")
    assert body["details"] and all("field" in d for d in body["details"])


def test_llm_path_through_the_api() -> None:
    content = {
        "forecast_horizon_weeks": 16,
        "season_start_date": "2025-03-03",
        "replenishment_strategy": "bi-weekly",
        "dc_holdback_percentage": 0.3,
        "markdown_checkpoint_week": None,
        "markdowns_disabled": True,
        "markdown_threshold": None,
        "variance_threshold": None,
        "field_confidence": dict.fromkeys(
            [
                "forecast_horizon_weeks",
                "season_start_date",
                "replenishment_strategy",
                "dc_holdback_percentage",
                "markdown_checkpoint_week",
                "markdown_threshold",
                "variance_threshold",
            ],
            "high",
        ),
        "ambiguous_fields": [],
        "clarification_questions": [],
        "reasoning": "Luxury-like season.",
    }
    completion = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": json.dumps(content), "refusal": None},
            }
        ],
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion)

    secret = "sk-api-test-secret"
    transport = httpx.Client(transport=httpx.MockTransport(handler))
    with make_client(transport, OPENAI_API_KEY=secret, OPENAI_MODEL="gpt-test") as c:
        response = c.post(
            URL, json={"text": "luxury: 16 weeks from March 3rd", "today": "2025-02-12"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "llm"
    assert body["parameters"]["replenishment_strategy"] == "bi-weekly"
    assert body["parameters"]["markdown_checkpoint_week"] is None
    assert body["missing_fields"] == ["markdown_threshold", "variance_threshold"]
    assert secret not in response.text
    assert len(seen) == 1 and json.loads(seen[0].content)["model"] == "gpt-test"


def test_openapi_documents_the_route() -> None:
    with make_client() as c:
        spec = c.get("/openapi.json").json()
    op = spec["paths"][URL]["post"]
    assert op["tags"] == ["parameters"]
    assert {"200", "413", "422"} <= set(op["responses"])
    assert op["responses"]["413"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )
    schemas = spec["components"]["schemas"]
    assert schemas["ExtractionRequest"]["examples"]
    assert schemas["ExtractionResult"]["examples"]
    assert schemas["ExtractionRequest"]["properties"]["text"]["maxLength"] == 4000
