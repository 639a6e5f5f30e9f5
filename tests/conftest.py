"""Shared fixtures: every test runs against fake credentials; AWS comes from moto only."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from moto import mock_aws

from fashion_forecast.adapters.aws import reset_clients
from fashion_forecast.api.app import create_app
from fashion_forecast.container import build as build_container
from fashion_forecast.ports import Container
from fashion_forecast.settings import Settings, get_settings
from fashion_forecast_local.seed import seed_sample_data
from fashion_forecast_local.template import Template
from tests.auth import as_caller

# CI runs the property tests on a fixed set of examples, so a run is reproducible and main
# stays green; elsewhere hypothesis explores new examples every run.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# Every function module builds its Container when it is imported (the Lambda init phase), so the
# environment template.yaml gives the functions is in place before a test module imports one.
for _name, _value in Template.load().environment().items():
    if not _name.startswith("POWERTOOLS_"):
        os.environ.setdefault(_name, _value)

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "FashionForecastTest",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
STRIPPED_ENV = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "OPENAI_API_KEY", "OPENAI_API_KEY_PARAMETER")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    for key in STRIPPED_ENV:
        monkeypatch.delenv(key, raising=False)
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_")]:
        monkeypatch.delenv(key)
    get_settings.cache_clear()
    reset_clients()
    yield
    get_settings.cache_clear()
    reset_clients()


@pytest.fixture
def template() -> Template:
    return Template.load()


@pytest.fixture
def aws() -> Iterator[None]:
    """moto, with state machine execution off (pinned: the local runtime turns it on)."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": False}}):
        yield


@pytest.fixture
def settings(template: Template, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings from the API function's environment in template.yaml."""
    for key, value in template.function_environment("ApiFunction").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("API_ROOT_PATH", "")
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def table(aws: None, template: Template, settings: Settings) -> str:
    template.create_tables(boto3.client("dynamodb"))
    return settings.table_name


@pytest.fixture
def state_machine(aws: None, settings: Settings) -> str:
    """A state machine under the name the settings give. Until the workflow ASL exists this
    definition is never executed (moto's execution is off): tests only check StartExecution."""
    sfn = boto3.client("stepfunctions")
    name = settings.state_machine_arn.rsplit(":", 1)[1]
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="sfn-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
    return str(
        sfn.create_state_machine(name=name, definition=definition, roleArn=role)["stateMachineArn"]
    )


@pytest.fixture
def container(table: str, state_machine: str, settings: Settings) -> Container:
    return build_container(settings)


@pytest.fixture
def sales_data(container: Container) -> list[str]:
    """The data bucket with the bundled sample history and stores (as the local runtime seeds
    it); returns the categories."""
    boto3.client("s3").create_bucket(Bucket=container.settings.data_bucket)
    return seed_sample_data(container.sales)


@pytest.fixture
def api(container: Container) -> Iterator[TestClient]:
    """The API as a caller with every role reaches it through API Gateway (tests.auth)."""
    with TestClient(as_caller(create_app(container)), raise_server_exceptions=False) as client:
        yield client
