"""The adapters a request needs, built once from settings; tests inject their own."""

from __future__ import annotations

from dataclasses import dataclass

from fashion_forecast.adapters.records import RecordStore
from fashion_forecast.adapters.state_machine import StateMachineClient
from fashion_forecast.adapters.workflow_store import WorkflowStore
from fashion_forecast.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    workflows: WorkflowStore
    records: RecordStore
    state_machine: StateMachineClient

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            workflows=WorkflowStore(settings.table_name),
            records=RecordStore(settings.table_name),
            state_machine=StateMachineClient(settings.state_machine_arn),
        )
