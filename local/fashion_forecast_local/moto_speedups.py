"""Two shortcuts through moto's request path, which is most of a local request's CPU time.

The local runtime runs the API, moto and the Lambdas in one interpreter, so its requests share
one GIL and throughput is CPU time per request (benchmarks/README.md, "Local runtime
throughput"). Profiled (py-spy), two of moto's costs are pure overhead:

- TYPE_RESPONSE serialisation of DynamoDB item operations. moto (5.2) serialises every result
  through the botocore output shape, looking each attribute value's ten members up through a
  chain of alias providers; listing 20 workflows spent about two thirds of its CPU there. The
  results of the item operations are already dicts in DynamoDB's JSON wire format (moto's
  dynamo_to_dict made them so), keyed as the output shape names its members, so
  `fast_item_results` walks them along the shape with plain dict lookups (`shaped`) and does
  what the serializer does at each node: members outside the shape and None members left
  out, blobs (B, BS) base64-encoded, integers int, doubles float. A result holding anything
  else (a timestamp, an object) goes through moto's serializer as before, and so does every
  other operation, every error and every service.
- moto's dispatcher lists its own package directory (os.listdir plus an isdir per entry)
  for every request to find the service, holding its global lock; the list never changes while
  the process runs, so `cached_module_list` computes it once.

Both are installed and lifted with the in-process Lambda hook (local.lambdas), which already
patches moto's DynamoDB handler; tests/integration/test_moto_speedups.py checks that the fast
responses parse exactly as moto's own and fails loudly if the patched functions move.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

import moto.backends
from botocore.model import Shape
from moto import settings
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionContext
from moto.dynamodb.responses import DynamoResult

ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "TransactGetItems",
    }
)  # (BatchWriteItem and TransactWriteItems answer a plain ActionResult: moto's serializer)


class NotPlain(Exception):
    """The result holds a value the JSON shortcut does not know how to send."""


def shaped(value: Any, shape: Shape) -> Any:
    """`value` as moto's JSON serializer would send it for `shape` (structure members outside
    the shape and None members left out, blobs base64, integers int, doubles float), or
    NotPlain when it holds anything else: a timestamp, an object, a None in a list or map."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise NotPlain(f"{type(value).__name__} for structure {shape.name}")
        members = shape.members
        out = {}
        for name, member_value in value.items():
            member = members.get(name)
            if member is not None and member_value is not None:
                out[member.serialization.get("name", name)] = shaped(member_value, member)
        return out
    if kind == "map":
        if not isinstance(value, dict):
            raise NotPlain(f"{type(value).__name__} for map {shape.name}")
        entry = shape.value
        return {k: shaped(v, entry) for k, v in value.items()}
    if kind == "list":
        if not isinstance(value, list | tuple):
            raise NotPlain(f"{type(value).__name__} for list {shape.name}")
        item = shape.member
        return [shaped(v, item) for v in value]
    if value is None:
        raise NotPlain(f"None for {kind} {shape.name}")
    if kind == "blob":
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, bytes):
            raise NotPlain(f"{type(value).__name__} for blob {shape.name}")
        return base64.b64encode(value).strip().decode("utf-8")
    if kind in {"integer", "long"}:
        return int(value)
    if kind in {"float", "double"}:
        return float(value)
    if kind in {"string", "boolean"} and isinstance(value, str | bool | int | float):
        return value
    raise NotPlain(f"{type(value).__name__} for {kind} {shape.name}")


def fast_item_results(original: Callable[[DynamoResult, ActionContext], TYPE_RESPONSE]) -> Any:
    """DynamoResult.execute_result that sends item operations' results as JSON directly."""

    def execute_result(self: DynamoResult, context: ActionContext) -> TYPE_RESPONSE:
        operation = context.operation_model
        if operation.name not in ITEM_OPERATIONS or operation.output_shape is None:
            return original(self, context)
        try:
            body = shaped(self.result, operation.output_shape)
        except (NotPlain, TypeError, ValueError):
            return original(self, context)
        serializer = context.serializer_class(
            operation_model=operation, pretty_print=settings.PRETTIFY_RESPONSES
        )
        response = serializer._create_default_response()
        response = serializer._serialized_result_to_response(
            response, self.result, operation.output_shape, body
        )
        return response["status_code"], dict(response["headers"]), response["body"]

    execute_result.original = original  # type: ignore[attr-defined]
    return execute_result


def cached_module_list(original: Callable[[], Iterable[str]]) -> Callable[[], Iterable[str]]:
    modules = tuple(original())

    def list_of_moto_modules() -> Iterable[str]:
        return modules

    list_of_moto_modules.original = original  # type: ignore[attr-defined]
    return list_of_moto_modules


class MotoSpeedups:
    """install() / uninstall(); installing twice is a no-op."""

    def __init__(self) -> None:
        self._execute_result: Any = None
        self._module_list: Any = None

    def install(self) -> MotoSpeedups:
        if self._execute_result is None:
            self._execute_result = DynamoResult.execute_result
            DynamoResult.execute_result = fast_item_results(  # type: ignore[method-assign]
                self._execute_result
            )
        if self._module_list is None:
            self._module_list = moto.backends.list_of_moto_modules
            moto.backends.list_of_moto_modules = cached_module_list(self._module_list)
        return self

    def uninstall(self) -> None:
        if self._execute_result is not None:
            del DynamoResult.execute_result  # DynamoResult inherits it from moto's ActionResult
            if DynamoResult.execute_result is not self._execute_result:
                DynamoResult.execute_result = self._execute_result  # type: ignore[method-assign]
            self._execute_result = None
        if self._module_list is not None:
            moto.backends.list_of_moto_modules = self._module_list
            self._module_list = None
