"""Notifications: a pause for an approval and a failure each publish one message naming the
workflow, what is asked, the key numbers and a link; never the task token."""

from __future__ import annotations

import json

import pytest

from fashion_forecast.app import workflows
from fashion_forecast.models.identity import SYSTEM
from fashion_forecast.models.workflows import WorkflowType
from fashion_forecast.ports import Container
from fashion_forecast_local.notifications import notification_line
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import start_running_workflow
from tests.unit.app.test_workflows import waiting_for_approval


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container(FRONTEND_BASE_URL="https://plan.example.com/")


def test_an_approval_pause_is_notified_without_the_token(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, token = waiting_for_approval(c, fakes)
    ((subject, message),) = fakes.notifier.sent
    assert subject == "Fashion Forecast: forecast womens_dresses waits"
    assert message["event"] == "human_input_required"
    assert message["workflow_id"] == workflow_id
    assert message["action"] == "manufacturing_approval"
    assert message["asked"] == "Approve the manufacturing order of 15,000 units"
    assert message["key_numbers"]["manufacturing_qty"] == 15_000
    assert message["key_numbers"]["season_demand"] == 12_000
    assert "allocation_id" not in message["key_numbers"]
    assert message["link"] == f"https://plan.example.com/workflows/{workflow_id}"
    assert token not in json.dumps(message) and token not in subject


def test_a_failure_is_notified_once(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    workflows.fail(c, workflow.workflow_id, {"Error": "UnavailableError", "Cause": "boom"})
    workflows.fail(c, workflow.workflow_id, {"Error": "UnavailableError", "Cause": "boom"})
    ((subject, message),) = fakes.notifier.sent
    assert subject.endswith("failed")
    assert message["event"] == "workflow_failed" and "boom" in message["error_message"]


def test_a_cancel_is_not_notified_but_an_interruption_is(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    cancelled = start_running_workflow(c, WorkflowType.FORECAST, {})
    workflows.cancel(c, cancelled.workflow_id, caller=SYSTEM)
    assert fakes.notifier.sent == []
    running = start_running_workflow(c, WorkflowType.FORECAST, {})
    workflows.interrupt_unfinished(c, "interrupted by restart")
    ((_, message),) = fakes.notifier.sent
    assert (message["workflow_id"], message["error_message"]) == (
        running.workflow_id,
        "interrupted by restart",
    )


def test_without_a_base_url_the_link_is_the_path() -> None:
    c, fakes = fake_container()
    workflow_id, _ = waiting_for_approval(c, fakes)
    assert fakes.notifier.sent[0][1]["link"] == f"/workflows/{workflow_id}"


def test_the_local_runtime_prints_one_line_per_notification() -> None:
    body = json.dumps(
        {
            "workflow_id": "wf-1",
            "asked": "Approve the manufacturing order of 80,235 units",
            "key_numbers": {"manufacturing_qty": 80235, "season_demand": 64187.67},
            "link": "http://127.0.0.1:8000/workflows/wf-1",
        }
    )
    assert notification_line("Fashion Forecast: forecast x waits", body) == (
        "notification: Fashion Forecast: forecast x waits | workflow wf-1 | Approve the "
        "manufacturing order of 80,235 units | manufacturing_qty=80235, season_demand=64187.67 "
        "| http://127.0.0.1:8000/workflows/wf-1"
    )
    assert "\n" not in notification_line("s", "not json\nsecond line")
