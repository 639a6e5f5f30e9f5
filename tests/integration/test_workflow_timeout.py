"""An approval or a clarification nobody answers: the state machine's TimeoutSeconds fails the
workflow."""

from __future__ import annotations

import pytest

from fashion_forecast.models.approvals import ApprovalStatus
from tests.integration.flows import SEASON_START, live_stack
from tests.integration.test_clarification_flow import OPEN, answer, start_text


def test_an_approval_that_times_out_fails_the_workflow_and_answers_410() -> None:
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        live_stack(monkeypatch, ApprovalTimeoutSeconds="2") as live,
    ):
        workflow_id = live.start_forecast("zara")
        live.wait(workflow_id, "awaiting_approval")
        failed = live.wait(workflow_id, "failed", timeout=30)
        assert failed.error_message == "No approval decision arrived within 2 seconds"
        late = live.approve(workflow_id, action="accept")
        assert late.status_code == 410
        assert late.json()["error_code"] == "approval_expired"
        assert failed.last_approval_id is not None
        approval = live.container.approvals.get(failed.last_approval_id)
        assert approval.status is ApprovalStatus.EXPIRED


def test_a_clarification_nobody_answers_times_out_with_410() -> None:
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        live_stack(monkeypatch, ApprovalTimeoutSeconds="2") as live,
    ):
        workflow_id = start_text(live, OPEN)
        live.wait(workflow_id, "awaiting_clarification")
        failed = live.wait(workflow_id, "failed", timeout=30)
        late = answer(live, workflow_id, {"q1": SEASON_START, "q2": "12"})
        assert late.status_code == 410, late.text
        assert late.json()["error_code"] == "approval_expired"
        assert failed.last_approval_id is not None
        approval = live.container.approvals.get(failed.last_approval_id)
        assert approval.status is ApprovalStatus.EXPIRED
