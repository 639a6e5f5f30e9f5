"""An assortment plan on the workflow page: its categories with their status and numbers, each
linking to its own workflow (which links back to the plan), and its orders awaiting approval
decided together."""

from __future__ import annotations

from typing import Any

from fashion_forecast_local.demo import PARAMETERS  # the Zara-style season
from tests.browser.conftest import Served, Tab
from tests.browser.test_history import sign_in
from tests.browser.test_planner import assert_accessible, wait_for, workflow

CATEGORIES = ["womens_dresses", "mens_basics"]


def completed_plan(served: Served, categories: list[str]) -> tuple[str, dict[str, Any]]:
    """A plan of `categories`, once each awaits its approval: its id and its children."""
    created = served.post(
        "/api/workflows/forecast", json={"category_ids": categories, "parameters": PARAMETERS}
    )
    assert created.status_code == 201, created.text
    parent_id = str(created.json()["workflow_id"])
    done = wait_for(
        lambda: (w := workflow(served, parent_id))["status"] == "completed" and w,
        f"plan {parent_id} to complete",
    )
    return parent_id, {c["category_id"]: c for c in done["assortment"]["children"]}


def test_a_plan_lists_its_categories_and_each_links_to_its_own_workflow(
    tab: Tab, served: Served
) -> None:
    parent_id, children = completed_plan(served, CATEGORIES)

    sign_in(tab, served)
    tab.goto(f"#/workflow/{parent_id}")
    page = tab.page
    page.get_by_role("heading", name="Assortment plan: 2 categories").wait_for()
    table = page.get_by_role("table", name="Categories of the plan")
    page.get_by_text("2 awaiting approval;").wait_for()
    for category in CATEGORIES:
        row = table.get_by_role("row").filter(has=page.get_by_role("link", name=category))
        assert "awaiting approval" in row.inner_text()
        assert f"{children[category]['manufacturing_qty']:,}" in row.inner_text()
    assert_accessible(tab, "15-assortment")

    table.get_by_role("link", name="mens_basics").click()
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    assert page.url.endswith(f"#/workflow/{children['mens_basics']['workflow_id']}")
    page.get_by_role("link", name="the assortment plan").click()
    table.wait_for()


def test_the_orders_awaiting_approval_are_rejected_together(tab: Tab, served: Served) -> None:
    parent_id, children = completed_plan(served, ["womens_outerwear", "mens_basics"])
    units = sum(c["manufacturing_qty"] for c in children.values())

    sign_in(tab, served)
    tab.goto(f"#/workflow/{parent_id}")
    page = tab.page
    card = page.get_by_test_id("decide-all")
    card.get_by_text("2 orders of this plan await approval").wait_for()
    card.get_by_label("Reject").check()
    card.get_by_label("Comment (optional)").fill("range cut")
    card.get_by_role("button", name=f"Reject 2 orders ({units:,} units)").click()
    card.get_by_text("2 rejected: womens_outerwear, mens_basics.").wait_for()
    table = page.get_by_role("table", name="Categories of the plan")
    page.get_by_text("2 cancelled;").wait_for()  # the stream refreshed the table
    for category in children:
        row = table.get_by_role("row").filter(has=page.get_by_role("link", name=category))
        assert "rejected by the approver: range cut" in row.inner_text()
    assert card.get_by_role("button").count() == 0  # nothing left to decide
    assert_accessible(tab, "15-assortment-decided")
    for child in children.values():
        assert workflow(served, child["workflow_id"])["status"] == "cancelled"
