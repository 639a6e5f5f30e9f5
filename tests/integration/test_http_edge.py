"""The HTTP edge of the API: body limits however the body arrives, bodies that are not JSON,
and the headers an HTTP error carries (Allow on a 405)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope, Send

from fashion_forecast.api.app import create_app
from fashion_forecast.api.middleware import RequestContextMiddleware
from fashion_forecast.ports import Container
from fashion_forecast_local.template import Template
from tests.auth import as_caller
from tests.integration.served import serve_app

ERROR_KEYS = {"error_code", "message", "details", "request_id"}
MIB = 1024 * 1024
JSON_ROUTE = "/api/workflows/forecast"  # 1 MiB body limit
UPLOAD_ROUTE = "/api/data/upload-historical-sales"  # 10 MiB (+ multipart overhead)
BOUNDARY = "edge-test-boundary"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error_code"] == code
    assert body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.text
    return body


def json_chunks(padding: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A JSON object of about `padding` bytes, in chunks (no Content-Length: chunked)."""
    yield b'{"category_id": "womens_outerwear", "padding": "'
    for start in range(0, padding, chunk):
        yield b"y" * min(chunk, padding - start)
    yield b'"}'


def multipart_chunks(csv: Iterator[bytes]) -> Iterator[bytes]:
    yield (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="h.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    yield from csv
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def csv_rows(size: int) -> Iterator[bytes]:
    """A valid history file of about `size` bytes: one row per week and store."""
    yield b"date,store_id,category,quantity_sold\n"
    first = dt.date(2015, 1, 5)
    stores = 500
    row_bytes = len(b"2015-01-05,S0001,womens_dresses,5\n")
    for week in range(size // (row_bytes * stores) + 1):
        day = (first + dt.timedelta(weeks=week)).isoformat()
        yield b"".join(f"{day},S{store:04d},womens_dresses,5\n".encode() for store in range(stores))


MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
JSON = {"content-type": "application/json"}
OVERSIZED = [  # (path, chunked body over its limit, headers)
    pytest.param(JSON_ROUTE, lambda: json_chunks(2 * MIB), JSON, id="json-2MiB"),
    pytest.param(
        UPLOAD_ROUTE, lambda: multipart_chunks(csv_rows(11 * MIB)), MULTIPART, id="upload-11MiB"
    ),
]


@pytest.fixture
def app(container: Container, template: Template) -> FastAPI:
    template.create_buckets(boto3.client("s3"))
    return as_caller(create_app(container))  # type: ignore[return-value]


@pytest.fixture
def served(app: FastAPI) -> Iterator[httpx.Client]:
    with serve_app(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


# -- 1. body limits whatever the framing ------------------------------------------------------


@pytest.mark.parametrize(("path", "body", "headers"), OVERSIZED)
def test_a_chunked_body_over_the_limit_is_413_through_testclient(
    api: TestClient, path: str, body: Any, headers: dict[str, str]
) -> None:
    response = api.post(path, content=body(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    error = assert_error(response, 413, "payload_too_large")
    assert "exceeds" in error["message"]
    assert api.get("/api/workflows").json()["items"] == []


@pytest.mark.parametrize(("path", "body", "headers"), OVERSIZED)
def test_a_chunked_body_over_the_limit_is_413_through_a_real_server(
    served: httpx.Client, path: str, body: Any, headers: dict[str, str]
) -> None:
    response = served.post(path, content=body(), headers=headers)
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, "payload_too_large")
    assert served.get("/api/health").status_code == 200  # and the server goes on answering


def test_a_chunked_body_under_the_limit_reaches_the_route_whole(
    api: TestClient, served: httpx.Client
) -> None:
    text = "12 weeks, no replenishment, markdown check at week 6"
    payload = json.dumps({"text": text, "today": "2025-01-06"}).encode()

    def chunks() -> Iterator[bytes]:
        yield from (payload[i : i + 7] for i in range(0, len(payload), 7))

    for client in (api, served):
        response = client.post("/api/parameters/extract", content=chunks(), headers=JSON)
        assert response.status_code == 200, response.text
        assert response.json()["parameters"]["forecast_horizon_weeks"] == 12


def test_a_chunked_upload_under_the_limit_is_stored(served: httpx.Client) -> None:
    # over the 1 MiB of a JSON body, under the 10 MiB of an upload
    response = served.post(
        UPLOAD_ROUTE, content=multipart_chunks(csv_rows(3 * MIB // 2)), headers=MULTIPART
    )
    assert response.status_code == 201, response.text
    assert response.json()["categories_detected"] == ["womens_dresses"]
    assert response.json()["stores_detected"] == 500


async def _refuse(limit: int, chunks: int, chunk: int = 64 * 1024) -> tuple[list[Message], int]:
    """Run the middleware over a body of `chunks` chunks; returns what it sent and how many
    chunks it read. The app behind it must never run."""
    read = 0

    async def receive() -> Message:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"x" * chunk, "more_body": read < chunks}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app ran")

    middleware = RequestContextMiddleware(app, max_body_bytes=limit, max_drain_bytes=4 * chunk)
    scope: Scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}
    await middleware(scope, receive, send)
    return sent, read


def test_the_middleware_stops_at_the_limit_without_the_app_and_drains_a_bounded_rest() -> None:
    # 1000 chunks over a limit of 2: refused after the 3rd, then at most 4 more are discarded
    # (so a client that writes its whole request before reading gets the 413); the rest is
    # never read (the server closes the connection)
    sent, read = asyncio.run(_refuse(limit=2 * 64 * 1024, chunks=1000))
    assert read == 3 + 4
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error_code"] == "payload_too_large"
    # a body that ends within the drain allowance is read to its end
    sent, read = asyncio.run(_refuse(limit=2 * 64 * 1024, chunks=5))
    assert (read, sent[0]["status"]) == (5, 413)


# -- 2. bodies that are not JSON --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "position"),
    [
        (b'{"category_id": }', "line 1, column 17"),
        (b'{"category_id": "womens_outerwear",', "line 1, column 36"),
        (b'{\n  "category_id": "womens_outerwear",\n  oops\n}', "line 3, column 3"),
        (b"not json", "line 1, column 1"),
        (b"{'category_id': 'x'}", "line 1, column 2"),
    ],
)
def test_a_body_that_is_not_json_is_400_invalid_json_with_where(
    api: TestClient, content: bytes, position: str
) -> None:
    response = api.post(JSON_ROUTE, content=content, headers=JSON)
    body = assert_error(response, 400, "invalid_json")
    assert body["message"] == f"body is not valid JSON: {position}"
    [detail] = body["details"]
    assert detail["field"] == "body"
    assert detail["type"] == "json_invalid"
    assert detail["message"]  # json's own reason, e.g. "Expecting value"
    line, column = (int(p.split()[1]) for p in position.split(", "))
    assert (detail["line"], detail["column"]) == (line, column)


@pytest.mark.parametrize(
    "content",
    [
        b'{"category_id": "\xff"}',  # invalid UTF-8 inside a string
        b"\xff\xfe\x00garbage",  # what json reads as a UTF-16 byte-order mark
        b"\x80",
    ],
)
def test_a_body_that_is_not_utf8_is_400_invalid_json(api: TestClient, content: bytes) -> None:
    # (a well-formed JSON document in UTF-16 or UTF-32, which json.loads detects, is read)
    response = api.post(JSON_ROUTE, content=content, headers=JSON)
    body = assert_error(response, 400, "invalid_json")
    assert body["message"] == "body is not UTF-8"
    assert body["details"][0]["field"] == "body"


@pytest.mark.parametrize(
    "content",
    [b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000],
    ids=["arrays", "objects"],
)
def test_a_body_nested_thousands_deep_is_400_invalid_json(api: TestClient, content: bytes) -> None:
    body = assert_error(api.post(JSON_ROUTE, content=content, headers=JSON), 400, "invalid_json")
    assert body["message"] == "body is not valid JSON: arrays and objects nested too deep to read"


@pytest.mark.parametrize("content", [b"[1, 2, 3]", b'"womens_outerwear"', b"42", b"true", b"null"])
def test_json_of_the_wrong_type_is_422_body_must_be_an_object(
    api: TestClient, content: bytes
) -> None:
    response = api.post(JSON_ROUTE, content=content, headers=JSON)
    body = assert_error(response, 422, "validation_error")
    assert body["message"] == "body must be a JSON object"
    assert [d["field"] for d in body["details"]] == ["body"]


def test_a_json_object_sent_as_another_media_type_is_told_which(api: TestClient) -> None:
    for headers in ({"content-type": "text/plain"}, {}):
        response = api.post(
            JSON_ROUTE, content=b'{"category_id": "womens_outerwear"}', headers=headers
        )
        body = assert_error(response, 422, "validation_error")
        assert (
            body["message"] == "body must be a JSON object, sent as Content-Type: application/json"
        )


def test_every_json_body_route_answers_invalid_json_the_same_way(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    routes = [
        (method, path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    assert len(routes) >= 8
    for method, path in routes:
        response = api.request(method, path, content=b'{"a": 1,,}', headers=JSON)
        body = assert_error(response, 400, "invalid_json")
        assert body["message"] == "body is not valid JSON: line 1, column 9", path


def test_the_openapi_documents_400_and_413_on_the_routes_with_a_body_only(
    api: TestClient,
) -> None:
    spec = api.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            has_body = "requestBody" in op
            for status in ("400", "413"):
                assert (status in op["responses"]) == has_body, (method, path, status)
                if has_body:
                    schema = op["responses"][status]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


# -- 3. the headers of HTTP errors ------------------------------------------------------------


def test_405_says_which_methods_are_allowed(api: TestClient) -> None:
    response = api.delete(JSON_ROUTE)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"
    response = api.put("/api/workflows/0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"


def test_an_http_exception_keeps_its_headers(app: FastAPI) -> None:
    @app.get("/api/test-only/busy")
    def busy() -> None:
        raise StarletteHTTPException(
            429, "Slow down", headers={"Retry-After": "7", "X-Request-ID": "forged"}
        )

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/test-only/busy", headers={"X-Request-ID": "req-1"})
    body = assert_error(response, 429, "http_error")
    assert body["message"] == "Slow down"
    assert response.headers["Retry-After"] == "7"
    assert response.headers.get_list("X-Request-ID") == ["req-1"]  # the id is not forgeable
