"""The adapters a request or a Lambda needs, built once from settings; tests inject their own."""

from __future__ import annotations

from dataclasses import dataclass

from fashion_forecast.adapters.approvals import ApprovalStore
from fashion_forecast.adapters.connections import ConnectionStore
from fashion_forecast.adapters.event_log import EventLog
from fashion_forecast.adapters.functions import FunctionInvoker
from fashion_forecast.adapters.in_season import InSeasonStore
from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.adapters.records import RecordStore
from fashion_forecast.adapters.sales_data import SalesData
from fashion_forecast.adapters.state_machine import StateMachineClient
from fashion_forecast.adapters.workflow_store import WorkflowStore
from fashion_forecast.events import EventPublisher
from fashion_forecast.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    workflows: WorkflowStore
    records: RecordStore
    approvals: ApprovalStore
    state_machine: StateMachineClient
    sales: SalesData
    in_season: InSeasonStore
    demand_function: FunctionInvoker
    event_log: EventLog
    connections: ConnectionStore
    events: EventPublisher

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        events = EventPublisher.create(settings.table_name, settings.websocket_management_endpoint)
        return cls(
            settings=settings,
            workflows=WorkflowStore(settings.table_name),
            records=RecordStore(settings.table_name),
            approvals=ApprovalStore(settings.table_name),
            state_machine=StateMachineClient(settings.state_machine_arn),
            sales=SalesData(ObjectStore(settings.data_bucket)),
            in_season=InSeasonStore(settings.table_name),
            demand_function=FunctionInvoker(settings.demand_function_name),
            event_log=events.log,
            connections=events.connections,
            events=events,
        )
