"""The audit trail, written once per action by the use case that performs it: the actor is
the caller (SYSTEM for automatic actions), the change says what changed."""

from __future__ import annotations

from typing import Any

import pytest

from fashion_forecast.app import audit, in_season, sales_data, workflows
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.models.approvals import ApprovalAction, ApprovalKind
from fashion_forecast.models.audit import AuditAction, AuditEntry, EntityType
from fashion_forecast.models.identity import SYSTEM, Caller, Role
from fashion_forecast.models.parameters import SeasonRequest
from fashion_forecast.models.workflows import WorkflowType
from fashion_forecast.ports import Container
from tests.fakes import Fakes, fake_container
from tests.unit.app.conftest import (
    SAMPLE_STORE_IDS,
    process_object,
    put_weekly_object,
    sample_store_attributes_text,
    seed_fake_season,
    seed_sample_sales,
    seed_sample_stores,
    start_running_workflow,
    weekly_sales_csv,
    weekly_sales_weeks,
)
from tests.unit.app.test_workflows import waiting_for_approval, waiting_for_markdown

ANA = Caller(name="ana", kind="user", roles=frozenset({Role.PLANNER, Role.APPROVER}))
KEY = Caller(name="key-7", kind="api_key", roles=frozenset({Role.PLANNER}))


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    c, fakes = fake_container()
    seed_sample_stores(fakes)
    return c, fakes


def entries(fakes: Fakes, action: AuditAction | None = None) -> list[AuditEntry]:
    found = sorted(fakes.audit.entries.values(), key=lambda e: (e.timestamp, e.entry_id))
    return [e for e in found if action is None or e.action is action]


def only(fakes: Fakes, action: AuditAction) -> AuditEntry:
    (entry,) = entries(fakes, action)
    return entry


