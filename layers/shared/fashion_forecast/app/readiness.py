"""Readiness: can this process reach what it depends on (the table, the state machine)?"""

from __future__ import annotations

from fashion_forecast.ports import AdapterError, Container


def readiness(c: Container) -> dict[str, str]:
    """Each check's "ok" or its failure message."""
    checks: dict[str, str] = {}
    for name, probe in (("dynamodb", c.workflows.check), ("state_machine", c.state_machine.check)):
        try:
            probe()
            checks[name] = "ok"
        except AdapterError as exc:
            checks[name] = exc.message
    return checks
