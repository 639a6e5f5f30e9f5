"""Step Functions: start and stop workflow executions."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.adapters.aws import client, error_code
from fashion_forecast.ports import (
    ConflictError,
    GoneError,
    NotFoundError,
    UnavailableError,
)

# What a read's "does not exist" error means (the readiness probe, the catalogue, a run's steps).
_NOT_FOUND = {
    "StateMachineDoesNotExist": "state machine does not exist",
    "ExecutionDoesNotExist": "the workflow's execution does not exist",
}


class StateMachineClient:
    def __init__(self, state_machine_arn: str, stepfunctions: Any | None = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._sfn = stepfunctions

    @property
    def sfn(self) -> Any:
        return self._sfn or client("stepfunctions")

    def execution_arn(self, name: str) -> str:
        """The ARN an execution named `name` of this state machine has."""
        prefix, _, machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Start an execution named `name` (idempotent per name). Returns its ARN."""
        try:
            response = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name,
                input=json.dumps(payload, sort_keys=True, default=str),
            )
        except ClientError as exc:
            code = error_code(exc)
            if code == "ExecutionAlreadyExists":
                raise ConflictError(f"execution {name} already exists") from exc
            if code == "StateMachineDoesNotExist":
                raise UnavailableError("the workflow state machine does not exist") from exc
            raise UnavailableError(f"Step Functions StartExecution failed: {code}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"Step Functions unreachable: {exc}") from exc
        return str(response["executionArn"])

    def stop(self, execution_arn: str, *, cause: str) -> None:
        """Stop a running execution; an execution that is gone or finished is not an error."""
        try:
            self.sfn.stop_execution(executionArn=execution_arn, cause=cause[:32768])
        except ClientError as exc:
            if error_code(exc) in {"ExecutionDoesNotExist", "ExecutionNotRunning"}:
                return
            raise UnavailableError(
                f"Step Functions StopExecution failed: {error_code(exc)}"
            ) from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"Step Functions unreachable: {exc}") from exc

    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None:
        """Resume a task waiting on `task_token`; GoneError when the token timed out or is
        unknown (the execution moved on without it)."""
        self._task_call("send_task_success", taskToken=task_token, output=json.dumps(output))

    def send_task_failure(self, task_token: str, *, error: str, cause: str) -> None:
        """Fail a waiting task; a token that is already gone is not an error here."""
        try:
            self._task_call(
                "send_task_failure", taskToken=task_token, error=error[:256], cause=cause[:32768]
            )
        except GoneError:
            return

    def _task_call(self, operation: str, **kwargs: Any) -> None:
        try:
            getattr(self.sfn, operation)(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code in {"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"}:
                raise GoneError(
                    f"the approval's task token is no longer valid ({code})",
                    code="approval_expired",
                ) from exc
            raise UnavailableError(f"Step Functions {operation} failed: {code}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"Step Functions unreachable: {exc}") from exc

    def definition(self) -> dict[str, Any]:
        """The deployed definition (DescribeStateMachine), parsed."""
        described = self._read_call(
            "describe_state_machine", stateMachineArn=self.state_machine_arn
        )
        definition: dict[str, Any] = json.loads(described["definition"])
        return definition

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of the execution, oldest first, all pages."""
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self._read_call("get_execution_history", **request)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            request["nextToken"] = page["nextToken"]

    def check(self) -> None:
        """Raise unless the state machine exists and is reachable (readiness probe)."""
        self._read_call("describe_state_machine", stateMachineArn=self.state_machine_arn)

    def _read_call(self, operation: str, **kwargs: Any) -> Any:
        """A read: NotFoundError for a state machine or execution that does not exist,
        UnavailableError for any other failure."""
        try:
            return getattr(self.sfn, operation)(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code in _NOT_FOUND:
                raise NotFoundError(_NOT_FOUND[code]) from exc
            raise UnavailableError(f"Step Functions: {code}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"Step Functions unreachable: {exc}") from exc
