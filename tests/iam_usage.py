"""Which AWS actions each Lambda function can make, read from the code (no imports, only ast).

From a function's entry module (functions/<name>/app.py; for the API function also every module
of fashion_forecast.api) the walk follows calls and references to the shared package's
module-level functions, and records every call of a Container port method (`c.<port>.<method>`).
Port -> adapter class comes from fashion_forecast/container.py (`build`), adapter method ->
boto3 operations from the adapters' own bodies (calls on their client, the operation names they
pass to `dynamodb_call` and their `_call` helpers, the adapters they hold). The few calls that
libraries make for the code (Powertools idempotency and parameters) are listed in EXTRA.

The result, per function: a set of (IAM action, scope) where scope says what the action needs
beyond the service: "index" for a DynamoDB Query on GSI1, else "".
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "layers" / "shared" / "fashion_forecast"

# The boto3 service each adapter class talks to (the classes that hold a client).
SERVICE = {
    "DynamoTable": "dynamodb",
    "EventLog": "dynamodb",
    "ObjectStore": "s3",
    "StateMachineClient": "states",
    "FunctionInvoker": "lambda",
    "FunctionCatalog": "lambda",
    "ConnectionApi": "execute-api",
    "SnsNotifier": "sns",
}
CLIENT_ATTRIBUTES = {"ddb", "s3", "sfn", "awslambda", "api", "sns"}
# Operations whose IAM action is not the operation's CamelCase name.
ACTION_NAMES = {
    ("s3", "list_objects_v2"): "s3:ListBucket",
    ("execute-api", "post_to_connection"): "execute-api:ManageConnections",
    ("execute-api", "delete_connection"): "execute-api:ManageConnections",
    ("lambda", "invoke"): "lambda:InvokeFunction",
}
# Calls made by libraries on the code's behalf: (module or class, function) -> actions.
EXTRA = {
    # Powertools idempotency (DynamoDBPersistenceLayer) on the data table.
    ("functions/variance/app.py", "handle"): {
        ("dynamodb:PutItem", ""),
        ("dynamodb:GetItem", ""),
        ("dynamodb:UpdateItem", ""),
        ("dynamodb:DeleteItem", ""),
    },
    # The WebSocket authorizer reads the REST API key's value (API key mode) with boto3 itself.
    ("functions/ws_authorizer/app.py", "_key_value"): {("apigateway:GET", "")},
    # Powertools parameters: get_parameter(name, decrypt=True).
    ("OpenAIExtractor", "extract"): {("ssm:GetParameter", "")},
}


def action(service: str, operation: str) -> str:
    if (service, operation) in ACTION_NAMES:
        return ACTION_NAMES[(service, operation)]
    return f"{service}:" + "".join(part.capitalize() for part in operation.split("_"))


# -- adapters: class -> method -> actions ---------------------------------------------------------


@dataclass
class AdapterClass:
    name: str
    bases: list[str]
    methods: dict[str, ast.FunctionDef]
    holds: dict[str, str] = field(default_factory=dict)  # self.<attribute> -> adapter class


def _adapter_classes() -> dict[str, AdapterClass]:
    classes: dict[str, AdapterClass] = {}
    for path in sorted((PACKAGE / "adapters").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.ClassDef):
                continue
            methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
            bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
            cls = AdapterClass(node.name, bases, methods)
            init = methods.get("__init__")
            if init is not None:
                annotated = {
                    a.arg: ast.unparse(a.annotation).split(" |")[0]
                    for a in init.args.args
                    if a.annotation is not None
                }
                for stmt in ast.walk(init):
                    if (
                        isinstance(stmt, ast.Assign)
                        and isinstance(stmt.value, ast.Name)
                        and stmt.value.id in annotated
                    ):
                        for target in stmt.targets:
                            if isinstance(target, ast.Attribute):
                                cls.holds[target.attr] = annotated[stmt.value.id]
            classes[node.name] = cls
    return classes


class Adapters:
    def __init__(self) -> None:
        self.classes = _adapter_classes()

    def service(self, class_name: str) -> str | None:
        while class_name in self.classes:
            if class_name in SERVICE:
                return SERVICE[class_name]
            bases = self.classes[class_name].bases
            if not bases:
                return None
            class_name = bases[0]
        return SERVICE.get(class_name)

    def public_methods(self, class_name: str) -> set[str]:
        names: set[str] = set()
        while class_name in self.classes:
            cls = self.classes[class_name]
            names |= {n for n in cls.methods if not n.startswith("_")}
            class_name = cls.bases[0] if cls.bases else ""
        return names

    def method(self, class_name: str, name: str) -> tuple[str, ast.FunctionDef] | None:
        """(defining class, method) of `name` on `class_name`, through its bases."""
        while class_name in self.classes:
            cls = self.classes[class_name]
            if name in cls.methods:
                return class_name, cls.methods[name]
            if not cls.bases:
                return None
            class_name = cls.bases[0]
        return None

    def actions(self, class_name: str, name: str, seen: set[tuple[str, str]] | None = None) -> set:
        seen = set() if seen is None else seen
        if (class_name, name) in seen:
            return set()
        seen.add((class_name, name))
        found = self.method(class_name, name)
        out: set[tuple[str, str]] = set(EXTRA.get((class_name, name), set()))
        if found is None:
            return out
        owner, node = found
        service = self.service(class_name)
        scope = "index" if _mentions_index(node) else ""
        holds = {**self.classes[owner].holds, **self.classes[class_name].holds}
        for sub in ast.walk(node):
            # self.<method> called or passed on (executor.submit(self.send, ...))
            if (
                isinstance(sub, ast.Attribute)
                and _is_self(sub.value)
                and self.method(class_name, sub.attr)
            ):
                out |= self.actions(class_name, sub.attr, seen)
            if not isinstance(sub, ast.Call) or not isinstance(sub.func, ast.Attribute):
                continue
            target, op = sub.func.value, sub.func.attr
            # self.<client>.<operation>(...)
            if isinstance(target, ast.Attribute) and _is_self(target.value):
                if target.attr in CLIENT_ATTRIBUTES and service:
                    if op in {"get_paginator", "generate_presigned_url"}:
                        op = _first_string(sub) or op
                    out.add((action(service, op), scope if op == "query" else ""))
                elif target.attr in holds:  # self.<held adapter>.<method>(...)
                    out |= self.actions(holds[target.attr], op, seen)
        for sub in ast.walk(node):  # dynamodb_call(ddb, "op") and self._call("op", ...)
            if isinstance(sub, ast.Call) and service and _is_call_helper(sub.func):
                op = _first_string(sub)
                if op:
                    out.add((action(service, op), scope if op == "query" else ""))
        return out


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _is_call_helper(func: ast.AST) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "dynamodb_call"
    return isinstance(func, ast.Attribute) and _is_self(func.value) and func.attr.endswith("_call")


def _first_string(call: ast.Call) -> str | None:
    for arg in call.args[:2]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


def _mentions_index(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id == "GSI1")
        or (isinstance(n, ast.Constant) and n.value == "IndexName")
        for n in ast.walk(node)
    )


def ports() -> dict[str, str]:
    """Container field -> adapter class, from container.build()."""
    tree = ast.parse((PACKAGE / "container.py").read_text())
    build = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build")
    known = set(_adapter_classes())
    local = {  # log = EventLog(table)
        target.id: stmt.value.func.id
        for stmt in ast.walk(build)
        if isinstance(stmt, ast.Assign)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    out: dict[str, str] = {}
    for call in ast.walk(build):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Container":
            for keyword in call.keywords:
                names = [
                    n.func.id
                    for n in ast.walk(keyword.value)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                ] + [
                    local.get(n.id, "") for n in ast.walk(keyword.value) if isinstance(n, ast.Name)
                ]
                adapters = [n for n in names if n in known]
                if keyword.arg and adapters:
                    out[keyword.arg] = adapters[0]
    return out


# -- the code: entry point -> port methods -------------------------------------------------------


@dataclass
class Module:
    key: str  # dotted name, or the path for a functions/<name>/app.py
    tree: ast.Module
    functions: dict[str, ast.AST]  # top-level functions and classes' methods by name
    modules: dict[str, str]  # local alias -> dotted module name (fashion_forecast only)
    names: dict[str, tuple[str, str]]  # local name -> (module, name) imported from the package


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _load(path: Path, key: str) -> Module:
    tree = ast.parse(path.read_text())
    functions: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            functions[node.name] = node  # a class in an app module: all of it
    modules: dict[str, str] = {}
    names: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fashion_forecast"):
            for alias in node.names:
                local = alias.asname or alias.name
                full = f"{node.module}.{alias.name}"
                if (PACKAGE.parent / (full.replace(".", "/") + ".py")).exists():
                    modules[local] = full
                else:
                    names[local] = (str(node.module), alias.name)
    return Module(key, tree, functions, modules, names)


class Code:
    def __init__(self) -> None:
        # The code that uses ports; the adapters and the wiring (container.build) are read by
        # Adapters and ports() instead.
        self.modules: dict[str, Module] = {}
        for path in PACKAGE.rglob("*.py"):
            key = _dotted(path)
            if not key.startswith(("fashion_forecast.adapters", "fashion_forecast.container")):
                self.modules[key] = _load(path, key)
        self.port_names = set(ports()) | {"settings", "clock", "ids"}

    def entry(self, path: Path) -> Module:
        return _load(path, str(path.relative_to(ROOT)))

    def port_calls(self, starts: list[tuple[Module, ast.AST]]) -> set[tuple[str, str]]:
        """(port, method) pairs reachable from the given (module, node) starting points; also
        ("@", "<module key>:<function>") for each function reached, for EXTRA."""
        out: set[tuple[str, str]] = set()
        seen: set[int] = set()
        todo = list(starts)
        while todo:
            module, node = todo.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.add(("@", f"{module.key}:{node.name}"))
            held: set[int] = set()  # X.<port> nodes followed by .<method>
            whole: list[str] = []  # X.<port> handed on as a whole: every method counts
            for sub in ast.walk(node):
                for target in self._references(module, sub):
                    todo.append(target)
                if not isinstance(sub, ast.Attribute):
                    continue
                if isinstance(sub.value, ast.Attribute) and sub.value.attr in self.port_names:
                    out.add((sub.value.attr, sub.attr))  # c.<port>.<method>, called or not
                    held.add(id(sub.value))
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Name)  # c.<port>, not S3Event(e).records
                    and sub.value.id != "self"
                    and sub.attr in self.port_names
                    and id(sub) not in held
                ):
                    whole.append(sub.attr)
            out |= {(port, "*") for port in whole}
        return out

    def _references(self, module: Module, node: ast.AST) -> Iterator[tuple[Module, ast.AST]]:
        if isinstance(node, ast.Name):
            if node.id in module.functions and node is not module.functions[node.id]:
                yield module, module.functions[node.id]
            elif node.id in module.names:
                source, name = module.names[node.id]
                target = self.modules.get(source)
                if target and name in target.functions:
                    yield target, target.functions[name]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            alias = module.modules.get(node.value.id)
            target = self.modules.get(alias) if alias else None
            if target and node.attr in target.functions:
                yield target, target.functions[node.attr]


@cache
def _readers() -> tuple[Code, Adapters, dict[str, str]]:
    return Code(), Adapters(), ports()


def function_actions(code_dir: Path) -> set[tuple[str, str]]:
    """The (IAM action, scope) pairs the function in `code_dir` needs (see the module doc)."""
    code, adapters, by_port = _readers()
    entry = code.entry(code_dir / "app.py")
    starts: list[tuple[Module, ast.AST]] = [(entry, entry.tree)]
    imported = set(entry.modules.values()) | {m for m, _ in entry.names.values()}
    if any(m.startswith("fashion_forecast.api") for m in imported):
        # The FastAPI app: its routes are registered by decorators, not called; all count.
        starts += [
            (m, m.tree) for k, m in code.modules.items() if k.startswith("fashion_forecast.api")
        ]
    out: set[tuple[str, str]] = set()
    for port, method in code.port_calls(starts):
        if port == "@":
            module_key, _, name = method.partition(":")
            out |= EXTRA.get((module_key, name), set())
        elif port in by_port and method == "*":
            for name in adapters.public_methods(by_port[port]):
                out |= adapters.actions(by_port[port], name)
        elif port in by_port:
            out |= adapters.actions(by_port[port], method)
    if ("s3:GetObject", "") in out:
        # With ListBucket a missing key answers 404 NoSuchKey, which the object store maps to
        # NotFoundError; without it S3 answers 403.
        out.add(("s3:ListBucket", ""))
    return out
