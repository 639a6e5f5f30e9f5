"""A pre-season forecast started from plain words, through the HTTP API and the real ASL: the
extraction step, the clarification pause and its answers (no OpenAI key: the rules answer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fashion_forecast.app import workflows
from fashion_forecast.extraction.models import MAX_TEXT_CHARS
from fashion_forecast.models.approvals import ApprovalStatus
from fashion_forecast.models.audit import AuditQuery, EntityType
from tests.integration.flows import SEASON_START, Live, live_stack

SETTLED = (
    "12-week season starting 2025-03-03, no replenishment, ship everything up front, "
    "markdown check at week 6"
)
OPEN = "No replenishment, ship everything up front, markdown check at week 6"


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


def start_text(live: Live, text: str, category: str = "womens_dresses") -> str:
    response = live.api.post(
        "/api/workflows/forecast", json={"category_id": category, "text": text}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["workflow_id"])


def answer(live: Live, workflow_id: str, answers: Any) -> Any:
    return live.api.post(f"/api/workflows/{workflow_id}/clarification", json={"answers": answers})


def events(live: Live, workflow_id: str) -> list[dict[str, Any]]:
    response = live.api.get(f"/api/workflows/{workflow_id}/events")
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def test_missing_fields_pause_then_answers_run_the_season_to_completion(live: Live) -> None:
    workflow_id = start_text(live, OPEN)
    paused = live.wait(workflow_id, "awaiting_clarification")
    assert paused.pending_approval is not None
    assert paused.pending_approval.kind == "clarification"
    questions = paused.pending_approval.data["questions"]
    assert [(q["id"], q["field"]) for q in questions] == [
        ("q1", "season_start_date"),
        ("q2", "forecast_horizon_weeks"),
    ]
    asked = [e for e in events(live, workflow_id) if e["type"] == "human_input_required"]
    assert len(asked) == 1
    assert asked[0]["action"] == "clarification"
    assert asked[0]["data"]["questions"] == questions
    assert "task_token" not in str(asked[0])
    assert "parameters" not in live.container.workflows.get(workflow_id).input

    # a bad answer is a 422 in the error shape, and the pause stays with nothing recorded
    bad = answer(live, workflow_id, {"q1": "next spring", "q2": "12.5"})
    assert bad.status_code == 422, bad.text
    body = bad.json()
    assert set(body) == {"error_code", "message", "details", "request_id"}
    assert {d["field"] for d in body["details"]} == {"answers.q1", "answers.q2"}
    # a season the rules refuse (too long for the history to reach) is a 422 as well
    too_long = answer(live, workflow_id, {"q1": SEASON_START, "q2": "60"})
    assert too_long.status_code == 422, too_long.text
    still = live.container.workflows.get(workflow_id)
    assert still.status.value == "awaiting_clarification"
    assert still.pending_approval is not None
    approval = live.container.approvals.get(still.pending_approval.approval_id)
    assert approval.status is ApprovalStatus.PENDING
    assert "parameters" not in still.input

    good = answer(live, workflow_id, {"q1": SEASON_START, "q2": "12"})
    assert good.status_code == 200, good.text
    assert good.json()["status"] == "running"
    waiting = live.wait(workflow_id, "awaiting_approval")
    assert waiting.input["parameters"]["season_start_date"] == SEASON_START
    assert waiting.input["parameters"]["forecast_horizon_weeks"] == 12
    assert waiting.input["parameters"]["markdown_checkpoint_week"] == 6
    assert live.approve(workflow_id, action="accept").status_code == 200
    live.wait(workflow_id, "completed")
    states = live.states_entered(workflow_id)
    assert states[states.index("RouteByType") :][:6] == [
        "RouteByType",
        "FromText",
        "ExtractParameters",
        "NeedsClarification",
        "Clarification",
        "Demand",
    ]
    assert "ManufacturingApproval" in states
    forecast = live.container.workflows.get(workflow_id)
    assert forecast.forecast_id is not None

    # a second answer is a 409, and the audit trail names who answered what
    assert answer(live, workflow_id, {"q1": SEASON_START, "q2": "12"}).status_code == 409
    query = AuditQuery(entity_type=EntityType.WORKFLOW, entity_id=workflow_id)
    entries = live.container.audit.list(query, limit=50).items
    answered = [e for e in entries if e.action.value == "clarification_answered"]
    assert len(answered) == 1
    assert answered[0].change["answers"] == {"q1": SEASON_START, "q2": "12"}
    assert answered[0].change["after"]["forecast_horizon_weeks"] == 12


def test_a_text_that_settles_both_fields_runs_without_a_pause(live: Live) -> None:
    workflow_id = start_text(live, SETTLED)
    waiting = live.wait(workflow_id, "awaiting_approval")
    assert waiting.input["parameters"]["season_start_date"] == SEASON_START
    assert waiting.input["parameters"]["forecast_horizon_weeks"] == 12
    assert all(e["action"] != "clarification" for e in events(live, workflow_id) if "action" in e)
    assert live.approve(workflow_id, action="accept").status_code == 200
    live.wait(workflow_id, "completed")
    states = live.states_entered(workflow_id)
    assert "Clarification" not in states
    assert [
        s
        for s in states
        if s in {"ExtractParameters", "NeedsClarification", "UseExtracted", "Demand"}
    ] == ["ExtractParameters", "NeedsClarification", "UseExtracted", "Demand"]


def test_cancel_during_the_pause(live: Live) -> None:
    workflow_id = start_text(live, OPEN)
    paused = live.wait(workflow_id, "awaiting_clarification")
    assert paused.pending_approval is not None
    response = live.api.post(f"/api/workflows/{workflow_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    approval = live.container.approvals.get(paused.pending_approval.approval_id)
    assert approval.status is ApprovalStatus.CANCELLED
    assert live.wait_execution(workflow_id)["status"] in {"ABORTED", "FAILED"}
    assert answer(live, workflow_id, {"q1": SEASON_START, "q2": "12"}).status_code == 409
    assert live.container.workflows.get(workflow_id).status.value == "cancelled"


def test_unknown_missing_and_ill_typed_answers_are_422_and_the_pause_stays(live: Live) -> None:
    workflow_id = start_text(live, OPEN)
    live.wait(workflow_id, "awaiting_clarification")
    hostile: list[Any] = [
        {"answers": {"q1": SEASON_START, "q2": "12", "q9": "x"}},  # unknown id
        {"answers": {"q1": SEASON_START}},  # one unanswered
        {"answers": {}},
        {"answers": {"q1": SEASON_START, "q2": 12}},  # not a string
        {"answers": ["2025-03-03", "12"]},
        {"answers": {"q1": SEASON_START, "q2": "12"}, "extra": 1},  # extra field
        {"answers": {"q1": "2025-02-30", "q2": "12"}},  # no such day
        {"answers": {"q1": SEASON_START, "q2": " "}},
        {},
    ]
    for body in hostile:
        response = live.api.post(f"/api/workflows/{workflow_id}/clarification", json=body)
        assert response.status_code == 422, (body, response.text)
        assert set(response.json()) == {"error_code", "message", "details", "request_id"}
    workflow = live.container.workflows.get(workflow_id)
    assert workflow.status.value == "awaiting_clarification"
    assert live.api.post(f"/api/workflows/{workflow_id}/cancel").status_code == 200


def test_hostile_start_bodies_store_nothing(live: Live) -> None:
    before = live.api.get("/api/workflows?limit=100").json()["items"]
    cases: list[tuple[dict[str, Any], int]] = [
        ({"category_id": "womens_dresses", "text": "x" * (MAX_TEXT_CHARS + 1)}, 413),
        ({"category_id": "womens_dresses", "text": 12}, 422),
        ({"category_id": "womens_dresses", "text": "   "}, 422),
        ({"category_id": "womens_dresses", "text": ""}, 422),
        (
            {
                "category_id": "womens_dresses",
                "text": SETTLED,
                "parameters": {"forecast_horizon_weeks": 12},
            },
            422,
        ),
        ({"category_id": "womens_dresses", "text": SETTLED, "extra": True}, 422),
        ({"category_id": "no_such_category", "text": SETTLED}, 422),
    ]
    for body, status in cases:
        response = live.api.post("/api/workflows/forecast", json=body)
        assert response.status_code == status, (body, response.text)
        assert set(response.json()) == {"error_code", "message", "details", "request_id"}
    assert live.api.get("/api/workflows?limit=100").json()["items"] == before


def test_a_pause_interrupted_by_a_restart_expires_and_a_retry_asks_again(live: Live) -> None:
    """What a restart of the local runtime does to a waiting clarification
    (interrupt_unfinished): the workflow fails, the pause expires (a late answer is 410); the
    retry asks again without extracting again, and its answers run the season on."""
    workflow_id = start_text(live, OPEN)
    paused = live.wait(workflow_id, "awaiting_clarification")
    assert paused.pending_approval is not None
    assert workflows.interrupt_unfinished(live.container, "interrupted by restart") == [workflow_id]
    failed = live.container.workflows.get(workflow_id)
    assert (failed.status.value, failed.error_message) == ("failed", "interrupted by restart")
    expired = live.container.approvals.get(paused.pending_approval.approval_id)
    assert expired.status is ApprovalStatus.EXPIRED
    assert answer(live, workflow_id, {"q1": SEASON_START, "q2": "12"}).status_code == 410

    retried = live.api.post(f"/api/workflows/{workflow_id}/retry")
    assert retried.status_code == 200, retried.text
    again = live.wait(workflow_id, "awaiting_clarification")
    assert again.pending_approval is not None
    assert again.pending_approval.approval_id != paused.pending_approval.approval_id
    assert again.pending_approval.data["questions"] == paused.pending_approval.data["questions"]
    assert answer(live, workflow_id, {"q1": SEASON_START, "q2": "12"}).status_code == 200
    live.wait(workflow_id, "awaiting_approval")
    assert live.api.post(f"/api/workflows/{workflow_id}/cancel").status_code == 200


def test_an_extraction_question_takes_free_text_read_again_with_the_text(live: Live) -> None:
    workflow_id = start_text(live, "12 weeks, no replenishment, starting sometime in spring")
    paused = live.wait(workflow_id, "awaiting_clarification")
    assert paused.pending_approval is not None
    questions = paused.pending_approval.data["questions"]
    assert [(q["id"], q["field"]) for q in questions] == [
        ("q1", "season_start_date"),
        ("q2", None),
    ]
    blank = answer(live, workflow_id, {"q1": SEASON_START, "q2": "  "})
    assert blank.status_code == 422
    assert [d["field"] for d in blank.json()["details"]] == ["answers.q2"]
    long = answer(live, workflow_id, {"q1": SEASON_START, "q2": "x" * 1001})
    assert long.status_code == 422
    good = answer(live, workflow_id, {"q1": SEASON_START, "q2": "markdown check at week 5"})
    assert good.status_code == 200, good.text
    waiting = live.wait(workflow_id, "awaiting_approval")
    parameters = waiting.input["parameters"]
    assert parameters["season_start_date"] == SEASON_START  # the field answer
    assert parameters["forecast_horizon_weeks"] == 12  # from the text
    assert parameters["markdown_checkpoint_week"] == 5  # from the free text, read again
    assert live.api.post(f"/api/workflows/{workflow_id}/cancel").status_code == 200
