"""The adapters a request or a Lambda needs, built once from settings; tests inject their own."""

from __future__ import annotations

from dataclasses import dataclass

from fashion_forecast.adapters.approvals import ApprovalStore
from fashion_forecast.adapters.functions import FunctionInvoker
from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.adapters.records import RecordStore
from fashion_forecast.adapters.sales_data import SalesData
from fashion_forecast.adapters.state_machine import StateMachineClient
from fashion_forecast.adapters.workflow_store import WorkflowStore
from fashion_forecast.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    workflows: WorkflowStore
    records: RecordStore
    approvals: ApprovalStore
    state_machine: StateMachineClient
    sales: SalesData
    demand_function: FunctionInvoker

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            workflows=WorkflowStore(settings.table_name),
            records=RecordStore(settings.table_name),
            approvals=ApprovalStore(settings.table_name),
            state_machine=StateMachineClient(settings.state_machine_arn),
            sales=SalesData(ObjectStore(settings.data_bucket)),
            demand_function=FunctionInvoker(settings.demand_function_name),
        )
