"""Assortment plans end to end on moto: the parent's Map state starts one pre-season forecast per
category, each child waits on its own approval, a failing category fails alone, a cancel of the
parent cancels its children."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fashion_forecast.models.forecasts import ALLOCATION, AllocationRecord
from tests.integration.flows import SCENARIOS, Live, live_stack

CATEGORIES = ["mens_basics", "womens_dresses", "womens_outerwear"]  # the bundled history


@pytest.fixture
def live() -> Iterator[Live]:
    with pytest.MonkeyPatch.context() as monkeypatch, live_stack(monkeypatch) as stack:
        yield stack


def start_plan(live: Live, **body: Any) -> str:
    response = live.api.post(
        "/api/workflows/forecast", json={"parameters": SCENARIOS["zara"], **body}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["workflow_id"])


def plan_view(live: Live, parent_id: str) -> dict[str, Any]:
    response = live.api.get(f"/api/workflows/{parent_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_category_plans_to_its_own_approval_and_the_parent_completes(live: Live) -> None:
    parent_id = start_plan(live, all_categories=True)
    parent = live.wait(parent_id, "completed")
    view = plan_view(live, parent_id)
    plan = view["assortment"]
    assert (view["workflow_type"], view["category_id"]) == ("assortment", "*")
    assert [c["category_id"] for c in plan["children"]] == CATEGORIES
    assert [c["status"] for c in plan["children"]] == ["awaiting_approval"] * 3
    assert plan["counts"] == {"awaiting_approval": 3}
    assert plan["awaiting_approval"] == CATEGORIES
    assert plan["skipped"] == []
    # each child is an ordinary forecast workflow with its own approval and numbers
    total = 0
    for child in plan["children"]:
        row = live.container.workflows.get(child["workflow_id"])
        assert (row.workflow_type.value, row.category_id) == ("forecast", child["category_id"])
        assert row.parent_id == parent_id
        allocation = live.container.records.get(ALLOCATION, row.allocation_id, AllocationRecord)
        assert child["manufacturing_qty"] == allocation.manufacturing_qty > 0
        assert child["season_demand"] == allocation.season_demand
        assert child["progress_pct"] == 80
        total += allocation.manufacturing_qty
        own = live.api.get(f"/api/workflows/{child['workflow_id']}").json()
        assert own["parent_id"] == parent_id and own["assortment"] is None
    assert plan["manufacturing_qty"] == total
    assert plan["progress_pct"] == 80
    assert parent.output_data == {
        "categories": 3,
        "counts": {"awaiting_approval": 3},
        "manufacturing_qty": total,
        "awaiting_approval": CATEGORIES,
    }
    assert live.states_entered(parent_id) == [
        "IsRetry",
        "InitOverride",
        "MarkRunning",
        "RouteByType",
        "Assortment",
        "FinishAssortment",
        "Completed",
    ]

    # approving one category finishes that child only; the plan's view follows
    first = plan["children"][0]
    assert live.approve(first["workflow_id"], action="accept").status_code == 200
    live.wait(first["workflow_id"], "completed")
    plan = plan_view(live, parent_id)["assortment"]
    assert [c["status"] for c in plan["children"]] == ["completed"] + ["awaiting_approval"] * 2
    assert plan["children"][0]["manufacturing_qty"] == first["manufacturing_qty"]
    assert plan["awaiting_approval"] == CATEGORIES[1:]
    assert plan["manufacturing_qty"] == total

    # the parent's stream tells each category's progress (the child's completion is told
    # after its row says completed: wait for it)
    expected = {f"{category}: awaiting approval" for category in CATEGORIES}
    expected.add(f"{CATEGORIES[0]}: completed")
    deadline = time.monotonic() + 30
    while not expected <= set(progress_messages(live, parent_id)):
        assert time.monotonic() < deadline, progress_messages(live, parent_id)
        time.sleep(0.05)
    assert len(progress_messages(live, parent_id)) == 4


def test_a_plans_orders_are_decided_together_and_each_category_finishes_on_its_own(
    live: Live,
) -> None:
    parent_id = start_plan(live, category_ids=CATEGORIES)
    live.wait(parent_id, "completed")
    first, second, third = plan_view(live, parent_id)["assortment"]["children"]
    decide = "/api/approvals/manufacturing/assortment"

    accepted = live.api.post(
        decide,
        json={
            "workflow_id": parent_id,
            "action": "accept",
            "category_ids": [second["category_id"], first["category_id"]],
            "comment": "reviewed",
        },
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["workflow_id"], body["action"], body["refused"]) == (parent_id, "accept", [])
    assert [(d["category_id"], d["workflow_id"]) for d in body["decided"]] == [
        (second["category_id"], second["workflow_id"]),
        (first["category_id"], first["workflow_id"]),
    ]
    assert body["assortment"]["awaiting_approval"] == [third["category_id"]]
    for child in (first, second):
        done = live.wait(child["workflow_id"], "completed")
        assert done.output_data is not None
        assert done.output_data["manufacturing_qty"] == child["manufacturing_qty"]
        view = live.api.get(f"/api/workflows/{child['workflow_id']}").json()
        assert (view["decision"]["action"], view["decision"]["comment"]) == ("accept", "reviewed")
        assert view["decision"]["decided_by"]

    # the rest in one call, without naming them
    rejected = live.api.post(decide, json={"workflow_id": parent_id, "action": "reject"})
    assert rejected.status_code == 200, rejected.text
    assert [d["workflow_id"] for d in rejected.json()["decided"]] == [third["workflow_id"]]
    cancelled = live.wait(third["workflow_id"], "cancelled")
    assert cancelled.error_message == "rejected by the approver"
    plan = plan_view(live, parent_id)["assortment"]
    assert plan["counts"] == {"cancelled": 1, "completed": 2}
    assert plan["manufacturing_qty"] == first["manufacturing_qty"] + second["manufacturing_qty"]
    again = live.api.post(decide, json={"workflow_id": parent_id, "action": "accept"})
    assert (again.status_code, again.json()["error_code"]) == (409, "nothing_awaiting")
    audited = live.api.get("/api/audit").json()["items"]
    decided = {e["entity_id"] for e in audited if e["action"] == "approval_decided"}
    assert decided == {
        parent_id,
        first["workflow_id"],
        second["workflow_id"],
        third["workflow_id"],
    }
    on_plan = live.api.get(f"/api/workflows/{parent_id}/audit").json()["items"]
    assert [
        (e["change"]["action"], e["change"]["decided"], e["change"]["refused"])
        for e in on_plan
        if e["action"] == "approval_decided"
    ] == [
        ("reject", [third["category_id"]], []),
        ("accept", [second["category_id"], first["category_id"]], []),
    ]


def wait_started(live: Live, workflow_id: str) -> None:
    """Until the plan's Map has started the child (its row exists)."""
    deadline = time.monotonic() + 60
    while not live.container.workflows.get_many([workflow_id]):
        assert time.monotonic() < deadline, f"child {workflow_id} never started"
        time.sleep(0.05)