def test_a_start_is_the_callers_with_its_input_and_request_id(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    seed_sample_sales(fakes)
    token = audit.REQUEST_ID.set("req-123")
    try:
        workflow = workflows.start_forecast(c, "womens_dresses", SeasonRequest(), caller=ANA)
    finally:
        audit.REQUEST_ID.reset(token)
    (entry,) = entries(fakes)
    assert (entry.action, entry.entity_type, entry.entity_id) == (
        AuditAction.WORKFLOW_STARTED,
        EntityType.WORKFLOW,
        workflow.workflow_id,
    )
    assert (entry.actor, entry.actor_kind, entry.request_id) == ("ana", "user", "req-123")
    assert entry.timestamp == fakes.clock.now()
    assert entry.change["workflow_type"] == "forecast"
    assert entry.change["input"]["parameters"]["forecast_horizon_weeks"] == 12


def test_a_refused_start_writes_nothing(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    with pytest.raises(DomainError):
        workflows.start_forecast(c, "socks", SeasonRequest(), caller=ANA)
    fakes.state_machine.reachable = False
    with pytest.raises(Exception):  # noqa: B017 - the start fails, whatever the error
        workflows.start_workflow(c, WorkflowType.FORECAST, "c", {}, caller=ANA)
    assert entries(fakes) == []


def test_a_cancel_names_its_caller_and_the_status_it_ended(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    workflows.cancel(c, workflow.workflow_id, caller=KEY)
    entry = only(fakes, AuditAction.WORKFLOW_CANCELLED)
    assert (entry.actor, entry.actor_kind, entry.entity_id) == (
        "key-7",
        "api_key",
        workflow.workflow_id,
    )
    assert entry.change == {"status_before": "running"}


def test_a_failure_is_the_systems(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    error = {"Error": "UnavailableError", "Cause": "no table"}
    workflows.fail(c, workflow.workflow_id, error)
    workflows.fail(c, workflow.workflow_id, error)  # a retried fail step: still one entry
    entry = only(fakes, AuditAction.WORKFLOW_FAILED)
    assert (entry.actor, entry.actor_kind) == ("system", "system")
    assert entry.change["status_before"] == "running"
    assert "no table" in entry.change["error_message"]


def test_an_interrupted_workflow_is_failed_by_the_system(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow = start_running_workflow(c, WorkflowType.FORECAST, {})
    workflows.interrupt_unfinished(c, "interrupted by restart")
    entry = only(fakes, AuditAction.WORKFLOW_FAILED)
    assert (entry.actor, entry.entity_id) == ("system", workflow.workflow_id)
    assert entry.change == {"status_before": "running", "error_message": "interrupted by restart"}


def test_a_modify_records_the_values_before_and_after_and_the_comment(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    workflows.decide(
        c,
        workflow_id,
        ApprovalKind.MANUFACTURING,
        action=ApprovalAction.MODIFY,
        safety_stock_pct=0.3,
        comment="more buffer",
        caller=ANA,
    )
    entry = only(fakes, AuditAction.APPROVAL_DECIDED)
    approval = next(iter(fakes.approvals.rows.values()))
    assert entry.actor == "ana" and entry.entity_id == workflow_id
    assert entry.change == {
        "approval_id": approval.approval_id,
        "kind": "manufacturing",
        "action": "modify",
        "before": {
            "safety_stock_pct": approval.data["safety_stock_pct"],
            "manufacturing_qty": 15_000,
        },
        "after": {"safety_stock_pct": 0.3, "manufacturing_qty": 15_000},
        "comment": "more buffer",
    }


def test_accept_and_reject_of_a_markdown(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_markdown(c, fakes)
    workflows.decide(
        c, workflow_id, ApprovalKind.MARKDOWN, action=ApprovalAction.ACCEPT, caller=ANA
    )
    entry = only(fakes, AuditAction.APPROVAL_DECIDED)
    assert entry.change["before"] == entry.change["after"] != {}
    assert entry.change["action"] == "accept" and entry.change["comment"] is None


def test_a_refused_or_undelivered_decision_writes_nothing(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    workflow_id, _ = waiting_for_approval(c, fakes)
    with pytest.raises(DomainError):
        workflows.decide(
            c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.MODIFY, caller=ANA
        )  # modify without a value
    fakes.state_machine.reachable = False
    with pytest.raises(Exception):  # noqa: B017 - Step Functions unreachable: undone
        workflows.decide(
            c, workflow_id, ApprovalKind.MANUFACTURING, action=ApprovalAction.ACCEPT, caller=ANA
        )
    assert entries(fakes, AuditAction.APPROVAL_DECIDED) == []


HISTORY_HEADER = "date,store_id,category,quantity_sold,revenue\n"


def test_a_history_upload_records_each_category_replaced(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    data = (
        HISTORY_HEADER
        + "2025-02-24,S001,womens_dresses,3,\n2025-02-25,S002,womens_dresses,4,\n"
        + "2025-02-24,S001,mens_basics,5,\n"
    ).encode()
    done = sales_data.upload_history(c, data, caller=ANA)
    replaced = entries(fakes, AuditAction.HISTORY_REPLACED)
    assert sorted(e.entity_id for e in replaced) == ["mens_basics", "womens_dresses"]
    for entry in replaced:
        assert entry.actor == "ana" and entry.entity_type is EntityType.SALES_HISTORY
        assert entry.change["upload_id"] == done.upload_id
        assert entry.change["weeks_replaced"] == 1
        assert entry.change["first_week"] == entry.change["last_week"] == "2025-02-24"


def test_a_refused_file_is_audited_and_stores_nothing_else(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    with pytest.raises(DomainError):
        sales_data.upload_history(
            c, (HISTORY_HEADER + "2025-02-24,S001,x,-3,\n").encode(), caller=ANA
        )
    with pytest.raises(DomainError):
        sales_data.upload_store_attributes(c, b"store_id\n=cmd()\n", caller=KEY)
    refused = entries(fakes, AuditAction.UPLOAD_REFUSED)
    assert [(e.actor, e.change["kind"]) for e in refused] == [
        ("ana", "history"),
        ("key-7", "stores"),
    ]
    assert all(e.change["error_code"] for e in refused)
    assert fakes.sales.history == {} and fakes.sales.objects == {}
    assert entries(fakes, AuditAction.HISTORY_REPLACED) == []


def test_a_store_list_replaced_says_how_many_before_and_after(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    text = sample_store_attributes_text()
    sales_data.upload_store_attributes(c, text.encode(), caller=ANA)
    smaller = "\n".join(text.splitlines()[:11]) + "\n"
    sales_data.upload_store_attributes(c, smaller.encode(), caller=ANA)
    first, second = entries(fakes, AuditAction.STORE_LIST_REPLACED)
    assert (first.change["stores_before"], first.change["stores_after"]) == (50, 50)
    assert (second.change["stores_before"], second.change["stores_after"]) == (50, 10)
    assert first.entity_type is EntityType.STORE_LIST and first.actor == "ana"


def test_a_weekly_file_refused_at_the_api_is_the_callers(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    with pytest.raises(DomainError):
        in_season.accept_weekly_file(c, forecast.forecast_id, 1, b"store_id\nS001\n", caller=ANA)
    entry = only(fakes, AuditAction.UPLOAD_REFUSED)
    assert entry.actor == "ana" and entry.entity_type is EntityType.UPLOAD
    assert entry.change["forecast_id"] == forecast.forecast_id and entry.change["source"] == "api"
    assert fakes.in_season.uploads == {}


def test_the_variance_step_accepts_or_refuses_as_the_system(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c)
    fid = forecast.forecast_id
    good = put_weekly_object(
        fakes, fid, 1, "20250310T090000000000-aaaaaaaa", weekly_sales_csv(1, 20)
    )
    process_object(c, fakes, good)
    bad = put_weekly_object(fakes, fid, 2, "20250317T090000000000-bbbbbbbb", b"nonsense\n")
    process_object(c, fakes, bad)
    accepted = only(fakes, AuditAction.UPLOAD_ACCEPTED)
    refused = only(fakes, AuditAction.UPLOAD_REFUSED)
    assert (accepted.actor, refused.actor) == ("system", "system")
    assert accepted.change["rows_imported"] == 50 and accepted.change["week"] == 1
    assert refused.change["week"] == 2 and refused.change["error_code"]


def test_an_automatic_reforecast_names_the_variance_row(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    forecast = seed_fake_season(c, weekly=[600, 625, 650, 675] + [700] * 8)
    fid = forecast.forecast_id
    data = weekly_sales_weeks({1: 16, 2: 16, 3: 16, 4: 16}, stores=SAMPLE_STORE_IDS)
    key = put_weekly_object(fakes, fid, 4, "20250331T090000000000-cccccccc", data)
    process_object(c, fakes, key)
    name = f"reforecast-{fid}-w04"
    triggered = only(fakes, AuditAction.REFORECAST_TRIGGERED)
    started = only(fakes, AuditAction.WORKFLOW_STARTED)
    assert (triggered.actor, triggered.entity_id, started.entity_id) == ("system", name, name)
    assert triggered.change == {
        "trigger": "variance",
        "forecast_id": fid,
        "week": 4,
        "variance_pct": 0.255,
    }
    process_object(c, fakes, key)  # the same event again: nothing new is triggered
    assert len(entries(fakes, AuditAction.REFORECAST_TRIGGERED)) == 1


def test_a_markdown_triggered_names_the_checkpoint(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fid = seed_fake_season(c, checkpoint=1).forecast_id
    key = put_weekly_object(
        fakes, fid, 1, "20250310T090000000000-dddddddd", weekly_sales_csv(1, 20)
    )
    process_object(c, fakes, key)
    entry = only(fakes, AuditAction.MARKDOWN_TRIGGERED)
    assert entry.actor == "system"
    assert entry.change == {
        "trigger": "variance",
        "forecast_id": fid,
        "week": 1,
        "checkpoint_week": 1,
    }


def test_a_manual_reforecast_is_the_callers(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fid = seed_fake_season(c).forecast_id
    workflow = workflows.start_reforecast(
        c, fid, actual_sales=[1300], remaining_weeks=11, caller=ANA
    )
    entry = only(fakes, AuditAction.REFORECAST_TRIGGERED)
    assert (entry.actor, entry.entity_id) == ("ana", workflow.workflow_id)
    assert entry.change == {
        "trigger": "manual",
        "forecast_id": fid,
        "weeks_observed": 1,
        "variance_pct": 0.3,
    }


def test_listing_filters_and_pages(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    for i in range(5):
        fakes.clock.advance(1)
        audit.record(
            c, ANA if i % 2 else SYSTEM, AuditAction.WORKFLOW_STARTED, EntityType.WORKFLOW, f"w-{i}"
        )
    page = audit.list_entries(c, limit=2)
    assert [e.entity_id for e in page.items] == ["w-4", "w-3"]
    rest = audit.list_entries(c, limit=10, cursor=page.next_cursor)
    assert [e.entity_id for e in rest.items] == ["w-2", "w-1", "w-0"]
    assert [e.entity_id for e in audit.list_entries(c, actor="ana").items] == ["w-3", "w-1"]
    one: Any = audit.list_entries(c, entity_type=EntityType.WORKFLOW, entity_id="w-2")
    assert [e.entity_id for e in one.items] == ["w-2"]
