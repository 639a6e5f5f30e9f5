"""A live workflow stack for tests: moto with state machine execution on, every resource of
template.yaml, the in-process Lambda hook and the bundled sample data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from fastapi.testclient import TestClient
from moto import mock_aws

from fashion_forecast.adapters.aws import reset_clients
from fashion_forecast.api.app import create_app
from fashion_forecast.container import build as build_container
from fashion_forecast.models.workflows import Workflow
from fashion_forecast.ports import Container
from fashion_forecast.settings import get_settings
from fashion_forecast_local.lambdas import InProcessLambdas
from fashion_forecast_local.seed import seed_sample_data
from fashion_forecast_local.template import Template
from tests.auth import as_caller
from tests.conftest import TEST_ENV

SEASON_START = "2025-03-03"  # the week after the bundled history ends
SCENARIOS: dict[str, dict[str, Any]] = {
    "zara": {
        "forecast_horizon_weeks": 12,
        "season_start_date": SEASON_START,
        "replenishment_strategy": "none",
        "dc_holdback_percentage": 0.0,
        "markdown_checkpoint_week": 6,
    },
    "standard": {
        "forecast_horizon_weeks": 26,
        "season_start_date": SEASON_START,
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 0.45,
        "markdown_checkpoint_week": 12,
    },
    "luxury": {
        "forecast_horizon_weeks": 16,
        "season_start_date": SEASON_START,
        "replenishment_strategy": "bi-weekly",
        "dc_holdback_percentage": 0.30,
        "markdown_checkpoint_week": None,
    },
}


@dataclass
class Live:
    container: Container
    template: Template
    lambdas: InProcessLambdas
    api: TestClient

    def wait(self, workflow_id: str, *statuses: str, timeout: float = 90) -> Workflow:
        """Poll until the workflow reaches one of `statuses` (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            workflow = self.container.workflows.get(workflow_id)
            if workflow.status.value in statuses:
                return workflow
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"workflow {workflow_id} is {workflow.status} ({workflow.error_message}), "
                    f"expected {statuses}"
                )
            time.sleep(0.05)

    def wait_execution(self, workflow_id: str, timeout: float = 30) -> dict[str, Any]:
        """Wait until the workflow's (latest) execution has ended; returns describe_execution."""
        sfn = boto3.client("stepfunctions")
        arn = self.container.workflows.get(workflow_id).execution_arn
        arn = arn or self.container.state_machine.execution_arn(workflow_id)
        deadline = time.monotonic() + timeout
        while True:
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return dict(described)
            if time.monotonic() > deadline:
                raise AssertionError(f"execution of {workflow_id} still running")
            time.sleep(0.05)

    def states_entered(self, workflow_id: str) -> list[str]:
        """The states the workflow's execution entered, read once it has ended: the workflow
        row says completed (the Finish step) before the execution reaches its last state."""
        self.wait_execution(workflow_id)
        sfn = boto3.client("stepfunctions")
        arn = self.container.state_machine.execution_arn(workflow_id)
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return [
            e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
        ]

    def start_forecast(self, scenario: str = "zara", category: str = "womens_dresses") -> str:
        response = self.api.post(
            "/api/workflows/forecast",
            json={"category_id": category, "parameters": SCENARIOS[scenario]},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["workflow_id"])

    def approve(self, workflow_id: str, kind: str = "manufacturing", **body: Any) -> Any:
        return self.api.post(f"/api/approvals/{kind}", json={"workflow_id": workflow_id, **body})


@contextmanager
def live_stack(monkeypatch: Any, **parameters: str) -> Iterator[Live]:
    overrides = {"ApprovalTimeoutSeconds": "600", "RetryIntervalSeconds": "1", **parameters}
    template = Template.load(**overrides)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        env = dict(TEST_ENV)
        env.update(template.environment())
        env.update(template.function_environment("ApiFunction"))
        env["API_ROOT_PATH"] = ""
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        reset_clients()
        template.create_all(boto3.client)
        with InProcessLambdas(template) as lambdas:
            container = build_container(get_settings())
            seed_sample_data(container.sales)
            app = as_caller(create_app(container))  # every role (tests.auth)
            with TestClient(app, raise_server_exceptions=False) as api:
                yield Live(container=container, template=template, lambdas=lambdas, api=api)
