"""A workflow's page shows its history: the steps table lists the states its execution went
through (as GET /steps has them) and the audit trail who started it and who decided its
approval, page by page through next_cursor; both load again when the status changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser.conftest import TABLET, Served, Tab

ZARA = (
    "Zara-style 12-week spring season starting March 3rd 2025, no replenishment, ship "
    "everything up front, markdown check at week 6"
)
STEP_NAMES = "els => els.map(r => [r.cells[0].firstChild.textContent.trim(), r.cells[4].innerText])"
AUDIT_ROWS = "els => els.map(r => [r.cells[2].innerText, r.cells[1].firstChild.textContent.trim()])"


def wait_for(
    check: Callable[[], Any], what: str, timeout: float = 180, seen: Callable[[], Any] = str
) -> Any:
    """`check()` once it is truthy; else fails after `timeout` s with what `seen()` says."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}: {seen()}")


def get(served: Served, path: str) -> Any:
    answer = httpx.get(f"{served.base}{path}", headers=served.runtime.auth_headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def start_awaiting_approval(served: Served) -> str:
    headers = served.runtime.auth_headers
    extracted = httpx.post(
        f"{served.base}/api/parameters/extract", json={"text": ZARA}, headers=headers
    )
    assert extracted.status_code == 200, extracted.text
    created = httpx.post(
        f"{served.base}/api/workflows/forecast",
        json={"category_id": "womens_dresses", "parameters": extracted.json()["parameters"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    workflow_id = str(created.json()["workflow_id"])

    def awaiting() -> bool:
        status = get(served, f"/api/workflows/{workflow_id}")["status"]
        assert status not in {"failed", "cancelled"}, status
        return bool(status == "awaiting_approval")

    wait_for(awaiting, f"{workflow_id} to await approval")
    return workflow_id


def sign_in(tab: Tab, served: Served) -> None:
    tab.goto()
    tab.page.get_by_label("API key", exact=True).fill(served.runtime.auth_headers["x-api-key"])
    tab.page.get_by_role("button", name="Sign in").click()
    tab.page.get_by_role("heading", name="Plan a season").wait_for()


def api_steps(served: Served, workflow_id: str) -> list[list[str]]:
    body = get(served, f"/api/workflows/{workflow_id}/steps")
    return [[s["name"], s["outcome"]] for s in body["steps"]]


def page_steps(tab: Tab) -> list[list[str]]:
    rows = tab.page.get_by_test_id("steps").locator("tbody tr")
    return list(rows.evaluate_all(STEP_NAMES))


def page_audit(tab: Tab) -> list[list[str]]:
    rows = tab.page.get_by_test_id("audit").locator("tbody tr")
    return list(rows.evaluate_all(AUDIT_ROWS)) if rows.count() else []


def follow_every_page(tab: Tab) -> int:
    """Presses "Show older entries" with the keyboard until the last page is in: the clicks."""
    more = tab.page.get_by_role("button", name="Show older entries")
    clicks = 0
    while more.count():
        shown = tab.page.get_by_test_id("audit").locator("tbody tr").count()
        more.focus()
        tab.page.keyboard.press("Enter")
        wait_for(
            lambda n=shown: (
                more.count() == 0
                or (
                    more.get_attribute("aria-busy") == "false"
                    and tab.page.get_by_test_id("audit").locator("tbody tr").count() > n
                )
            ),
            "the next audit page",
        )
        clicks += 1
        assert clicks < 10, "next_cursor never ran out"
    return clicks


def test_the_workflow_page_shows_its_steps_and_audit_trail(tab: Tab, served: Served) -> None:
    workflow_id = start_awaiting_approval(served)
    page = tab.page
    # one entry a page, so the table has to follow next_cursor to show the whole trail
    page.route(
        "**/audit?*", lambda route: route.continue_(url=route.request.url.replace("=20", "=1"))
    )
    sign_in(tab, served)
    tab.goto(f"#/workflow/{workflow_id}")
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()

    # awaiting the decision: the run so far, the approval step still open, only the start
    steps = page.get_by_role("table", name="States the workflow's executions entered, in order")
    steps.wait_for()
    assert page_steps(tab) == api_steps(served, workflow_id)
    names = [name for name, _ in page_steps(tab)]
    assert names.index("Demand") < names.index("Inventory") < names.index("ManufacturingApproval")
    assert page_steps(tab)[-1] == ["ManufacturingApproval", "running"]
    audit = page.get_by_role("table", name="Who did what to this workflow, newest first")
    audit.wait_for()
    assert follow_every_page(tab) == 0
    started = get(served, f"/api/workflows/{workflow_id}/audit")["items"]
    assert page_audit(tab) == [["Workflow started", started[0]["actor"]]]

    page.get_by_role("button", name="Send decision: Accept").click()
    status = page.get_by_test_id("workflow-status")
    wait_for(lambda: status.inner_text() == "completed", "the page to show completion")

    # completed: the whole run, settled, as GET /steps has it
    wait_for(
        lambda: page_steps(tab) == api_steps(served, workflow_id),
        "the steps table to match GET /steps",
        seen=lambda: (page_steps(tab), api_steps(served, workflow_id)),
    )
    final = api_steps(served, workflow_id)
    assert ["Demand", "succeeded"] in final and ["Inventory", "succeeded"] in final
    assert ["ManufacturingApproval", "succeeded"] in final
    assert all(outcome != "running" for _, outcome in final)
    assert final[-1] == ["Completed", "succeeded"]

    # the trail refreshed on the status change: newest first, one page, then the older ones
    wait_for(lambda: (page_audit(tab) or [[""]])[0][0] == "Approval decided", "the decision")
    assert follow_every_page(tab) >= 1
    trail = get(served, f"/api/workflows/{workflow_id}/audit")
    assert trail["next_cursor"] is None
    assert page_audit(tab) == [[label(e["action"]), e["actor"]] for e in trail["items"]]
    assert [e["action"] for e in trail["items"]] == ["approval_decided", "workflow_started"]
    actor = trail["items"][0]["actor"]
    assert actor and trail["items"][1]["actor"] == actor  # the same signed-in key did both
    decided = page.get_by_test_id("audit").locator("tbody tr").first
    assert "Action: accept" in decided.inner_text()
    assert "API key" in decided.locator("td").first.inner_text()
    # the last page took the button away: the keyboard stays in the table's region
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Audit trail"

    assert tab.axe() == [], "axe: serious/critical violations on the workflow history"
    tab.shot("history-workflow")
    page.set_viewport_size(TABLET)
    tab.shot("history-workflow-tablet")
    # 200% zoom of a 1280-pixel laptop: the tables scroll inside their regions, not the page
    page.set_viewport_size({"width": 640, "height": 400})
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the workflow page scrolls sideways by {wide}px at 200% zoom"
    tab.shot("history-workflow-200pct")


def label(action: str) -> str:
    return action.replace("_", " ").capitalize()


def test_a_cancel_on_the_page_shows_in_its_steps_and_audit_trail(tab: Tab, served: Served) -> None:
    workflow_id = start_awaiting_approval(served)
    sign_in(tab, served)
    tab.goto(f"#/workflow/{workflow_id}")
    page = tab.page
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    page.get_by_test_id("audit").wait_for()
    assert [action for action, _ in page_audit(tab)] == ["Workflow started"]

    page.get_by_role("button", name="Cancel workflow").click()
    status = page.get_by_test_id("workflow-status")
    wait_for(lambda: status.inner_text() == "cancelled", "the page to show the cancel")
    # the stopped execution's open step, as GET /steps has it once the stop has landed
    wait_for(
        lambda: (
            page_steps(tab) == api_steps(served, workflow_id)
            and page_steps(tab)[-1][1] != "running"
        ),
        "the steps table to show the stopped execution",
        seen=lambda: (page_steps(tab), api_steps(served, workflow_id)),
    )
    # the cancel failed the approval's waiting task, then stopped the execution wherever it
    # had got to: the approval step failed with the cancel's error (or was itself stopped)
    body = get(served, f"/api/workflows/{workflow_id}/steps")["steps"]
    (approval,) = [s for s in body if s["name"] == "ManufacturingApproval"]
    assert approval["outcome"] in {"failed", "cancelled"}, approval
    row = page.get_by_test_id("steps").locator("tbody tr", has_text="ManufacturingApproval")
    shown = row.locator("td").last.inner_text()
    if approval["outcome"] == "failed":
        assert approval["error"]["error"] == "WorkflowCancelled"
        assert shown.startswith("WorkflowCancelled")
    else:
        assert shown == "\u2013"  # no error: a dash
    wait_for(
        lambda: len(page_audit(tab)) == 2,
        "the cancel in the audit trail",
        seen=lambda: page_audit(tab),
    )
    trail = get(served, f"/api/workflows/{workflow_id}/audit")["items"]
    assert page_audit(tab) == [[label(e["action"]), e["actor"]] for e in trail]
    assert [e["action"] for e in trail] == ["workflow_cancelled", "workflow_started"]
    assert tab.axe() == [], "axe: serious/critical violations on a cancelled workflow's history"
