"""A season started from text that leaves required fields open pauses
`awaiting_clarification`; the planner answers it on the workflow's page: a refused answer
shows its field error and stores nothing, the right answers run the season on, live, to its
manufacturing approval; answers sent after the pause was answered elsewhere read as a 409.
The viewer's side is in test_roles.py (the cognito-mode runtime)."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import LAPTOP, TABLET, HeldStream, Served, Tab
from tests.browser.test_planner import (
    assert_accessible,
    awaiting,
    wait_for,
    workflow,
    workflow_id_of,
)

# no start date, no season length: both required fields are asked (app/clarification.py)
OPEN = "No replenishment, ship everything up front, markdown check at week 6"
CATEGORY = "womens_dresses"
SEASON_START = "2025-03-03"  # the Monday after the bundled history ends
ASKED = [("q1", "season_start_date"), ("q2", "forecast_horizon_weeks")]


def start_from_text(served: Served, text: str = OPEN) -> str:
    created = served.post("/api/workflows/forecast", json={"category_id": CATEGORY, "text": text})
    assert created.status_code == 201, created.text
    return str(created.json()["workflow_id"])


def awaiting_clarification(served: Served, workflow_id: str) -> dict[str, Any]:
    """The workflow once it pauses for answers (fails the test if it goes anywhere else)."""

    def check() -> dict[str, Any] | None:
        current = workflow(served, workflow_id)
        assert current["status"] in {"pending", "running", "awaiting_clarification"}, current
        return current if current["status"] == "awaiting_clarification" else None

    return dict(wait_for(check, f"{workflow_id} to await clarification"))


def answered(served: Served, workflow_id: str) -> list[dict[str, Any]]:
    """The workflow's audit entries for answers to its clarification."""
    trail = served.get(f"/api/workflows/{workflow_id}/audit")
    assert trail.status_code == 200, trail.text
    return [e for e in trail.json()["items"] if e["action"] == "clarification_answered"]