def progress_messages(live: Live, workflow_id: str) -> list[str]:
    events = live.api.get(f"/api/workflows/{workflow_id}/events").json()["events"]
    return [e["message"] for e in events if e["type"] == "agent_progress"]


class DemandWrapper:
    """Wraps the Demand function's handler; `run(workflow, handler, event, context)` decides."""

    def __init__(self, live: Live) -> None:
        self.name = live.template.physical_name("DemandFunction")
        self.original = live.lambdas.handler
        self.live = live

    def __call__(self, function_name: str) -> Any:
        handler = self.original(function_name)
        if function_name != self.name:
            return handler

        def run(event: Any, context: Any) -> Any:
            workflow = self.live.container.workflows.get(str(event["workflow_id"]))
            return self.run(workflow, handler, event, context)

        return run

    def run(self, workflow: Any, handler: Any, event: Any, context: Any) -> Any:
        return handler(event, context)


class FailFor(DemandWrapper):
    """The Demand function raises for the workflows of some categories."""

    def __init__(self, live: Live, *categories: str) -> None:
        super().__init__(live)
        self.categories = set(categories)

    def run(self, workflow: Any, handler: Any, event: Any, context: Any) -> Any:
        if workflow.category_id in self.categories:
            raise RuntimeError("injected demand failure")
        return handler(event, context)


