"""Assortment plans: one parent workflow over many categories, each category the ordinary
pre-season forecast (a child workflow with its own approval).

The parent's execution runs a Map state over its children (statemachine/workflow.asl.json,
`Assortment`); each iteration is `run_child` here, a task that waits on a task token: it starts
the child's own execution and returns, and the child answers the token (children.
child_settled, called by the bookkeeping steps in app/workflows.py) when it first waits for a
human or ends. So approvals never hold a Map slot, and a failed category is an item with
status `failed`, never a failed Map. `finish` completes the parent once every category has
been planned. `decide_awaiting` accepts or rejects the orders awaiting approval in one call,
each through its category's own decision. docs/assortment-at-scale.md says how this runs at
5,000 categories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.app import audit
from fashion_forecast.app.children import answer, children_view
from fashion_forecast.app.workflows import decide, season_for, start_workflow
from fashion_forecast.constants import MAX_ASSORTMENT_CATEGORIES
from fashion_forecast.domain.errors import DomainError, InvalidRequestError
from fashion_forecast.models.approvals import ApprovalAction, ApprovalKind
from fashion_forecast.models.audit import AuditAction, EntityType
from fashion_forecast.models.events import WorkflowComplete
from fashion_forecast.models.identity import SYSTEM, Caller
from fashion_forecast.models.parameters import SeasonRequest
from fashion_forecast.models.workflows import (
    WAITING_STATUSES,
    Workflow,
    WorkflowStatus,
    WorkflowType,
)
from fashion_forecast.ports import AdapterError, ConflictError, Container

logger = Logger(service="fashion-forecast")

ASSORTMENT_CATEGORY = "*"
"""The parent's category_id: it plans many."""


def child_id(parent_id: str, index: int) -> str:
    """A child's id follows from its parent's and its place: a retried Map iteration finds the
    child it already started instead of starting another."""
    return f"{parent_id}-c{index:03d}"


def start(
    c: Container,
    category_ids: Sequence[str] | None,
    request: SeasonRequest,
    *,
    caller: Caller,
) -> Workflow:
    """Plan the given categories (or, with None, every category with history) with the same
    season request. Every named category is checked up front like a single forecast, and any
    refusal is one 422 naming each refused `category_ids[i]`, with nothing stored. With every
    category, the ones the rules refuse are skipped and listed; none left is a 422."""
    if category_ids is None:
        names = c.sales.categories()
        if len(names) > MAX_ASSORTMENT_CATEGORIES:
            raise InvalidRequestError(
                f"{len(names)} categories have history; an assortment plan takes at most "
                f"{MAX_ASSORTMENT_CATEGORIES}: name them in category_ids, in batches",
                details=[{"field": "all_categories", "message": "too many categories"}],
            )
    else:
        names = list(category_ids)
    children: list[dict[str, Any]] = []
    refused: list[dict[str, str]] = []
    for index, category in enumerate(names):
        try:
            parameters = season_for(c, category, request)
        except DomainError as exc:
            field = "all_categories" if category_ids is None else f"category_ids[{index}]"
            refused.append({"field": field, "category_id": category, "message": exc.message})
            continue
        children.append({"category_id": category, "parameters": parameters.model_dump(mode="json")})
    if category_ids is not None and refused:
        raise DomainError(
            f"{len(refused)} of {len(names)} categories cannot be planned: "
            + "; ".join(f"{r['category_id']}: {r['message']}" for r in refused),
            details=[{"field": r["field"], "message": r["message"]} for r in refused],
        )
    if not children:
        raise DomainError(
            "no category can be planned"
            + (": " + "; ".join(f"{r['category_id']}: {r['message']}" for r in refused))
            if refused
            else "no category has sales history; upload history first",
            details=[{"field": "all_categories", "message": "nothing to plan"}],
        )
    workflow_id = c.ids.new_id()
    for index, child in enumerate(children):
        child["workflow_id"] = child_id(workflow_id, index)
    skipped = [{"category_id": r["category_id"], "message": r["message"]} for r in refused]
    return start_workflow(
        c,
        WorkflowType.ASSORTMENT,
        ASSORTMENT_CATEGORY,
        {"children": children, "skipped": skipped},
        caller=caller,
        workflow_id=workflow_id,
    )


def run_child(
    c: Container, parent_id: str, child: dict[str, Any], task_token: str
) -> dict[str, Any]:
    """One Map iteration: start the child's pre-season forecast with the iteration's token on
    its row (the child answers it). A parent that has ended (cancelled) starts no more
    children: the iteration is answered at once. A retried iteration finds its child started
    and hands it the new token, answering at once if the child is already settled."""
    workflow_id = str(child["workflow_id"])
    category = str(child["category_id"])
    parent = c.workflows.get(parent_id)
    if parent.status.is_terminal:
        answer(c, task_token, workflow_id, category, "not_started")
        return {"workflow_id": workflow_id, "status": "not_started"}

    def hand_token(created: str) -> None:
        c.workflows.set_fields(created, parent_id=parent_id, parent_task_token=task_token)

    try:
        started = start_workflow(
            c,
            WorkflowType.FORECAST,
            category,
            {"parameters": child["parameters"], "parent_id": parent_id},
            caller=SYSTEM,
            workflow_id=workflow_id,
            claim=hand_token,
        )
    except ConflictError:  # the iteration ran before (a Lambda retry): the child exists
        started = c.workflows.get(workflow_id)
        if not started.status.is_terminal:
            started = c.workflows.set_fields(workflow_id, parent_task_token=task_token)
        if started.status.is_terminal or started.status in WAITING_STATUSES:
            answer(c, task_token, workflow_id, category, started.status.value)
    return {"workflow_id": workflow_id, "status": started.status.value}


