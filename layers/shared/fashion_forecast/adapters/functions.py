"""Synchronous Lambda invocations (the API asks the Demand container for engine work that
needs pandas, Prophet or scikit-learn, which the API function does not carry)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.adapters.aws import client, error_code
from fashion_forecast.ports import FunctionConfiguration, NotFoundError, UnavailableError


class FunctionInvoker:
    def __init__(self, function_name: str, awslambda: Any | None = None) -> None:
        self.function_name = function_name
        self._lambda = awslambda

    @property
    def awslambda(self) -> Any:
        return self._lambda or client("lambda")

    def invoke(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The function's JSON answer; UnavailableError if it could not be run or crashed."""
        try:
            response = self.awslambda.invoke(
                FunctionName=self.function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps(payload, default=str).encode(),
            )
        except ClientError as exc:
            raise UnavailableError(f"Lambda {self.function_name}: {error_code(exc)}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"Lambda unreachable: {exc}") from exc
        body = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            message = body.get("errorMessage") if isinstance(body, dict) else None
            raise UnavailableError(f"{self.function_name} failed: {message or 'unknown error'}")
        if not isinstance(body, dict):
            raise UnavailableError(f"{self.function_name} returned no JSON object")
        return body


class FunctionCatalog:
    """What deployed functions run with (GetFunctionConfiguration)."""

    def __init__(self, awslambda: Any | None = None) -> None:
        self._lambda = awslambda

    @property
    def awslambda(self) -> Any:
        return self._lambda or client("lambda")

    def configuration(self, function_name: str) -> FunctionConfiguration:
        try:
            found = self.awslambda.get_function_configuration(FunctionName=function_name)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise NotFoundError(f"function {function_name} does not exist") from exc
            raise UnavailableError(f"Lambda {function_name}: {error_code(exc)}") from exc
        except BotoCoreError as exc:
            raise UnavailableError(f"Lambda unreachable: {exc}") from exc
        return FunctionConfiguration(
            function_name=str(found["FunctionName"]),
            function_arn=str(found["FunctionArn"]),
            timeout_seconds=int(found["Timeout"]),
            memory_mb=int(found["MemorySize"]),
            package_type=str(found.get("PackageType") or "Zip"),
            runtime=found.get("Runtime"),
            last_modified=found.get("LastModified"),
        )
