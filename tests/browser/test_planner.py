"""The planner in a real browser: a whole season without curl (plan, watch, approve, see,
upload), the live stream's reconnect and polling fallback, refused files, roles and the
409/403 answers. Each screen is checked with axe-core and saved as a screenshot."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import TABLET, Served, Tab

ZARA = (
    "Zara-style 12-week spring season starting March 3rd 2025, no replenishment, ship "
    "everything up front, markdown check at week 6"
)
CATEGORY = "womens_dresses"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def workflow(served: Served, workflow_id: str) -> dict[str, Any]:
    return dict(served.get(f"/api/workflows/{workflow_id}").json())


def awaiting(served: Served, workflow_id: str) -> dict[str, Any]:
    """The workflow once it awaits an approval (fails the test if it fails instead)."""

    def check() -> dict[str, Any] | None:
        current = workflow(served, workflow_id)
        assert current["status"] not in {"failed", "cancelled"}, current
        return current if current["status"] == "awaiting_approval" else None

    return dict(wait_for(check, f"{workflow_id} to await approval"))


def start_zara(served: Served) -> str:
    params = served.post("/api/parameters/extract", json={"text": ZARA}).json()
    created = served.post(
        "/api/workflows/forecast",
        json={"category_id": CATEGORY, "parameters": params["parameters"]},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["workflow_id"])


def params_on_page(page: Any) -> list[str]:
    ids = page.eval_on_selector_all(
        "[id^='param-']:not([id$='-conf'])", "els => els.map(e => e.id)"
    )
    return [i.removeprefix("param-") for i in ids]


def assert_accessible(tab: Tab, screen: str) -> None:
    assert tab.axe() == [], f"axe: serious/critical violations on the {screen} screen"
    tab.shot(screen)


def workflow_id_of(tab: Tab) -> str:
    match = re.search(r"#/workflow/([^/]+)$", tab.page.url)
    assert match, tab.page.url
    return match.group(1)


def test_plan_a_zara_season_watch_modify_accept_and_see_it(tab: Tab, served: Served) -> None:
    page = tab.page
    # the first socket drops after four messages: the page reconnects and replays from the
    # last sequence it saw, so the timeline stays gapless and without duplicates
    sockets: list[int] = []

    def flaky_socket(ws: Any) -> None:
        server = ws.connect_to_server()
        sockets.append(1)
        if len(sockets) == 1:
            seen = {"n": 0}

            def forward(message: Any) -> None:
                seen["n"] += 1
                ws.send(message)
                if seen["n"] == 4:
                    ws.close()
                    server.close()

            server.on_message(forward)

    page.route_web_socket(re.compile(r"/ws\?"), flaky_socket)

    tab.goto()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert_accessible(tab, "01-sign-in")
    tab.sign_in_with_api_key()
    page.get_by_label("Describe the season in plain words").fill(ZARA)
    page.get_by_role("button", name="Extract parameters").click()
    page.get_by_role("heading", name="Season parameters").wait_for()
    assert page.get_by_label("Season length (weeks)").input_value() == "12"
    assert page.get_by_label("Replenishment").input_value() == "none"
    assert page.get_by_label("Markdown checkpoint week (empty: none)").input_value() == "6"
    assert "Confidence: high" in page.locator("#param-season_start_date-conf").inner_text()
    page.get_by_label("Category").select_option(CATEGORY)
    assert_accessible(tab, "02-plan")
    # every control of the plan screen is reached with Tab alone
    page.locator("body").focus()
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
    wanted = {"season-text", "category", "Extract parameters", "Start forecast", "Sign out"}
    wanted |= {f"param-{name}" for name in params_on_page(page)}
    assert wanted <= reached, wanted - reached
    page.get_by_role("button", name="Start forecast").click()

    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    workflow_id = workflow_id_of(tab)
    first = awaiting(served, workflow_id)["pending_approval"]["data"]
    numbers = page.get_by_test_id("approval-numbers")
    assert numbers.locator('[data-key="manufacturing_qty"]').inner_text() == (
        f"{first['manufacturing_qty']:,}"
    )
    assert numbers.locator('[data-key="safety_stock_pct"]').inner_text() == (
        f"{first['safety_stock_pct'] * 100:.1f}%"
    )
    assert len(sockets) >= 2, "the dropped socket was not reconnected"
    events = page.get_by_test_id("events").locator("li")
    sequences = [int(re.match(r"#(\d+)", t).group(1)) for t in events.all_inner_texts()]  # type: ignore[union-attr]
    assert sequences == list(range(1, len(sequences) + 1)), sequences
    assert_accessible(tab, "03-watch-approve")

    page.get_by_label("Modify").check()
    page.get_by_label("New safety stock (0.10 to 0.50)").fill("0.35")
    page.get_by_role("button", name="Send decision: Modify").click()

    def second_proposal() -> dict[str, Any] | None:
        current = workflow(served, workflow_id)
        pending = current.get("pending_approval")
        return pending if pending and pending["approval_id"] != first.get("approval_id") else None

    def new_quantity_shown() -> bool:
        shown = numbers.locator('[data-key="safety_stock_pct"]')
        return shown.count() == 1 and shown.inner_text() == "35.0%"

    wait_for(new_quantity_shown, "the modified proposal on the page")
    second = awaiting(served, workflow_id)["pending_approval"]["data"]
    assert second["safety_stock_pct"] == 0.35
    assert second["manufacturing_qty"] == math.ceil(second["season_demand"] * 1.35)
    assert numbers.locator('[data-key="manufacturing_qty"]').inner_text() == (
        f"{second['manufacturing_qty']:,}"
    )

    page.get_by_label("Accept").check()
    page.get_by_role("button", name="Send decision: Accept").click()
    page.get_by_role("link", name="See the forecast and allocation").click()

    page.get_by_role("heading", name=re.compile(r"^Forecast: womens_dresses")).wait_for()
    page.locator(".chart-box canvas").first.wait_for()
    results = served.get(f"/api/workflows/{workflow_id}/results").json()
    allocation = served.get(f"/api/allocations/{results['forecast_id']}").json()
    assert allocation["manufacturing_qty"] == second["manufacturing_qty"]
    stores = page.get_by_test_id("store-table").locator("tbody tr")
    assert stores.count() == len(allocation["store_allocations"]) == 50
    clusters = page.get_by_test_id("cluster-table").locator("tbody th")
    assert clusters.all_inner_texts() == [c["name"] for c in allocation["clusters"]]
    biggest = max(allocation["store_allocations"], key=lambda s: s["quantity"])
    assert stores.first.locator("th").inner_text() == biggest["store_id"]  # by quantity, desc
    page.get_by_role("button", name="Store").click()  # sort by store id, ascending
    assert stores.first.locator("th").inner_text() == "S001"
    header = page.locator("th", has=page.get_by_role("button", name=re.compile("^Store")))
    assert header.get_attribute("aria-sort") == "ascending"
    assert_accessible(tab, "04-see")
    page.set_viewport_size(TABLET)
    tab.shot("05-see-tablet")
    # 200% zoom of a 1280-pixel laptop is a 640-pixel-wide layout: one column, no sideways
    # scrolling of the page (wide tables scroll inside their own labelled region)
    page.set_viewport_size({"width": 640, "height": 400})
    for route in ("#/plan", f"#/workflow/{workflow_id}", f"#/forecast/{results['forecast_id']}"):
        tab.goto(route)
        page.locator("main h1").wait_for()
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{route} scrolls sideways by {wide}px at 200% zoom"


def approved_forecast(served: Served) -> str:
    """A Zara season of womens_dresses started and accepted over the API: its forecast id."""
    workflow_id = start_zara(served)
    awaiting(served, workflow_id)
    decided = served.post(
        "/api/approvals/manufacturing", json={"workflow_id": workflow_id, "action": "accept"}
    )
    assert decided.status_code == 200, decided.text
    wait_for(lambda: workflow(served, workflow_id)["status"] == "completed", "completion")
    results = served.get(f"/api/workflows/{workflow_id}/results").json()
    return str(results["forecast_id"])


def test_upload_a_bad_then_a_breaching_week_and_see_the_reforecast_ask(
    tab: Tab, served: Served, tmp_path: Any
) -> None:
    forecast_id = approved_forecast(served)
    forecast = served.get(f"/api/forecasts/{forecast_id}").json()
    stores = [s["store_id"] for s in served.get("/api/stores").json()["items"]]
    bad = tmp_path / "bad-week.csv"
    bad.write_text(
        "store_id,week_number,units_sold\n"
        f"{stores[0]},1,12\n"
        f"{stores[1]},1,lots\n"
        "S999,1,5\n"
        f"{stores[2]},1,-3\n"
    )
    # 60% over the plan in every store: the cumulative variance passes the 20% threshold
    per_store = math.ceil(forecast["weekly"][0]["forecast"] * 1.6 / len(stores))
    good = tmp_path / "week-1.csv"
    good.write_text(
        "store_id,week_number,units_sold\n" + "".join(f"{s},1,{per_store}\n" for s in stores)
    )
    # the live stream is refused every time: the page falls back to polling /events
    tab.page.route_web_socket(re.compile(r"/ws\?"), lambda ws: ws.close())

    tab.sign_in_with_api_key()
    page = tab.page
    page.get_by_role("link", name="Upload").click()
    page.get_by_label("Forecast").select_option(forecast_id)
    page.get_by_label("Week (empty: the file's latest)").fill("1")
    page.get_by_label("CSV file").first.set_input_files(str(bad))
    page.get_by_role("button", name="Upload week").click()
    errors = page.get_by_test_id("row-errors").locator("tbody tr")
    errors.first.wait_for()
    rows = [r.locator("th").inner_text() for r in errors.all()]
    assert rows == ["3", "4", "5"]
    assert "lots" in errors.nth(0).locator("td").nth(2).inner_text()  # the file's own row
    assert "S999" in errors.nth(1).inner_text()
    assert_accessible(tab, "06-upload-row-errors")
    assert served.get(f"/api/variance/{forecast_id}").json()["items"] == []

    page.get_by_label("CSV file").first.set_input_files(str(good))
    page.get_by_role("button", name="Upload week").click()
    result = page.get_by_test_id("weekly-result")
    result.wait_for()
    row = served.get(f"/api/variance/{forecast_id}/week/1").json()
    assert row["threshold_exceeded"] is True
    assert result.get_by_test_id("variance").inner_text() == row["display"]
    assert_accessible(tab, "07-upload-breach")
    result.get_by_role("link", name="Re-forecast workflow, week 1").click()
    page.get_by_text("Live stream unavailable: polling for events").wait_for()
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    reforecast = awaiting(served, workflow_id_of(tab))
    assert reforecast["workflow_type"] == "reforecast"
    extra = reforecast["pending_approval"]["data"]
    shown = page.get_by_test_id("approval-numbers").locator('[data-key="extra_order_qty"]')
    assert shown.inner_text() == f"{extra['extra_order_qty']:,}"


def test_a_bad_history_file_shows_its_rows(tab: Tab, served: Served, tmp_path: Any) -> None:
    bad = tmp_path / "history.csv"
    bad.write_text(
        "date,store_id,category,quantity_sold\n"
        "2025-02-24,S001,womens_dresses,5\n"
        "24/02/2025,S002,womens_dresses,5\n"
        "2025-02-24,S003,womens_dresses,=SUM(A1:A9)\n"
    )
    tab.sign_in_with_api_key()
    page = tab.page
    page.get_by_role("link", name="Workflows").click()
    page.locator("main table caption").wait_for()
    page.get_by_label("Status").select_option("completed")
    page.get_by_label("Type").select_option("forecast")
    wait_for(
        lambda: page.evaluate("document.querySelector('main table caption') !== null"), "the list"
    )
    listed = served.get("/api/workflows?status=completed&workflow_type=forecast&limit=20").json()[
        "items"
    ]

    def shown() -> list[str]:
        return [t.removesuffix("…") for t in page.locator("main tbody th").all_inner_texts()]

    wait_for(lambda: shown() == [w["workflow_id"][:8] for w in listed], "the filtered list")
    assert_accessible(tab, "09-workflows")
    page.get_by_role("link", name="Upload").click()
    page.get_by_label("CSV file").nth(1).set_input_files(str(bad))
    tab.page.get_by_role("button", name="Upload history").click()
    errors = tab.page.get_by_test_id("row-errors").locator("tbody tr")
    errors.first.wait_for()
    assert [r.locator("th").inner_text() for r in errors.all()] == ["3", "4"]
    assert errors.nth(0).locator("td").nth(0).inner_text() == "date"
    assert (
        errors.nth(1).locator("code").inner_text() == "2025-02-24,S003,womens_dresses,=SUM(A1:A9)"
    )


def test_a_request_without_a_credential_is_refused_and_a_refused_key_signs_the_page_out(
    tab: Tab, served: Served
) -> None:
    tab.allow_http_error(401)  # the refusals under test
    page = tab.page
    tab.goto()
    answer = "p => fetch(p).then(async r => [r.status, (await r.json()).error_code])"
    assert page.evaluate(answer, "/api/workflows") == [401, "unauthorized"]  # the page's origin
    assert page.evaluate(answer, "/api/health")[0] == 200  # liveness stays open
    tab.sign_in_with_api_key()
    # the key is rotated while the page is open: its next call is refused and it signs out
    page.evaluate(
        "s => sessionStorage.setItem('ff.session', JSON.stringify(s))",
        {"kind": "api_key", "apiKey": "a-key-that-was-rotated"},
    )
    page.get_by_role("link", name="Workflows").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_text("Your credential was refused (401): sign in again.").wait_for()
    assert page.evaluate("sessionStorage.getItem('ff.session')") is None
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert page.get_by_role("navigation", name="Main").count() == 0
    tab.sign_in_with_api_key()  # the right key works again at once
    page.get_by_role("link", name="Workflows").click()
    page.locator("main table caption").wait_for()
