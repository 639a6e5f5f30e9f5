"""Workflow operations shared by the API and the Lambdas: start, decide an approval, cancel.

They speak adapter errors (NotFoundError, ConflictError, GoneError, UnavailableError) and
InvalidDecisionError; callers map those to HTTP answers or Lambda failures.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.adapters.aws import utcnow
from fashion_forecast.adapters.errors import ConflictError, GoneError, UnavailableError
from fashion_forecast.models.approvals import (
    ApprovalAction,
    ApprovalKind,
    ApprovalRecord,
    ApprovalStatus,
    Decision,
)
from fashion_forecast.models.events import WorkflowComplete
from fashion_forecast.models.workflows import Workflow, WorkflowStatus, WorkflowType
from fashion_forecast.services import Services

logger = Logger(service="fashion-forecast")

SAFETY_STOCK_RANGE = (0.10, 0.50)
MAX_MARKDOWN = 0.40


class InvalidDecisionError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def start_workflow(
    services: Services,
    workflow_type: WorkflowType,
    category_id: str,
    payload: dict[str, Any],
    *,
    workflow_id: str | None = None,
) -> Workflow:
    """Store the workflow, then start its execution named after it. If the execution cannot be
    started the row is removed again, so a failed start leaves nothing behind. A caller that
    passes a deterministic `workflow_id` gets ConflictError on a duplicate start."""
    workflow_id = workflow_id or str(uuid.uuid4())
    execution_input = {
        "workflow_id": workflow_id,
        "workflow_type": workflow_type.value,
        "category_id": category_id,
        **payload,
    }
    workflow = services.workflows.create(
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        category_id=category_id,
        input=execution_input,
    )
    try:
        execution_arn = services.state_machine.start(workflow_id, execution_input)
    except (UnavailableError, ConflictError):
        services.workflows.delete_pending(workflow_id)
        logger.error("could not start execution", extra={"workflow_id": workflow_id})
        raise
    # The execution may already have moved the workflow on; the ARN stays derivable from the id.
    try:
        workflow = services.workflows.set_fields(workflow_id, execution_arn=execution_arn)
    except ConflictError:
        workflow = services.workflows.get(workflow_id)
    logger.info("workflow started", extra={"workflow_id": workflow_id, "type": workflow_type})
    return workflow


def current_approval(services: Services, workflow: Workflow, kind: ApprovalKind) -> ApprovalRecord:
    """The approval a decision on `workflow` would answer, if it still can be answered.

    ConflictError: no approval of this kind is waiting (none asked, already decided, cancelled,
    or the workflow is no longer waiting). GoneError: it expired.
    """
    pending = workflow.pending_approval
    approval_id = pending.approval_id if pending else workflow.last_approval_id
    if approval_id is None:
        raise ConflictError(f"workflow {workflow.workflow_id} has no pending approval")
    approval = services.approvals.get(approval_id)
    if approval.kind is not kind:
        raise ConflictError(
            f"workflow {workflow.workflow_id} is waiting for a {approval.kind.value} approval, "
            f"not {kind.value}"
        )
    if approval.status is ApprovalStatus.PENDING and approval.expires_at <= utcnow():
        expire_approval(services, approval.approval_id)
    if approval.status is ApprovalStatus.EXPIRED or approval.expires_at <= utcnow():
        raise GoneError(
            f"the {kind.value} approval of workflow {workflow.workflow_id} expired",
            code="approval_expired",
        )
    if approval.status is not ApprovalStatus.PENDING:
        raise ConflictError(
            f"the {kind.value} approval of workflow {workflow.workflow_id} is already "
            f"{approval.status.value}"
        )
    if workflow.status is not WorkflowStatus.AWAITING_APPROVAL:
        raise ConflictError(f"workflow {workflow.workflow_id} is {workflow.status}, not waiting")
    return approval


def expire_approval(services: Services, approval_id: str) -> None:
    """Mark a pending approval expired (no-op if it was decided or closed meanwhile)."""
    with contextlib.suppress(ConflictError):
        services.approvals.close(approval_id, ApprovalStatus.EXPIRED)


def build_decision(
    kind: ApprovalKind,
    action: ApprovalAction,
    *,
    safety_stock_pct: float | None = None,
    manufacturing_qty: int | None = None,
    markdown_pct: float | None = None,
    comment: str | None = None,
) -> Decision:
    """Validate the action's fields for this kind of approval."""
    if kind is ApprovalKind.MANUFACTURING and markdown_pct is not None:
        raise InvalidDecisionError("markdown_pct belongs to markdown approvals", "markdown_pct")
    if kind is ApprovalKind.MARKDOWN and (
        safety_stock_pct is not None or manufacturing_qty is not None
    ):
        raise InvalidDecisionError(
            "safety_stock_pct and manufacturing_qty belong to manufacturing approvals",
            "safety_stock_pct" if safety_stock_pct is not None else "manufacturing_qty",
        )
    overrides = [v for v in (safety_stock_pct, manufacturing_qty, markdown_pct) if v is not None]
    if action is ApprovalAction.MODIFY:
        if kind is ApprovalKind.MANUFACTURING and len(overrides) != 1:
            raise InvalidDecisionError(
                "modify needs exactly one of safety_stock_pct or manufacturing_qty",
                "safety_stock_pct",
            )
        if kind is ApprovalKind.MARKDOWN and markdown_pct is None:
            raise InvalidDecisionError("modify needs markdown_pct", "markdown_pct")
    elif overrides:
        raise InvalidDecisionError(f"{action.value} takes no override; use modify", "action")
    low, high = SAFETY_STOCK_RANGE
    if safety_stock_pct is not None and not low <= safety_stock_pct <= high:
        raise InvalidDecisionError(
            f"safety_stock_pct must be within {low:.2f}..{high:.2f}", "safety_stock_pct"
        )
    if manufacturing_qty is not None and manufacturing_qty <= 0:
        raise InvalidDecisionError("manufacturing_qty must be positive", "manufacturing_qty")
    if markdown_pct is not None and not 0 <= markdown_pct <= MAX_MARKDOWN:
        raise InvalidDecisionError(
            f"markdown_pct must be within 0..{MAX_MARKDOWN:.2f}", "markdown_pct"
        )
    return Decision(
        action=action,
        safety_stock_pct=safety_stock_pct,
        manufacturing_qty=manufacturing_qty,
        markdown_pct=markdown_pct,
        comment=comment,
        decided_at=utcnow(),
    )