def test_a_planner_starts_from_text_answers_wrong_then_right_and_the_season_runs_on(
    tab: Tab, served: Served
) -> None:
    page = tab.page
    tab.sign_in_with_api_key()
    page.get_by_label("Category").select_option(CATEGORY)
    page.get_by_label("Describe the season in plain words").fill(OPEN)
    page.get_by_role("button", name="Start from the text").click()

    page.get_by_role("heading", name="Questions before the forecast").wait_for()
    workflow_id = workflow_id_of(tab)
    paused = awaiting_clarification(served, workflow_id)
    pause = paused["pending_approval"]
    assert pause["kind"] == "clarification"
    questions = pause["data"]["questions"]
    assert [(q["id"], q["field"]) for q in questions] == ASKED
    page.get_by_text("awaiting clarification", exact=True).first.wait_for()
    # the extracted parameters the pause carries, the asked ones marked
    extracted = page.get_by_test_id("extracted-parameters")
    assert extracted.locator('[data-key="markdown_checkpoint_week"]').inner_text() == "6"
    assert extracted.locator('[data-key="replenishment_strategy"]').inner_text() == "none"
    asked_start = extracted.locator('[data-key="season_start_date"]')
    assert asked_start.inner_text().endswith("(asked below)")
    # each question labels its answer; no manufacturing approval form on this pause
    start, weeks = (page.get_by_label(q["question"]) for q in questions)
    assert start.get_attribute("type") == "date"
    assert page.get_by_role("button", name=re.compile("^Send decision")).count() == 0
    assert_accessible(tab, "10-clarify")
    # every answer and the submit button are reached with Tab alone
    page.locator("body").focus()
    reached = set()
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
    assert {"answer-q1", "answer-q2", "Send answers"} <= reached, reached

    # one answer the API refuses: its message next to its field, nothing stored
    start.fill(SEASON_START)
    weeks.fill("twelve")
    with page.expect_response(re.compile(r"/clarification$")) as refused:
        page.get_by_role("button", name="Send answers").click()
    assert refused.value.status == 422
    error = page.get_by_test_id("answer-q2-error")
    error.wait_for()
    assert error.inner_text() == "not a whole number of weeks"
    assert weeks.get_attribute("aria-invalid") == "true"
    assert "answer-q2-error" in (weeks.get_attribute("aria-describedby") or "")
    assert page.get_by_test_id("answer-q1-error").count() == 0
    page.get_by_text("Some answers need another look").wait_for()
    # a season the rules refuse names the parameter: shown next to the question asking it
    start.fill("2024-03-04")  # before the history ends
    weeks.fill("12")
    with page.expect_response(re.compile(r"/clarification$")) as refused:
        page.get_by_role("button", name="Send answers").click()
    assert refused.value.status == 422
    page.get_by_test_id("answer-q1-error").wait_for()
    assert page.get_by_test_id("answer-q1-error").inner_text() == "before the history"
    assert page.get_by_test_id("answer-q2-error").count() == 0
    assert weeks.get_attribute("aria-invalid") is None
    summary = page.get_by_role("alert").filter(has_text="Some answers need another look")
    assert "before the history ends" in summary.inner_text()  # the API's own sentence
    still = workflow(served, workflow_id)
    assert still["status"] == "awaiting_clarification"
    assert still["pending_approval"]["approval_id"] == pause["approval_id"]
    assert answered(served, workflow_id) == []
    assert_accessible(tab, "11-clarify-field-error")
    page.set_viewport_size(TABLET)
    tab.shot("12-clarify-tablet")
    # 200% zoom of a 1280-pixel laptop: one column, no sideways scrolling
    page.set_viewport_size({"width": 640, "height": 400})
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the clarification scrolls sideways by {wide}px at 200% zoom"
    page.set_viewport_size(LAPTOP)

    # the right answers: the workflow runs on and its timeline goes on live to the approval
    start.fill(SEASON_START)
    page.get_by_role("button", name="Send answers").click()
    page.get_by_text("Answers sent: the forecast runs on with them.").wait_for()
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    assert page.get_by_role("heading", name="Questions before the forecast").count() == 0
    assert page.locator(".stream-mode").inner_text() == "Live (WebSocket)"
    asked = page.get_by_test_id("events").locator("li.human_input_required")
    assert asked.count() == 2  # the questions, then the manufacturing order
    approval = awaiting(served, workflow_id)["pending_approval"]
    assert approval["kind"] == "manufacturing"
    shown = page.get_by_test_id("approval-numbers").locator('[data-key="manufacturing_qty"]')
    assert shown.inner_text() == f"{approval['data']['manufacturing_qty']:,}"
    [entry] = answered(served, workflow_id)
    assert entry["change"]["answers"] == {"q1": SEASON_START, "q2": "12"}
    assert entry["change"]["after"]["season_start_date"] == SEASON_START
    assert entry["change"]["after"]["forecast_horizon_weeks"] == 12
    assert entry["change"]["after"]["markdown_checkpoint_week"] == 6


def test_answers_sent_after_the_pause_was_answered_read_as_a_409(tab: Tab, served: Served) -> None:
    workflow_id = start_from_text(served)
    awaiting_clarification(served, workflow_id)
    page = tab.page
    stream = HeldStream()  # no live refresh: the page learns of the answer by trying
    page.route_web_socket(re.compile(r"/ws\?"), stream)
    tab.sign_in_with_api_key()
    tab.goto(f"#/workflow/{workflow_id}")
    page.get_by_role("heading", name="Questions before the forecast").wait_for()
    page.get_by_label(re.compile("When does the season start")).fill(SEASON_START)
    page.get_by_label(re.compile("How many weeks")).fill("12")

    first = served.post(
        f"/api/workflows/{workflow_id}/clarification",
        json={"answers": {"q1": SEASON_START, "q2": "12"}},
    )
    assert first.status_code == 200, first.text
    with page.expect_response(re.compile(r"/clarification$")) as refused:
        page.get_by_role("button", name="Send answers").click()
    assert refused.value.status == 409
    notice = page.get_by_role("alert").filter(
        has_text="These questions were already answered, or the workflow moved on"
    )
    notice.wait_for()
    # the page shows the workflow as it is now: the questions are gone, the message stays
    page.get_by_role("heading", name="Questions before the forecast").wait_for(state="detached")
    assert notice.count() == 1
    assert_accessible(tab, "13-clarify-409")
    assert len(answered(served, workflow_id)) == 1  # the page's answers were not recorded

    stream.release()  # the live timeline catches up and goes on to the approval
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    awaiting(served, workflow_id)
