"""Run Lambda invocations in-process instead of in Docker.

moto's Lambda backend runs code only in Docker and offers no public hook. Every invocation
(Step Functions tasks, S3 notifications, direct invokes) passes through
`moto.awslambda.models.LambdaFunction._invoke_lambda(self, event) -> (payload, errored, logs)`,
so that one method is replaced for as long as the hook is installed. moto is pinned
(requirements-dev.txt) and tests/integration/test_lambda_hook.py fails loudly if the funnel
moves. Handlers are the real modules named by template.yaml (Handler/CodeUri, or ImageConfig for
image functions), loaded from their files under a module name of their own.

Running handlers in threads next to the caller also makes moto's DynamoDB see concurrent
requests, which its in-memory tables do not survive (a query iterating an index while another
thread writes raises "dictionary changed size during iteration"). DynamoDB serialises each
request itself, so while the hook is installed moto's DynamoDB requests are serialised too.
The hook also installs local.moto_speedups (two shortcuts through moto's request path) for as
long as it is installed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.dynamodb.responses import DynamoHandler

from fashion_forecast_local.moto_speedups import MotoSpeedups
from fashion_forecast_local.template import ACCOUNT_ID, REGION, Template

Handler = Callable[[Any, Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def load_module(template: Template, logical_id: str) -> ModuleType:
    """The module of a function's handler, loaded from its code folder (as Lambda does)."""
    code_dir, module_name, _ = template.function_handler(logical_id)
    path = code_dir / f"{module_name.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(f"lambda_{logical_id}_{module_name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler of {logical_id} from {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def load_handler(template: Template, logical_id: str) -> Handler:
    _, _, attribute = template.function_handler(logical_id)
    handler: Handler = getattr(load_module(template, logical_id), attribute)
    return handler


class InProcessLambdas:
    """Install with `with InProcessLambdas(template):` or install()/uninstall()."""

    _lock = threading.Lock()

    def __init__(self, template: Template) -> None:
        self.template = template
        self.by_name = {
            template.physical_name(logical_id): logical_id
            for logical_id in template.of_type("AWS::Serverless::Function")
        }
        self._handlers: dict[str, Handler] = {}
        self._original: Any = None
        self._original_dynamodb: Any = None
        self._speedups = MotoSpeedups()
        self.invocations: list[tuple[str, Any]] = []

    def handler(self, function_name: str) -> Handler:
        with self._lock:
            if function_name not in self._handlers:
                self._handlers[function_name] = load_handler(
                    self.template, self.by_name[function_name]
                )
            return self._handlers[function_name]

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        """Run the handler; errors come back as Lambda does: errorType/errorMessage."""
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        self.invocations.append((function_name, event))
        try:
            result = self.handler(function_name)(event, LambdaContext(function_name))
        except Exception as exc:
            error = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-5:],
            }
            return json.dumps(error), True, ""
        return json.dumps(result, default=str), False, ""

    def install(self) -> InProcessLambdas:
        hook = self
        serialised = threading.RLock()
        call_action = DynamoHandler.call_action

        def one_request_at_a_time(handler: DynamoHandler) -> Any:
            with serialised:
                return call_action(handler)

        self._original_dynamodb = call_action
        DynamoHandler.call_action = one_request_at_a_time  # type: ignore[method-assign]

        def _invoke_lambda(fn: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            if fn.function_name not in hook.by_name:
                raise RuntimeError(f"no in-process handler for Lambda {fn.function_name}")
            return hook.invoke(fn.function_name, event)

        self._original = LambdaFunction._invoke_lambda
        LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign,assignment]
        self._speedups.install()
        return self

    def uninstall(self) -> None:
        self._speedups.uninstall()
        if self._original_dynamodb is not None:
            DynamoHandler.call_action = self._original_dynamodb  # type: ignore[method-assign]
            self._original_dynamodb = None
        if self._original is not None:
            LambdaFunction._invoke_lambda = self._original  # type: ignore[method-assign]
            self._original = None

    def __enter__(self) -> InProcessLambdas:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()
