"""The children of an assortment plan (app/assortment.py) as the parent sees them, and the
child's side of the handshake: a child answers its parent's Map iteration when it first waits
for a human or ends (called by the bookkeeping steps in app/workflows.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.models.events import AgentProgress
from fashion_forecast.models.workflows import Workflow, WorkflowStatus
from fashion_forecast.ports import Container, GoneError, UnavailableError

logger = Logger(service="fashion-forecast")

AGENT = "assortment"


def answer(c: Container, task_token: str, workflow_id: str, category: str, status: str) -> None:
    """Answer a Map iteration's token; one already answered (or timed out) is left alone."""
    try:
        c.state_machine.send_task_success(
            task_token, {"workflow_id": workflow_id, "category_id": category, "status": status}
        )
    except GoneError:
        logger.info("parent iteration already answered", extra={"workflow_id": workflow_id})


def child_settled(c: Container, child: Workflow) -> None:
    """A child reached its first human decision or ended: answer its parent's iteration and
    tell the parent's stream. Step Functions being unreachable is logged, not raised: the
    child's own step must not fail for it (the iteration then ends at its timeout, and the
    parent's view reads the children's rows anyway)."""
    if child.parent_id is None or child.parent_task_token is None:
        return
    try:
        answer(c, child.parent_task_token, child.workflow_id, child.category_id, child.status.value)
    except UnavailableError:
        logger.warning("could not answer the parent", extra={"workflow_id": child.workflow_id})
    c.publisher.publish(
        AgentProgress(
            workflow_id=child.parent_id,
            agent=AGENT,
            message=f"{child.category_id}: {child.status.value.replace('_', ' ')}",
            progress_pct=_parent_progress(c, child.parent_id),
        )
    )


def _parent_progress(c: Container, parent_id: str) -> int:
    return int(children_view(c, c.workflows.get(parent_id))["progress_pct"])


def children_view(c: Container, parent: Workflow, *, map_done: bool = False) -> dict[str, Any]:
    """The parent's children as they are now: each with its status, progress and numbers
    (season demand and order: proposed while awaiting approval, approved once completed),
    the counts by status, the overall progress (the children's mean; an unstarted child counts
    0), the order total and which categories await approval. A child with no row is
    `pending` while the Map may still start it, `not_started` once it cannot (the parent has
    ended, or its Map has: the child's execution could not be started)."""
    planned = parent.input.get("children", [])
    rows = c.workflows.get_many([child["workflow_id"] for child in planned])
    ended = map_done or parent.status.is_terminal
    children = [_child_view(child, rows.get(child["workflow_id"]), ended) for child in planned]
    counts = Counter(child["status"] for child in children)
    awaiting = [ch["category_id"] for ch in children if ch["status"] == "awaiting_approval"]
    quantities = [ch["manufacturing_qty"] for ch in children if ch["manufacturing_qty"] is not None]
    progress = sum(ch["progress_pct"] for ch in children) / len(children) if children else 100
    return {
        "children": children,
        "counts": dict(sorted(counts.items())),
        "progress_pct": round(progress),
        "awaiting_approval": awaiting,
        "manufacturing_qty": sum(quantities),
        "skipped": parent.input.get("skipped", []),
    }


def _child_view(child: dict[str, Any], row: Workflow | None, ended: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "category_id": child["category_id"],
        "workflow_id": child["workflow_id"],
        "status": "pending" if row is None else row.status.value,
        "progress_pct": 0 if row is None else row.progress_pct,
        "season_demand": None,
        "manufacturing_qty": None,
        "error_message": None if row is None else row.error_message,
    }
    if row is None:
        if ended:
            view["status"] = "not_started"
        return view
    numbers: dict[str, Any] = {}
    if row.pending_approval is not None:
        numbers = row.pending_approval.data
        view["season_demand"] = numbers.get("season_demand")
    elif row.status is WorkflowStatus.COMPLETED and row.output_data:
        numbers = row.output_data
        view["season_demand"] = numbers.get("total_season_demand")
    if numbers.get("manufacturing_qty") is not None:
        view["manufacturing_qty"] = int(numbers["manufacturing_qty"])
    return view
