"""The catalogue of flows and the agent registry, read from what is deployed: the state
machine's definition as Step Functions has it (DescribeStateMachine), the agent functions'
configuration as Lambda has it, and the agents' recent runs from the workflows' event logs.

One state machine runs every flow: a Choice on `$.workflow_type` routes to each. A flow is what
an execution of that type can reach from StartAt, every Choice on `$.workflow_type` taken the
way that type takes it. Its version is a hash of those states' definitions, so a change to one
flow leaves the others' versions alone.

A retry enters the same definition at a step of its flow (Choices on `$.resume_from`, see
app/workflows.py `retry`): those rules are not part of any flow's path; each flow lists the
steps of its own a retry can resume at (`resume_points`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fashion_forecast.models.events import AgentCompleted, ErrorEvent
from fashion_forecast.ports import Container, FunctionConfiguration, NotFoundError

TYPE_VARIABLE = "$.workflow_type"
RESUME_VARIABLE = "$.resume_from"
PARAMETERS_PREFIX = "$.parameters."
WAIT_FOR_TOKEN = ".waitForTaskToken"
COMPARISONS = (
    "StringEquals",
    "NumericGreaterThan",
    "NumericEquals",
    "NumericLessThan",
    "BooleanEquals",
    "IsPresent",
    "IsNull",
)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    on: str  # "next", "default", "catch <errors>", or the Choice rule "<variable> <op> <value>"


@dataclass(frozen=True)
class Flow:
    name: str
    version: str
    start_at: str
    states: dict[str, dict[str, Any]]
    transitions: list[Transition]
    resume_points: list[str] = field(default_factory=list)

    @property
    def approvals(self) -> list[str]:
        return [n for n, s in self.states.items() if is_approval(s)]

    def switches(self) -> list[dict[str, Any]]:
        """The Choice rules on a season parameter: which step each one switches on or off."""
        found = []
        for name, state in self.states.items():
            if state.get("Type") != "Choice":
                continue
            for rule in state.get("Choices", []):
                variable = str(rule.get("Variable", ""))
                if variable.startswith(PARAMETERS_PREFIX):
                    found.append(
                        {
                            "state": name,
                            "parameter": variable.removeprefix(PARAMETERS_PREFIX),
                            "condition": _rule_text(rule),
                            "then": rule["Next"],
                            "otherwise": state.get("Default"),
                        }
                    )
        return found


def is_approval(state: dict[str, Any]) -> bool:
    return state.get("Type") == "Task" and str(state.get("Resource", "")).endswith(WAIT_FOR_TOKEN)


def _rule_text(rule: dict[str, Any]) -> str:
    for op in COMPARISONS:
        if op in rule:
            return f"{rule.get('Variable')} {op} {json.dumps(rule[op])}"
    return json.dumps({k: v for k, v in rule.items() if k != "Next"}, sort_keys=True)


def flow_names(definition: dict[str, Any]) -> list[str]:
    """The workflow types the definition routes, in its order."""
    names: list[str] = []
    for state in definition["States"].values():
        if state.get("Type") == "Choice":
            for rule in state.get("Choices", []):
                value = rule.get("StringEquals")
                if rule.get("Variable") == TYPE_VARIABLE and value and value not in names:
                    names.append(str(value))
    return names


def resume_steps(definition: dict[str, Any]) -> list[str]:
    """Every step a retry can resume at: the targets of the Choice rules on $.resume_from."""
    found: list[str] = []
    for state in definition["States"].values():
        for rule in state.get("Choices", []) if state.get("Type") == "Choice" else []:
            if rule.get("Variable") == RESUME_VARIABLE and "StringEquals" in rule:
                found.append(str(rule["Next"]))
    return found


def _edges(state: dict[str, Any], flow: str) -> Iterator[Transition]:
    if state.get("Type") == "Choice":
        routed = False
        for rule in state.get("Choices", []):
            if rule.get("Variable") == RESUME_VARIABLE:
                continue  # a retry's entry, not a step of a fresh run
            if rule.get("Variable") == TYPE_VARIABLE:
                if rule.get("StringEquals") == flow:
                    routed = True
                    yield Transition("", rule["Next"], _rule_text(rule))
                continue
            yield Transition("", rule["Next"], _rule_text(rule))
        if "Default" in state and not routed:
            yield Transition("", state["Default"], "default")
        return
    if "Next" in state:
        yield Transition("", state["Next"], "next")
    for catch in state.get("Catch", []):
        yield Transition("", catch["Next"], "catch " + ", ".join(catch["ErrorEquals"]))


def flow(definition: dict[str, Any], name: str) -> Flow:
    """The flow of workflow type `name`: its reachable states and transitions."""
    if name not in flow_names(definition):
        raise NotFoundError(f"no flow named {name}")
    states = definition["States"]
    seen: dict[str, dict[str, Any]] = {}
    transitions: list[Transition] = []
    queue = [definition["StartAt"]]
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen[current] = states[current]
        for edge in _edges(states[current], name):
            transitions.append(Transition(current, edge.target, edge.on))
            queue.append(edge.target)
    ordered = {n: seen[n] for n in states if n in seen}  # the definition's order
    canonical = json.dumps(
        {"StartAt": definition["StartAt"], "States": ordered}, sort_keys=True
    ).encode()
    return Flow(
        name=name,
        version=hashlib.sha256(canonical).hexdigest()[:16],
        start_at=definition["StartAt"],
        states=ordered,
        transitions=transitions,
        resume_points=[n for n in resume_steps(definition) if n in ordered],
    )


def definitions(c: Container) -> list[Flow]:
    deployed = c.state_machine.definition()
    return [flow(deployed, name) for name in flow_names(deployed)]


def definition(c: Container, name: str) -> Flow:
    return flow(c.state_machine.definition(), name)


def step_view(name: str, state: dict[str, Any]) -> dict[str, Any]:
    """One state as the catalogue shows it."""
    parameters = state.get("Parameters") or {}
    function = parameters.get("FunctionName")
    payload = parameters.get("Payload") or {}
    return {
        "name": name,
        "type": state["Type"],
        "comment": state.get("Comment"),
        "approval": is_approval(state),
        "function": function,
        "mode": payload.get("mode") or payload.get("kind"),
        "timeout_seconds": state.get("TimeoutSeconds"),
        "retry": state.get("Retry", []),
        "end": state.get("Type") in {"Succeed", "Fail"} or bool(state.get("End")),
    }


# -- the agent registry ----------------------------------------------------------------------

AGENTS = ("demand", "inventory", "pricing")
RECENT_RUNS = 20  # workflows whose event logs the health figures are read from


@dataclass
class AgentHealth:
    runs: int = 0
    errors: int = 0
    durations: list[float] = field(default_factory=list)
    last_run_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None

    def view(self) -> dict[str, Any]:
        ordered = sorted(self.durations)
        return {
            "runs": self.runs,
            "errors": self.errors,
            "last_run_at": self.last_run_at,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "p50_duration_seconds": _quantile(ordered, 0.50),
            "p95_duration_seconds": _quantile(ordered, 0.95),
        }


def _quantile(ordered: list[float], q: float) -> float | None:
    """The nearest-rank quantile (a duration that was observed); None without runs."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(len(ordered) * q)) - 1]


