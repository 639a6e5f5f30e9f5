"""The local runtime: resources built from template.yaml, and `fashion-forecast serve` over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest

from fashion_forecast_local.runtime import LocalRuntime, free_port, git_commit
from fashion_forecast_local.template import Template, TemplateError
from tests.integration.served import ServedProcess, serve_subprocess


def test_runtime_creates_the_template_table_and_points_the_environment_at_moto() -> None:
    with LocalRuntime() as runtime:
        ddb = runtime.client("dynamodb")
        table = ddb.describe_table(TableName="DataTable")["Table"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["GSI1"]
        assert runtime.environment["TABLE_NAME"] == "DataTable"
        assert runtime.environment["AWS_ENDPOINT_URL"] == runtime.endpoint
        arn = runtime.environment["STATE_MACHINE_ARN"]
        assert arn.endswith(":stateMachine:fashion-forecast-local-workflow")
        runtime.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
        functions = {
            f["FunctionName"] for f in runtime.client("lambda").list_functions()["Functions"]
        }
        assert functions == {
            "ApiFunction",
            "WorkflowFunction",
            "DemandFunction",
            "InventoryFunction",
            "PricingFunction",
            "ApprovalFunction",
            "WebSocketFunction",
            "VarianceFunction",
            "WsAuthorizerFunction",
        }
        seeded = runtime.client("s3").list_objects_v2(Bucket=runtime.environment["DATA_BUCKET"])
        keys = {o["Key"] for o in seeded["Contents"]}
        assert {"stores/attributes.csv", "history/weekly/womens_dresses.csv"} <= keys


def test_template_resolution_of_intrinsics(template: Template) -> None:
    assert template.resolve({"Ref": "DataTable"}) == "DataTable"
    assert template.resolve({"Fn::Sub": "x-${AWS::Region}-${StageName}"}) == "x-us-east-1-Prod"
    assert template.resolve({"Fn::GetAtt": ["DataTable", "Arn"]}).endswith(":table/DataTable")
    with pytest.raises(TemplateError):
        template.resolve({"Ref": "NoSuchThing"})


@pytest.fixture
def served() -> Iterator[ServedProcess]:
    with serve_subprocess() as server:
        yield server


def test_serve_logs_one_access_line_per_request_by_default() -> None:
    with serve_subprocess() as server:

        def lines_after(count: int, timeout: float = 30) -> list[str]:
            deadline = time.monotonic() + timeout
            while len(server.output) < count:
                assert time.monotonic() < deadline, "".join(server.output)
                time.sleep(0.05)
            return list(server.output)

        # start counting after a request of our own has been logged (start-up lines and the
        # helper's readiness probes come before it)
        assert httpx.get(f"{server.base}/api/health?mark=start").status_code == 200
        deadline = time.monotonic() + 30
        while not any("mark=start" in line for line in server.output):
            assert time.monotonic() < deadline, "".join(server.output)
            time.sleep(0.05)
        started = next(i for i, line in enumerate(server.output) if "mark=start" in line) + 1
        requests = [
            ("GET", "/api/health", 200),
            ("GET", "/api/categories", 200),
            ("POST", "/api/workflows/forecast", 422),  # a validation error logs no more
            ("GET", "/api/workflows", 200),
        ]
        for i, (method, path, status) in enumerate(requests, start=1):
            body = {"category_id": "x", "parameters": {"forecast_horizon_weeks": 100}}
            response = httpx.request(
                method,
                f"{server.base}{path}",
                json=body if method == "POST" else None,
                headers=server.headers,
            )
            assert response.status_code == status
            lines_after(started + i)
        # the last access line came after the others: nothing else was written in between
        logged = server.output[started:]
        assert len(logged) == len(requests), logged
        for line, (method, path, status) in zip(logged, requests, strict=True):
            assert f'"{method} {path} HTTP/1.1" {status}' in line


def test_serve_answers_http_on_a_free_port(served: ServedProcess) -> None:
    base, headers = served.base, served.headers
    assert httpx.get(f"{base}/api/health").json()["status"] == "ok"
    listing = httpx.get(f"{base}/api/workflows", headers=headers)
    assert listing.status_code == 200
    assert listing.json() == {"items": [], "next_cursor": None}
    assert httpx.get(f"{base}/api/workflows").status_code == 401  # no key
    bad = httpx.post(
        f"{base}/api/workflows/forecast",
        json={"category_id": "womens_outerwear", "parameters": {"forecast_horizon_weeks": 100}},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "parameters.forecast_horizon_weeks"
    assert httpx.get(f"{base}/docs").status_code == 200  # the docs stay open
    assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "Fashion Forecast API"
    page = httpx.get(f"{base}/")  # the planner front end (web/), after every API route
    assert page.status_code == 200
    assert "<title>Fashion Forecast planner</title>" in page.text
    assert httpx.get(f"{base}/js/app.js").headers["content-type"].startswith("text/javascript")
    missing = httpx.get(f"{base}/api/no-such-route", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "not_found"


def test_serve_prints_each_notification_on_one_line_and_names_its_build() -> None:
    with serve_subprocess() as server:
        health = httpx.get(f"{server.base}/api/health").json()
        assert health["commit"] == git_commit() != ""
        started = httpx.post(
            f"{server.base}/api/workflows/forecast",
            headers=server.headers,
            json={
                "category_id": "womens_dresses",
                "parameters": {"replenishment_strategy": "none"},
            },
        )
        assert started.status_code == 201, started.text
        workflow_id = started.json()["workflow_id"]
        server.wait_for_output(f"workflow {workflow_id}", timeout=120)
        (line,) = [x for x in server.output if f"workflow {workflow_id}" in x]
        assert line.startswith("notification: Fashion Forecast: forecast womens_dresses waits")
        assert "Approve the manufacturing order of" in line and "manufacturing_qty=" in line
        assert line.rstrip().endswith(f"{server.base}/workflows/{workflow_id}")
        status = httpx.get(
            f"{server.base}/api/workflows/{workflow_id}", headers=server.headers
        ).json()["status"]
        assert status == "awaiting_approval"


def test_serve_puts_the_aws_endpoint_on_the_port_asked_for() -> None:
    """What env.json's AWS_ENDPOINT_URL points `sam local start-api` at."""
    port = free_port()
    with serve_subprocess(args=["--aws-port", str(port)]) as server:
        assert server.moto == f"http://127.0.0.1:{port}"
        ddb = boto3.client("dynamodb", endpoint_url=server.moto, region_name="us-east-1")
        assert "DataTable" in ddb.list_tables()["TableNames"]


def test_env_json_points_sam_local_at_the_local_runtime(template: Template) -> None:
    """env.json (`sam local start-api --env-vars env.json`): SAM overrides only the variables
    the template declares, so each must be declared, and name what the local runtime creates."""
    env = json.loads((template.path.parent / "env.json").read_text())
    functions = template.of_type("AWS::Serverless::Function")
    for scope, variables in env.items():
        targets = list(functions) if scope == "Parameters" else [scope]
        for logical_id in targets:
            declared = template.function_environment(logical_id)
            assert set(variables) <= set(declared), (scope, set(variables) - set(declared))
    shared, api = env["Parameters"], env["ApiFunction"]
    assert shared["TABLE_NAME"] == template.physical_name("DataTable")
    assert shared["DATA_BUCKET"] == template.physical_name("DataBucket")
    assert api["STATE_MACHINE_ARN"] == template.arn("WorkflowStateMachine")
    assert api["DEMAND_FUNCTION_NAME"] == template.physical_name("DemandFunction")
    assert shared["AWS_ENDPOINT_URL"].startswith("http://host.docker.internal:")