def finish(c: Container, parent_id: str) -> dict[str, Any]:
    """After the Map: the parent completes with the count of categories by status, or fails
    when every category failed. A parent cancelled meanwhile is left as it is."""
    parent = c.workflows.get(parent_id)
    if parent.status.is_terminal:
        return {"workflow_id": parent_id, "status": parent.status.value}
    view = children_view(c, parent, map_done=True)
    counts = view["counts"]
    planned = len(view["children"])
    if counts.get("failed", 0) + counts.get("not_started", 0) == planned:
        raise AssortmentFailedError(f"every one of the {planned} categories failed")
    output = {
        "categories": planned,
        "counts": counts,
        "manufacturing_qty": view["manufacturing_qty"],
        "awaiting_approval": view["awaiting_approval"],
    }
    c.workflows.transition(
        parent_id,
        WorkflowStatus.COMPLETED,
        expected=WorkflowStatus.RUNNING,
        output_data=output,
        current_agent=None,
        progress_pct=100,
    )
    c.publisher.publish(
        WorkflowComplete(
            workflow_id=parent_id,
            status="completed",
            message=f"{planned} categories planned; "
            f"{len(view['awaiting_approval'])} awaiting approval",
            result=output,
        )
    )
    return {"workflow_id": parent_id, "output": output}


@dataclass(frozen=True)
class ChildDecision:
    """One category's part of a plan-wide decision: the child as the decision left it, or the
    refusal that left it undecided."""

    category_id: str
    workflow_id: str
    workflow: Workflow | None
    error: AdapterError | DomainError | None


def decide_awaiting(
    c: Container,
    parent_id: str,
    action: ApprovalAction,
    *,
    caller: Caller,
    category_ids: Sequence[str] | None = None,
    comment: str | None = None,
) -> list[ChildDecision]:
    """Accept or reject the manufacturing orders of the plan's categories that await approval:
    every one of them, or the named ones. Each is that category's own decision
    (workflows.decide: recorded once, audited with the caller, handed to its execution), so
    one that is refused on the way (it expired meanwhile, Step Functions is unreachable) is
    returned with its error and the others stay decided. The plan's own audit trail gets one
    entry: who decided, what, which categories were decided and which refused. The request is
    checked first, with nothing decided: the workflow is an assortment plan (409
    `not_an_assortment`), each named category is one of its own (422 naming `category_ids[i]`)
    and awaits approval (409 `not_awaiting_approval`), and at least one category awaits (409
    `nothing_awaiting`)."""
    if action is ApprovalAction.MODIFY:
        raise InvalidRequestError(
            "a plan's orders are accepted or rejected together; modify one category's order "
            "on its own workflow",
            details=[{"field": "action", "message": "accept or reject"}],
        )
    parent = c.workflows.get(parent_id)
    if parent.workflow_type is not WorkflowType.ASSORTMENT:
        raise ConflictError(
            f"workflow {parent_id} is a {parent.workflow_type.value} workflow, not an "
            "assortment plan: decide its approval with POST /api/approvals/manufacturing",
            code="not_an_assortment",
            details=[{"field": "workflow_id", "message": parent.workflow_type.value}],
        )
    view = children_view(c, parent)
    children = {child["category_id"]: child for child in view["children"]}
    if category_ids is None:
        chosen = view["awaiting_approval"]
    else:
        _check_named(parent_id, category_ids, children, set(view["awaiting_approval"]))
        chosen = list(category_ids)
    if not chosen:
        raise ConflictError(
            f"no category of plan {parent_id} awaits approval",
            code="nothing_awaiting",
            details=[{"field": "workflow_id", "message": "nothing awaits approval"}],
        )
    decisions = []
    for name in chosen:
        workflow_id = children[name]["workflow_id"]
        try:
            decided = decide(
                c,
                workflow_id,
                ApprovalKind.MANUFACTURING,
                caller=caller,
                action=action,
                comment=comment,
            )
        except (AdapterError, DomainError) as exc:
            logger.warning(
                "a category's decision was refused",
                extra={"workflow_id": workflow_id, "error": exc.message},
            )
            decisions.append(ChildDecision(name, workflow_id, None, exc))
        else:
            decisions.append(ChildDecision(name, workflow_id, decided, None))
    audit.record(
        c,
        caller,
        AuditAction.APPROVAL_DECIDED,
        EntityType.WORKFLOW,
        parent_id,
        {
            "kind": ApprovalKind.MANUFACTURING.value,
            "action": action.value,
            "decided": [d.category_id for d in decisions if d.error is None],
            "refused": [d.category_id for d in decisions if d.error is not None],
            "comment": comment,
        },
    )
    return decisions


def _check_named(
    parent_id: str,
    category_ids: Sequence[str],
    children: dict[str, dict[str, Any]],
    awaiting: set[str],
) -> None:
    unknown = [
        {"field": f"category_ids[{i}]", "message": f"{name} is not a category of this plan"}
        for i, name in enumerate(category_ids)
        if name not in children
    ]
    if unknown:
        raise InvalidRequestError(
            f"plan {parent_id} does not plan every named category", details=unknown
        )
    waiting = [
        {
            "field": f"category_ids[{i}]",
            "message": f"{name} is {children[name]['status'].replace('_', ' ')}",
        }
        for i, name in enumerate(category_ids)
        if name not in awaiting
    ]
    if waiting:
        raise ConflictError(
            "only categories awaiting approval can be decided: "
            + "; ".join(detail["message"] for detail in waiting),
            code="not_awaiting_approval",
            details=waiting,
        )


class AssortmentFailedError(DomainError):
    """Every category of an assortment plan failed: the parent fails too (its MarkFailed)."""

    code = "assortment_failed"
