"""Approval rows: pk = "APPROVAL#<id>", sk = "APPROVAL". The status attribute guards every
change with a conditional write, so a decision is recorded exactly once."""

from __future__ import annotations

from typing import Any

from fashion_forecast.adapters.aws import DynamoTable, dynamodb_call
from fashion_forecast.models.approvals import ApprovalRecord, ApprovalStatus, Decision
from fashion_forecast.ports import NotFoundError


class ApprovalStore(DynamoTable):
    @staticmethod
    def _key(approval_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"APPROVAL#{approval_id}"}, "sk": {"S": "APPROVAL"}}

    def create(self, approval: ApprovalRecord) -> None:
        item = {
            **self._key(approval.approval_id),
            "entity": {"S": "approval"},
            "status": {"S": approval.status.value},
            "body": {"S": approval.model_dump_json()},
        }
        self._call(
            "put_item",
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            conflict=f"approval {approval.approval_id} already exists",
        )

    def get(self, approval_id: str) -> ApprovalRecord:
        response = self._call("get_item", Key=self._key(approval_id), ConsistentRead=True)
        if "Item" not in response:
            raise NotFoundError(f"approval {approval_id} not found")
        return ApprovalRecord.model_validate_json(response["Item"]["body"]["S"])

    def decide(self, approval_id: str, decision: Decision) -> ApprovalRecord:
        """pending -> decided with the decision; a second decision is a ConflictError."""
        approval = self.get(approval_id)
        decided = approval.model_copy(
            update={"status": ApprovalStatus.DECIDED, "decision": decision}
        )
        self._move(approval_id, ApprovalStatus.PENDING, decided)
        return decided

    def reopen(self, approval: ApprovalRecord) -> None:
        """Undo a decision whose delivery to the state machine failed (decided -> pending)."""
        reopened = approval.model_copy(update={"status": ApprovalStatus.PENDING, "decision": None})
        self._move(approval.approval_id, ApprovalStatus.DECIDED, reopened)

    def close(self, approval_id: str, status: ApprovalStatus) -> ApprovalRecord:
        """pending -> cancelled or expired; the token can no longer be used by a decision."""
        approval = self.get(approval_id)
        closed = approval.model_copy(update={"status": status})
        self._move(approval_id, ApprovalStatus.PENDING, closed)
        return closed

    def _move(self, approval_id: str, expected: ApprovalStatus, record: ApprovalRecord) -> None:
        self._call(
            "update_item",
            Key=self._key(approval_id),
            UpdateExpression="SET #status = :new, body = :body",
            ConditionExpression="#status = :expected",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":new": {"S": record.status.value},
                ":expected": {"S": expected.value},
                ":body": {"S": record.model_dump_json()},
            },
            conflict=f"approval {approval_id} is no longer {expected.value}",
        )

    def _call(self, operation: str, *, conflict: str = "conflict", **kwargs: Any) -> Any:
        return dynamodb_call(
            self.ddb, operation, conflict=conflict, TableName=self.table_name, **kwargs
        )
