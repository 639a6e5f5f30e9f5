"""The planner's roles against a runtime in cognito mode: the page signs in to the runtime's
own user pool (its config.json names moto's Cognito endpoint and the app client), a viewer
sees an approval but no controls, and a clarification's questions but no answer form, an
approver's modify form keeps what was typed while progress refreshes the page, and the API's
403 and 409 read clearly."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.browser.conftest import HeldStream, Served, Tab, serve
from tests.browser.test_clarification import awaiting_clarification, start_from_text
from tests.browser.test_planner import assert_accessible, awaiting, start_zara

VIEWER = ("vera", "Viewer-Pass-123")
APPROVER = ("ada", "Approver-Pass-123")


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """This module's runtime: cognito mode, with a viewer and an approver who sign in with a
    password on the page."""
    with serve("cognito") as cognito_mode:
        pool = cognito_mode.runtime.pool
        assert pool is not None
        pool.add_user(VIEWER[0], ["viewer"], password=VIEWER[1])
        pool.add_user(APPROVER[0], ["viewer", "approver"], password=APPROVER[1])
        yield cognito_mode


def test_the_page_signs_in_to_the_runtimes_user_pool(tab: Tab, served: Served) -> None:
    config = served.get("/config.json").json()
    assert config["cognito"] == {
        "endpoint": served.runtime.endpoint + "/",
        "clientId": served.runtime.pool.client_id,  # type: ignore[union-attr]
    }
    page = tab.page
    tab.goto()
    assert page.get_by_label("a Cognito user").is_checked()  # the config's pool: the default
    tab.allow_http_error(400)  # Cognito's NotAuthorizedException, shown on the page
    tab.sign_in_as(VIEWER[0], "not-the-password-1A")
    page.get_by_role("alert").filter(has_text=re.compile("password", re.I)).wait_for()
    tab.sign_in_as(*VIEWER)
    page.get_by_text("Signed in: vera (viewer)").wait_for()
    stored = json.loads(page.evaluate("sessionStorage.getItem('ff.session')"))
    assert stored["kind"] == "cognito" and stored["groups"] == ["viewer"]


def test_a_viewer_sees_the_approval_but_cannot_decide_and_refusals_read_clearly(
    tab: Tab, served: Served
) -> None:
    workflow_id = start_zara(served)
    awaiting(served, workflow_id)
    page = tab.page

    tab.sign_in_as(*VIEWER)
    page.get_by_text("Signed in: vera (viewer)").wait_for()
    assert page.get_by_role("button", name="Start forecast").count() == 0
    tab.goto(f"#/workflow/{workflow_id}")
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    page.get_by_text("Your role cannot decide approvals (it needs approver).").wait_for()
    assert page.get_by_role("button", name=re.compile("^Send decision")).count() == 0
    assert page.get_by_role("button", name="Cancel workflow").count() == 0
    assert_accessible(tab, "08-viewer")
    page.get_by_role("button", name="Sign out").click()

    # the approver opens the workflow while its timeline is still replaying: what they type
    # into the modify form stays while the replayed events refresh the workflow
    replay = HeldStream()
    page.route_web_socket(re.compile(r"/ws\?"), replay)
    tab.sign_in_as(*APPROVER)
    page.get_by_text("Signed in: ada (viewer, approver)").wait_for()
    workflow_url = re.compile(rf"/api/workflows/{workflow_id}$")
    tab.goto(f"#/workflow/{workflow_id}")
    page.get_by_role("heading", name="Manufacturing order awaiting approval").wait_for()
    page.get_by_label("Modify").check()
    page.get_by_label("New safety stock (0.10 to 0.50)").fill("0.3")
    page.get_by_label("Comment (optional)").fill("typed before the replay")
    form = page.locator("form", has=page.get_by_role("button", name="Send decision: Modify"))
    form.evaluate("el => { el.dataset.marker = 'kept' }")
    with page.expect_response(lambda r: workflow_url.search(r.url) is not None):
        replay.release()  # the replayed agent_completed events re-fetch the workflow
    page.locator("[data-testid='events'] li.human_input_required").wait_for()
    assert page.get_by_label("New safety stock (0.10 to 0.50)").input_value() == "0.3"
    assert page.get_by_label("Comment (optional)").input_value() == "typed before the replay"
    assert form.get_attribute("data-marker") == "kept"  # the same form, not a new one

    # a refused decision reads as such (the approver role kept, the API says no this time)
    forbidden = {
        "error_code": "forbidden",
        "message": "the approver role is needed",
        "details": [],
        "request_id": "req-403",
    }
    page.route(
        "**/api/approvals/manufacturing",
        lambda route: route.fulfill(status=403, json=forbidden),
        times=1,
    )
    page.get_by_label("Accept").check()
    page.get_by_role("button", name="Send decision: Accept").click()
    page.get_by_text("Your role does not allow this action.").wait_for()
    # decided elsewhere meanwhile: the API's 409 is a message on the page, not an error page
    replay.hold()  # no live refresh: the page learns of it by trying
    decided = served.post(
        "/api/approvals/manufacturing", json={"workflow_id": workflow_id, "action": "accept"}
    )
    assert decided.status_code == 200, decided.text
    page.get_by_role("button", name="Send decision: Accept").click()
    page.get_by_text(re.compile(r"Not possible right now: .*already decided")).wait_for()


def test_a_viewer_sees_the_questions_of_a_clarification_but_cannot_answer(
    tab: Tab, served: Served
) -> None:
    workflow_id = start_from_text(served)
    questions = awaiting_clarification(served, workflow_id)["pending_approval"]["data"]["questions"]
    page = tab.page
    tab.sign_in_as(*VIEWER)
    page.get_by_text("Signed in: vera (viewer)").wait_for()
    assert page.get_by_role("button", name="Start from the text").count() == 0
    tab.goto(f"#/workflow/{workflow_id}")
    page.get_by_role("heading", name="Questions before the forecast").wait_for()
    listed = page.get_by_role("list", name="Questions").locator("li")
    assert listed.all_inner_texts() == [q["question"] for q in questions]
    page.get_by_text("Your role cannot answer these questions (it needs planner).").wait_for()
    assert page.get_by_role("button", name="Send answers").count() == 0
    assert page.locator("main form").count() == 0
    assert page.get_by_role("button", name="Cancel workflow").count() == 0
    assert_accessible(tab, "14-viewer-clarify")
