"""app.readiness on the fakes: each dependency's "ok" or the message of its failure."""

from __future__ import annotations

import pytest

from fashion_forecast.app.readiness import readiness
from fashion_forecast.ports import Container
from tests.fakes import Fakes, fake_container


@pytest.fixture
def fc() -> tuple[Container, Fakes]:
    return fake_container()


def test_everything_reachable_is_ok(fc: tuple[Container, Fakes]) -> None:
    c, _ = fc
    assert readiness(c) == {"dynamodb": "ok", "state_machine": "ok"}


def test_an_unreachable_table_is_reported_and_the_next_check_still_runs(
    fc: tuple[Container, Fakes],
) -> None:
    c, fakes = fc
    fakes.workflows.reachable = False
    assert readiness(c) == {"dynamodb": "DynamoDB unreachable (fake)", "state_machine": "ok"}


def test_an_unreachable_state_machine_is_reported(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.state_machine.reachable = False
    assert readiness(c) == {"dynamodb": "ok", "state_machine": "Step Functions unreachable (fake)"}


def test_a_missing_state_machine_is_reported(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.state_machine.exists = False
    assert readiness(c) == {"dynamodb": "ok", "state_machine": "state machine does not exist"}


def test_both_failures_are_reported_together(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    fakes.workflows.reachable = False
    fakes.state_machine.reachable = False
    assert readiness(c) == {
        "dynamodb": "DynamoDB unreachable (fake)",
        "state_machine": "Step Functions unreachable (fake)",
    }


def test_readiness_changes_nothing(fc: tuple[Container, Fakes]) -> None:
    c, fakes = fc
    readiness(c)
    assert fakes.workflows.rows == {} and fakes.state_machine.executions == {}
