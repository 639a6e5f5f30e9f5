"""An assortment plan on the workflow page: its categories with their status and numbers, each
linking to its own workflow (which links back to the plan)."""

from __future__ import annotations

from fashion_forecast_local.demo import PARAMETERS  # the Zara-style season
from tests.browser.conftest import Served, Tab
from tests.browser.test_history import sign_in
from tests.browser.test_planner import assert_accessible, wait_for, workflow

CATEGORIES = ["womens_dresses", "mens_basics"]


def test_a_plan_lists_its_categories_and_each_links_to_its_own_workflow(
    tab: Tab, served: Served
) -> None:
    created = served.post(
        "/api/workflows/forecast", json={"category_ids": CATEGORIES, "parameters": PARAMETERS}
    )
    assert created.status_code == 201, created.text
    parent_id = created.json()["workflow_id"]
    done = wait_for(
        lambda: (w := workflow(served, parent_id))["status"] == "completed" and w,
        f"plan {parent_id} to complete",
    )
    children = {c["category_id"]: c for c in done["assortment"]["children"]}

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