def _function_name(c: Container, agent: str) -> str | None:
    settings = c.settings
    return {
        "demand": settings.demand_function_name,
        "inventory": settings.inventory_function_name,
        "pricing": settings.pricing_function_name,
    }[agent]


def _agent_states(deployed: dict[str, Any], function_name: str) -> dict[str, dict[str, Any]]:
    """The definition's Task states that invoke `function_name` (by name or ARN)."""
    found = {}
    for name, state in deployed["States"].items():
        target = str((state.get("Parameters") or {}).get("FunctionName", ""))
        if target == function_name or target.endswith(f":function:{function_name}"):
            found[name] = state
    return found


def recent_health(c: Container, runs: int = RECENT_RUNS) -> dict[str, AgentHealth]:
    """Each agent's figures over the steps of the latest `runs` workflows: durations of its
    completed steps, its last run and its last error, from the event logs."""
    health = {agent: AgentHealth() for agent in AGENTS}
    for workflow in c.workflows.list(limit=runs).items:
        since = 0
        while True:
            page = c.event_log.after(workflow.workflow_id, since, 1000)
            for event in page.events:
                agent = getattr(event, "agent", None)
                if agent not in health:
                    continue
                entry = health[agent]
                at = event.timestamp.isoformat() if event.timestamp else None
                if isinstance(event, AgentCompleted):
                    entry.runs += 1
                    if event.duration_seconds is not None:
                        entry.durations.append(event.duration_seconds)
                    entry.last_run_at = max(filter(None, (entry.last_run_at, at)), default=None)
                elif isinstance(event, ErrorEvent):
                    entry.runs += 1
                    entry.errors += 1
                    entry.last_run_at = max(filter(None, (entry.last_run_at, at)), default=None)
                    if entry.last_error_at is None or (at and at > entry.last_error_at):
                        entry.last_error, entry.last_error_at = event.error_message, at
            if not page.has_more or page.last_sequence is None:
                break
            since = page.last_sequence
    return health


def agent(
    c: Container, name: str, *, health: dict[str, AgentHealth] | None = None
) -> dict[str, Any]:
    """One agent: its function's configuration, the steps that invoke it with their retry
    policies and timeouts, and its recent health."""
    if name not in AGENTS:
        raise NotFoundError(f"no agent named {name} (agents: {', '.join(AGENTS)})")
    function_name = _function_name(c, name)
    if function_name is None:
        raise NotFoundError(f"the {name} agent's function is not configured here")
    configuration: FunctionConfiguration = c.functions.configuration(function_name)
    deployed = c.state_machine.definition()
    states = _agent_states(deployed, configuration.function_name)
    figures = (health or recent_health(c))[name]
    return {
        "name": name,
        "function": {
            "name": configuration.function_name,
            "arn": configuration.function_arn,
            "timeout_seconds": configuration.timeout_seconds,
            "memory_mb": configuration.memory_mb,
            "package_type": configuration.package_type,
            "runtime": configuration.runtime,
            "last_modified": configuration.last_modified,
        },
        "steps": [
            {
                "state": state_name,
                "mode": ((state.get("Parameters") or {}).get("Payload") or {}).get("mode"),
                "timeout_seconds": state.get("TimeoutSeconds"),
                "retry": state.get("Retry", []),
            }
            for state_name, state in states.items()
        ],
        "health": {"window_workflows": RECENT_RUNS, **figures.view()},
    }


def agents(c: Container) -> list[dict[str, Any]]:
    health = recent_health(c)
    return [agent(c, name, health=health) for name in AGENTS]
