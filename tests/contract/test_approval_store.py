"""ApprovalStore: an approval is decided once; a decision can be undone; only a pending approval
is closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.models.approvals import (
    ApprovalAction,
    ApprovalKind,
    ApprovalRecord,
    ApprovalStatus,
    Decision,
)
from fashion_forecast.ports import ConflictError, NotFoundError

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
ACCEPT = Decision(action=ApprovalAction.ACCEPT, decided_at=T0 + dt.timedelta(hours=1))
MODIFY = Decision(
    action=ApprovalAction.MODIFY,
    safety_stock_pct=0.25,
    manufacturing_qty=10000,
    comment="a little more",
    decided_at=T0 + dt.timedelta(hours=2),
)


def approval(approval_id: str = "ap-1", kind: ApprovalKind = ApprovalKind.MANUFACTURING) -> Any:
    return ApprovalRecord(
        approval_id=approval_id,
        workflow_id="wf-1",
        kind=kind,
        task_token="token-1",
        data={"manufacturing_qty": 9600, "safety_stock_pct": 0.2},
        created_at=T0,
        expires_at=T0 + dt.timedelta(days=2),
    )


def test_create_then_get_returns_the_pending_approval(approvals: Any) -> None:
    approvals.create(approval())
    approvals.create(approval("ap-2", ApprovalKind.MARKDOWN))
    assert approvals.get("ap-1") == approval()
    assert approvals.get("ap-1").status is ApprovalStatus.PENDING
    assert approvals.get("ap-2") == approval("ap-2", ApprovalKind.MARKDOWN)


def test_create_of_an_existing_approval_is_a_conflict_and_keeps_the_first(approvals: Any) -> None:
    approvals.create(approval())
    with pytest.raises(ConflictError):
        approvals.create(approval().model_copy(update={"task_token": "token-2"}))
    assert approvals.get("ap-1").task_token == "token-1"


def test_get_of_an_unknown_approval_is_not_found(approvals: Any) -> None:
    approvals.create(approval())
    with pytest.raises(NotFoundError):
        approvals.get("ap-2")


def test_an_approval_is_decided_once(approvals: Any) -> None:
    approvals.create(approval())
    decided = approvals.decide("ap-1", MODIFY)
    assert decided == approval().model_copy(
        update={"status": ApprovalStatus.DECIDED, "decision": MODIFY}
    )
    assert approvals.get("ap-1") == decided
    with pytest.raises(ConflictError):
        approvals.decide("ap-1", ACCEPT)
    assert approvals.get("ap-1") == decided


def test_deciding_an_unknown_approval_is_not_found(approvals: Any) -> None:
    with pytest.raises(NotFoundError):
        approvals.decide("ap-1", ACCEPT)


def test_reopen_undoes_a_decision(approvals: Any) -> None:
    approvals.create(approval())
    decided = approvals.decide("ap-1", ACCEPT)
    approvals.reopen(decided)
    assert approvals.get("ap-1") == approval()
    again = approvals.decide("ap-1", MODIFY)  # decidable again
    assert approvals.get("ap-1") == again and again.decision == MODIFY


def test_only_a_decided_approval_is_reopened(approvals: Any) -> None:
    approvals.create(approval())
    with pytest.raises(ConflictError):
        approvals.reopen(approval())  # pending
    closed = approvals.close("ap-1", ApprovalStatus.EXPIRED)
    with pytest.raises(ConflictError):
        approvals.reopen(closed)
    assert approvals.get("ap-1") == closed
    with pytest.raises(ConflictError):
        approvals.reopen(approval("ap-2"))  # never stored
    with pytest.raises(NotFoundError):
        approvals.get("ap-2")


@pytest.mark.parametrize("status", [ApprovalStatus.CANCELLED, ApprovalStatus.EXPIRED])
def test_a_pending_approval_is_closed_once(approvals: Any, status: ApprovalStatus) -> None:
    approvals.create(approval())
    closed = approvals.close("ap-1", status)
    assert closed == approval().model_copy(update={"status": status})
    assert approvals.get("ap-1") == closed
    with pytest.raises(ConflictError):
        approvals.close("ap-1", ApprovalStatus.CANCELLED)
    with pytest.raises(ConflictError):
        approvals.decide("ap-1", ACCEPT)  # a closed approval takes no decision
    assert approvals.get("ap-1") == closed


def test_a_decided_approval_is_not_closed(approvals: Any) -> None:
    approvals.create(approval())
    decided = approvals.decide("ap-1", ACCEPT)
    with pytest.raises(ConflictError):
        approvals.close("ap-1", ApprovalStatus.CANCELLED)
    assert approvals.get("ap-1") == decided


def test_closing_an_unknown_approval_is_not_found(approvals: Any) -> None:
    with pytest.raises(NotFoundError):
        approvals.close("ap-1", ApprovalStatus.CANCELLED)