def decide(
    services: Services, workflow_id: str, kind: ApprovalKind, decision: Decision
) -> Workflow:
    """Record the decision once (conditional write), resume the workflow, then hand the decision
    to the waiting execution. A second decision is a ConflictError; an expired approval a
    GoneError. If the execution cannot be reached the decision is undone, so it can be retried.
    """
    workflow = services.workflows.get(workflow_id)
    approval = current_approval(services, workflow, kind)
    decided = services.approvals.decide(approval.approval_id, decision)
    resumed = services.workflows.transition(
        workflow_id,
        WorkflowStatus.RUNNING,
        expected=WorkflowStatus.AWAITING_APPROVAL,
        pending_approval=None,
    )
    try:
        services.state_machine.send_task_success(
            approval.task_token, decision.model_dump(mode="json")
        )
    except UnavailableError:
        services.workflows.transition(
            workflow_id,
            WorkflowStatus.AWAITING_APPROVAL,
            expected=WorkflowStatus.RUNNING,
            pending_approval=workflow.pending_approval,
        )
        services.approvals.reopen(decided)
        raise
    logger.info(
        "approval decided",
        extra={"workflow_id": workflow_id, "kind": kind.value, "action": decision.action.value},
    )
    return resumed


def cancel(services: Services, workflow_id: str) -> Workflow:
    """Cancel an unfinished workflow. The status changes first (so a step failing because of
    the cancel finds it already cancelled and leaves it so); then a waiting approval's task is
    failed as well as the execution stopped: stopping alone can leave a callback wait running.
    If Step Functions cannot be reached the workflow stays cancelled and the execution ends at
    its next step or its approval timeout, finding the workflow cancelled."""
    workflow = services.workflows.get(workflow_id)
    if workflow.status.is_terminal:
        raise ConflictError(f"workflow {workflow_id} has already finished ({workflow.status})")
    closed = None
    if workflow.pending_approval is not None:
        # decided or expired meanwhile: the transition below decides
        with contextlib.suppress(ConflictError):
            closed = services.approvals.close(
                workflow.pending_approval.approval_id, ApprovalStatus.CANCELLED
            )
    cancelled = services.workflows.transition(
        workflow_id,
        WorkflowStatus.CANCELLED,
        error_message="cancelled by user",
        pending_approval=None,
    )
    services.events.publish(
        WorkflowComplete(workflow_id=workflow_id, status="cancelled", message="cancelled by user")
    )
    execution_arn = workflow.execution_arn or services.state_machine.execution_arn(workflow_id)
    try:
        if closed is not None:
            services.state_machine.send_task_failure(
                closed.task_token, error="WorkflowCancelled", cause="cancelled by user"
            )
        services.state_machine.stop(execution_arn, cause="cancelled by user")
    except UnavailableError:
        logger.warning("could not stop the execution", extra={"workflow_id": workflow_id})
    logger.info("workflow cancelled", extra={"workflow_id": workflow_id})
    return cancelled
