"""schemathesis against the app's own OpenAPI: every operation, generated valid and invalid
requests, sent in-process (ASGI) to the app on moto. Each answer must be no 5xx, a status the
operation documents, of the documented content type, and match the documented schema.

Bounded and reproducible: a fixed seed, deterministic generation, no example database, at most
MAX_EXAMPLES fuzzed requests per operation (plus the schema's examples and schemathesis's
boundary-value "coverage" cases); no network (pytest-socket allows 127.0.0.1 only, and nothing
here needs even that)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fashion_forecast.adapters.aws import reset_clients
from fashion_forecast.api.app import create_app
from fashion_forecast.container import build as build_container
from fashion_forecast.ports import Container
from fashion_forecast.settings import get_settings
from fashion_forecast_local.lambdas import InProcessLambdas
from fashion_forecast_local.template import Template
from tests.auth import as_caller
from tests.conftest import TEST_ENV

MAX_EXAMPLES = 20
SEED = 20250303

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
    }
)


def _openapi() -> dict[str, Any]:
    """The app's OpenAPI, for collection: schemathesis makes one test per operation before any
    fixture runs (its lazy loader, schemathesis.pytest.from_fixture, does not run under pytest
    9: it rewrites Node._nodeid). Each test calls the app of its own fixture;
    test_the_schema_tested_is_the_apps_own checks that the two OpenAPIs are the same."""
    environment = {**TEST_ENV, **Template.load().function_environment("ApiFunction")}
    with pytest.MonkeyPatch.context() as env, mock_aws():
        for key, value in {**environment, "API_ROOT_PATH": ""}.items():
            env.setenv(key, value)
        get_settings.cache_clear()
        try:
            return create_app(build_container(get_settings())).openapi()
        finally:
            get_settings.cache_clear()
            reset_clients()


OPENAPI = _openapi()
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)


@pytest.fixture
def app(container: Container, sales_data: list[str], template: Template) -> Iterator[FastAPI]:
    """The app on moto, with the sample history and stores seeded and the Lambdas it invokes
    (the Demand function of /api/agents/*) run in-process; state machine execution is off."""
    template.create_buckets(boto3.client("s3"))
    template.create_functions(boto3.client("lambda"), boto3.client("iam"))
    with InProcessLambdas(template):
        yield as_caller(create_app(container))  # type: ignore[misc]


def test_the_schema_tested_is_the_apps_own(app: FastAPI) -> None:
    assert app.openapi() == OPENAPI


@pytest.mark.allow_hosts(["127.0.0.1"])
@schema.parametrize()
@settings(
    suppress_health_check=[
        # one app (and moto) per operation, shared by that operation's examples: on purpose
        HealthCheck.function_scoped_fixture,
        # timing, not correctness: a busy CI machine must not fail the run
        HealthCheck.too_slow,
    ]
)
def test_the_api_conforms_to_its_openapi(case: schemathesis.Case, app: FastAPI) -> None:
    case.call_and_validate(app=app, checks=CHECKS)
