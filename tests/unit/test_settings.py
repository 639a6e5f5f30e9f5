"""Settings come from the environment template.yaml sets; nothing has a made-up default, and a
missing variable stops a function at start-up (its import) with an error naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fashion_forecast import container
from fashion_forecast.settings import ConfigurationError, load_settings
from fashion_forecast_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_EVERYWHERE = ("TABLE_NAME", "DATA_BUCKET")


def test_the_variables_every_function_needs_have_no_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in REQUIRED_EVERYWHERE:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert str(refused.value) == (
        "invalid or missing environment variable(s): DATA_BUCKET, TABLE_NAME"
    )


def test_an_empty_table_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "")
    monkeypatch.setenv("DATA_BUCKET", "bucket")
    with pytest.raises(ConfigurationError, match="TABLE_NAME"):
        load_settings()


def test_require_names_what_a_function_needs_beyond_the_shared_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("DATA_BUCKET", "b")
    monkeypatch.delenv("STATE_MACHINE_ARN", raising=False)
    monkeypatch.delenv("DEMAND_FUNCTION_NAME", raising=False)
    settings = load_settings()
    with pytest.raises(ConfigurationError) as refused:
        settings.require("STATE_MACHINE_ARN", "DEMAND_FUNCTION_NAME")
    assert str(refused.value) == (
        "missing required environment variable(s): STATE_MACHINE_ARN, DEMAND_FUNCTION_NAME"
    )
    monkeypatch.setenv("STATE_MACHINE_ARN", "arn:aws:states:us-east-1:1:stateMachine:m")
    assert load_settings().require("STATE_MACHINE_ARN").state_machine_arn.endswith(":m")


def test_template_gives_every_function_what_its_handler_requires() -> None:
    template = Template.load()
    needs = {"ApiFunction": ("STATE_MACHINE_ARN", "DEMAND_FUNCTION_NAME")}
    needs["VarianceFunction"] = ("STATE_MACHINE_ARN",)
    for logical_id in template.of_type("AWS::Serverless::Function"):
        env = template.function_environment(logical_id)
        for name in (*REQUIRED_EVERYWHERE, *needs.get(logical_id, ())):
            assert env.get(name), f"{logical_id} lacks {name}"


@pytest.mark.parametrize(
    ("function", "missing"),
    [
        ("variance", "STATE_MACHINE_ARN"),
        ("workflow", "TABLE_NAME"),
        ("api", "DEMAND_FUNCTION_NAME"),
    ],
)
def test_a_function_missing_a_variable_fails_at_import_naming_it(
    function: str, missing: str
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TABLE_NAME", "DATA_BUCKET", "STATE_MACHINE_ARN", "DEMAND_FUNCTION_NAME"}
    }
    env.update(
        {
            "TABLE_NAME": "t",
            "DATA_BUCKET": "b",
            "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:m",
            "DEMAND_FUNCTION_NAME": "d",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    del env[missing]
    done = subprocess.run(
        [sys.executable, "-c", f"import functions.{function}.app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "ConfigurationError" in done.stderr and missing in done.stderr.splitlines()[-1]


def test_a_port_whose_resource_is_not_configured_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("DATA_BUCKET", "b")
    monkeypatch.delenv("STATE_MACHINE_ARN", raising=False)
    monkeypatch.delenv("DEMAND_FUNCTION_NAME", raising=False)
    built = container.build(load_settings())
    with pytest.raises(ConfigurationError, match="STATE_MACHINE_ARN is not set"):
        built.state_machine.start("x", {})
    with pytest.raises(ConfigurationError, match="DEMAND_FUNCTION_NAME is not set"):
        built.demand_function.invoke({})


def test_an_empty_aws_endpoint_url_means_the_aws_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """template.yaml declares AWS_ENDPOINT_URL empty on every function (so `sam local
    start-api --env-vars` can set it); empty must read as unset, by the settings and by boto3
    for every client the adapters build, not as an endpoint "" that fails every call."""
    from fashion_forecast.adapters.aws import client, reset_clients

    env = Template.load().function_environment("ApiFunction")
    assert env["AWS_ENDPOINT_URL"] == ""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "")
    load_settings()  # no variable of the settings is disturbed by it
    reset_clients()
    assert client("dynamodb").meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
    assert client("stepfunctions").meta.endpoint_url == "https://states.us-east-1.amazonaws.com"
    assert client("s3").meta.endpoint_url.startswith("https://s3.")
    reset_clients()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")  # what env.json sets
    assert client("dynamodb").meta.endpoint_url == "http://127.0.0.1:4566"
    reset_clients()
