"""Every number and date a JSON body carries, probed by class (docs/domain.md "Input bounds"):
a boolean, NaN and the infinities, a value far past its range, a numeric string (ASCII or
full-width digits), a whole number with hundreds of digits, a date outside 1990..2099. Each is
a 422 in the error shape naming the field, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fashion_forecast.api.app import create_app
from tests.auth import as_caller
from tests.fakes import Fakes, fake_container
from tests.integration.test_workflows_api import ZARA, assert_error
from tests.unit.app.conftest import seed_sample_sales

WORKFLOW = "0b5f8f7e-6a0e-4a4f-9d8e-3c2f1e0a9b7c"
HISTORY = [
    {"week_start": f"2024-{1 + i // 4:02d}-{1 + 7 * (i % 4):02d}", "units": 10} for i in range(4)
]

# route -> a valid body
BODIES: dict[str, dict[str, Any]] = {
    "/api/workflows/forecast": {"category_id": "womens_outerwear", "parameters": dict(ZARA)},
    "/api/workflows/reforecast": {
        "forecast_id": WORKFLOW,
        "actual_sales_week_1_to_n": [700, 820],
        "forecasted_week_1_to_n": [600.0, 640.0],
        "remaining_weeks": 8,
        "variance_pct": 0.2,
    },
    "/api/approvals/manufacturing": {
        "workflow_id": WORKFLOW,
        "action": "modify",
        "safety_stock_pct": 0.3,
        "manufacturing_qty": 9000,
    },
    "/api/approvals/markdown": {"workflow_id": WORKFLOW, "action": "modify", "markdown_pct": 0.1},
    "/api/data/upload-url": {"forecast_id": WORKFLOW, "week_number": 3},
    "/api/agents/demand/forecast": {"history": HISTORY, "horizon_weeks": 4},
    "/api/agents/inventory/allocate": {"season_demand": 8000, "safety_stock_pct": 0.2},
    "/api/agents/pricing/analyze": {
        "sold_to_date": 5500,
        "manufacturing_qty": 10000,
        "markdown_threshold": 0.6,
        "elasticity": 2.0,
        "remaining_forecast": 0,
    },
}
# (route, path to the number in the body)
NUMBERS = [
    ("/api/workflows/forecast", ("parameters", "forecast_horizon_weeks")),
    ("/api/workflows/forecast", ("parameters", "dc_holdback_percentage")),
    ("/api/workflows/forecast", ("parameters", "markdown_checkpoint_week")),
    ("/api/workflows/forecast", ("parameters", "markdown_threshold")),
    ("/api/workflows/forecast", ("parameters", "variance_threshold")),
    ("/api/workflows/reforecast", ("actual_sales_week_1_to_n", 0)),
    ("/api/workflows/reforecast", ("forecasted_week_1_to_n", 1)),
    ("/api/workflows/reforecast", ("remaining_weeks",)),
    ("/api/workflows/reforecast", ("variance_pct",)),
    ("/api/approvals/manufacturing", ("safety_stock_pct",)),
    ("/api/approvals/manufacturing", ("manufacturing_qty",)),
    ("/api/approvals/markdown", ("markdown_pct",)),
    ("/api/data/upload-url", ("week_number",)),
    ("/api/agents/demand/forecast", ("history", 2, "units")),
    ("/api/agents/demand/forecast", ("horizon_weeks",)),
    ("/api/agents/inventory/allocate", ("season_demand",)),
    ("/api/agents/inventory/allocate", ("safety_stock_pct",)),
    ("/api/agents/pricing/analyze", ("sold_to_date",)),
    ("/api/agents/pricing/analyze", ("manufacturing_qty",)),
    ("/api/agents/pricing/analyze", ("markdown_threshold",)),
    ("/api/agents/pricing/analyze", ("elasticity",)),
    ("/api/agents/pricing/analyze", ("remaining_forecast",)),
]
# raw JSON tokens: not a finite number within any of the ranges above
HOSTILE_NUMBERS = {
    "true": "true",
    "false": "false",
    "nan": "NaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "1e40": "1e40",
    "minus-1e40": "-1e40",
    "400-digits": "1" + "0" * 400,
    "ascii-string": '"12"',
    "full-width-string": '"\\uff11\\uff12"',
    "null-in-a-list-or-required": "null",
}
DATES = [
    ("/api/workflows/forecast", ("parameters", "season_start_date")),
    ("/api/agents/demand/forecast", ("history", 0, "week_start")),
    ("/api/parameters/extract", ("today",)),
]
HOSTILE_DATES = ["9999-12-27", "0001-01-01", "1989-12-31", "2100-01-04", "\uff12025-03-03"]
HOSTILE_DATE_TOKENS = [json.dumps(day) for day in HOSTILE_DATES] + [
    "0",  # a number is not a date: pydantic would read it as seconds since 1970
    "1741000000",
    "true",
    "20250303",
]

MARKER = "__HOSTILE__"


def field_of(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def body_with(route: str, path: tuple[str | int, ...], token: str) -> bytes:
    body = json.loads(json.dumps(BODIES.get(route, {"text": "12 weeks from March"})))
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = MARKER
    return json.dumps(body).replace(f'"{MARKER}"', token).encode()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[TestClient, Fakes]]:
    """The API on fakes holding the bundled history (the forecast route checks the category's
    history and stores: the refusal must come before either)."""
    c, fakes = fake_container()
    seed_sample_sales(fakes)
    with TestClient(as_caller(create_app(c))) as client:
        yield client, fakes


@pytest.fixture
def api(served: tuple[TestClient, Fakes]) -> Iterator[TestClient]:
    client, fakes = served
    yield client
    assert not fakes.workflows.rows, "a refused request stored a workflow"
    assert not fakes.state_machine.executions, "a refused request started an execution"
    assert not fakes.records.items, "a refused request stored a record"
    assert not fakes.approvals.rows, "a refused request stored an approval"


OPTIONAL = {  # null is these fields' documented "not given"
    "markdown_checkpoint_week",
    "safety_stock_pct",
    "manufacturing_qty",
    "markdown_pct",
    "elasticity",
    "season_demand",
    "variance_pct",
}
NUMBER_CASES = [
    pytest.param(route, path, token, id=f"{route.split('/api/')[1]}:{field_of(path)}:{name}")
    for route, path in NUMBERS
    for name, token in HOSTILE_NUMBERS.items()
    if not (token == "null" and path[-1] in OPTIONAL)
]


@pytest.mark.parametrize(("route", "path", "token"), NUMBER_CASES)
def test_a_number_out_of_its_class_is_422_naming_the_field(
    api: TestClient, route: str, path: tuple[str | int, ...], token: str
) -> None:
    response = api.post(
        route, content=body_with(route, path, token), headers={"content-type": "application/json"}
    )
    body = assert_error(response, 422, "validation_error")
    assert field_of(path) in [d["field"] for d in body["details"]], body


@pytest.mark.parametrize("day", HOSTILE_DATE_TOKENS)
@pytest.mark.parametrize(
    ("route", "path"), DATES, ids=[f"{r.split('/api/')[1]}:{field_of(p)}" for r, p in DATES]
)
def test_a_date_outside_the_window_is_422_naming_the_field(
    api: TestClient, route: str, path: tuple[str | int, ...], day: str
) -> None:
    response = api.post(
        route,
        content=body_with(route, path, day),
        headers={"content-type": "application/json"},
    )
    body = assert_error(response, 422, "validation_error")
    assert field_of(path) in [d["field"] for d in body["details"]], body


@pytest.mark.parametrize(
    ("route", "field", "values"),
    [
        ("/api/workflows/reforecast", "actual_sales_week_1_to_n", [600_000_000, 600_000_000]),
        ("/api/workflows/reforecast", "forecasted_week_1_to_n", [6e8, 6e8]),
        ("/api/agents/inventory/allocate", "weekly_forecast", [6e8] * 12),
    ],
)
def test_a_list_of_units_whose_sum_is_past_the_largest_order_is_422(
    api: TestClient, route: str, field: str, values: list[float]
) -> None:
    body = {**BODIES[route], field: values}
    if route.endswith("allocate"):
        body.pop("season_demand")
    body = assert_error(api.post(route, json=body), 422, "validation_error")
    assert f"{field} sums to more than 1,000,000,000 units" in json.dumps(body)


@pytest.mark.parametrize(
    "query",
    [
        "limit=true",
        "limit=1e3",
        "limit=\uff11\uff12",
        "limit=" + "9" * 5000,
        "limit=-1",
        "limit=101",
        "limit=1_0",
        "limit=+5",
        "limit=%205",
        "limit=0x10",
    ],
)
def test_a_query_number_out_of_its_class_is_422_naming_it(api: TestClient, query: str) -> None:
    for route in ("/api/workflows", "/api/forecasts"):
        body = assert_error(api.get(f"{route}?{query}"), 422, "validation_error")
        assert [d["field"] for d in body["details"]] == ["limit"]


@pytest.mark.parametrize("text", ["1_0", "+3", "0x3", "\uff13", "3.0", "9" * 5000])
def test_a_path_or_events_number_that_is_not_plain_digits_is_422(
    api: TestClient, text: str
) -> None:
    body = assert_error(api.get(f"/api/variance/{WORKFLOW}/week/{text}"), 422, "validation_error")
    assert [d["field"] for d in body["details"]] == ["week"]
    body = assert_error(
        api.get(f"/api/workflows/{WORKFLOW}/events?since={text}"), 422, "validation_error"
    )
    assert [d["field"] for d in body["details"]] == ["since"]