def test_a_failing_category_fails_alone_and_is_retried_alone(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    injected = FailFor(live, "womens_dresses")
    monkeypatch.setattr(live.lambdas, "handler", injected)
    parent_id = start_plan(live, category_ids=["womens_dresses", "mens_basics"])
    live.wait(parent_id, "completed")
    plan = plan_view(live, parent_id)["assortment"]
    by_category = {c["category_id"]: c for c in plan["children"]}
    failed = by_category["womens_dresses"]
    assert failed["status"] == "failed"
    assert "injected demand failure" in failed["error_message"]
    assert failed["manufacturing_qty"] is None
    assert by_category["mens_basics"]["status"] == "awaiting_approval"
    assert plan["counts"] == {"awaiting_approval": 1, "failed": 1}
    assert plan["manufacturing_qty"] == by_category["mens_basics"]["manufacturing_qty"]

    # a plan is not retried; its failed category is, on its own, as any failed forecast
    refused = live.api.post(f"/api/workflows/{parent_id}/retry")
    assert (refused.status_code, refused.json()["error_code"]) == (409, "not_retryable")
    injected.categories.clear()
    assert live.api.post(f"/api/workflows/{failed['workflow_id']}/retry").status_code == 200
    live.wait(failed["workflow_id"], "awaiting_approval")
    plan = plan_view(live, parent_id)["assortment"]
    assert plan["counts"] == {"awaiting_approval": 2}
    assert plan_view(live, parent_id)["status"] == "completed"


def test_a_plan_whose_every_category_fails_fails(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live.lambdas, "handler", FailFor(live, *CATEGORIES))
    parent_id = start_plan(live, category_ids=CATEGORIES[:2])
    parent = live.wait(parent_id, "failed")
    assert "every one of the 2 categories failed" in (parent.error_message or "")
    plan = plan_view(live, parent_id)["assortment"]
    assert plan["counts"] == {"failed": 2}
    assert live.states_entered(parent_id)[-3:] == ["FinishAssortment", "MarkFailed", "Failed"]


class HoldFor(DemandWrapper):
    """The Demand function waits for `release` before running for one category."""

    def __init__(self, live: Live, category: str) -> None:
        super().__init__(live)
        self.category = category
        self.release = threading.Event()
        self.holding = threading.Event()

    def run(self, workflow: Any, handler: Any, event: Any, context: Any) -> Any:
        if workflow.category_id == self.category:
            self.holding.set()
            assert self.release.wait(60), "the test never released the held step"
        return handler(event, context)


def test_cancelling_a_plan_cancels_its_children_and_starts_no_more() -> None:
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        live_stack(monkeypatch, AssortmentMaxConcurrency="1") as live,
    ):
        held = HoldFor(live, CATEGORIES[1])
        monkeypatch.setattr(live.lambdas, "handler", held)
        parent_id = start_plan(live, category_ids=CATEGORIES)
        first, second, third = (
            c["workflow_id"] for c in plan_view(live, parent_id)["assortment"]["children"]
        )
        wait_started(live, first)
        live.wait(first, "awaiting_approval")
        assert held.holding.wait(60)  # one at a time: the second runs, the third waits its turn
        assert live.container.workflows.get_many([third]) == {}

        response = live.api.post(f"/api/workflows/{parent_id}/cancel")
        assert (response.status_code, response.json()["status"]) == (200, "cancelled")
        held.release.set()
        live.wait(first, "cancelled")
        live.wait(second, "cancelled")
        live.wait_execution(parent_id)
        plan = plan_view(live, parent_id)["assortment"]
        assert [c["status"] for c in plan["children"]] == ["cancelled", "cancelled", "not_started"]
        assert live.container.workflows.get_many([third]) == {}  # never started
        assert live.container.workflows.get(parent_id).status.value == "cancelled"
        # the first child's approval is closed: a late decision is refused
        late = live.approve(first, action="accept")
        assert late.status_code == 409, late.text
