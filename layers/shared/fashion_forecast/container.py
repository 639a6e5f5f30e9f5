"""Build the ports.Container of a process from its settings: the AWS adapters, once.

Entry points (the Lambda handler factory, the API app, the local runtime) call `build`; tests
build a Container from the in-memory fakes instead (tests/fakes.py).
"""

from __future__ import annotations

from typing import Any, cast

from fashion_forecast.adapters.approvals import ApprovalStore
from fashion_forecast.adapters.audit import AuditLog
from fashion_forecast.adapters.connections import ConnectionApi, ConnectionStore
from fashion_forecast.adapters.event_log import EventLog
from fashion_forecast.adapters.functions import FunctionCatalog, FunctionInvoker
from fashion_forecast.adapters.in_season import InSeasonStore
from fashion_forecast.adapters.notifications import NoNotifier, SnsNotifier
from fashion_forecast.adapters.objects import ObjectStore
from fashion_forecast.adapters.openai_extraction import OpenAIExtractor
from fashion_forecast.adapters.publisher import ProgressPublisher
from fashion_forecast.adapters.records import RecordStore
from fashion_forecast.adapters.sales_data import SalesData
from fashion_forecast.adapters.state_machine import StateMachineClient
from fashion_forecast.adapters.system import RandomIds, SystemClock
from fashion_forecast.adapters.workflow_store import WorkflowStore
from fashion_forecast.ports import Container
from fashion_forecast.settings import ConfigurationError, Settings


class Unconfigured:
    """Stands in for a port whose resource this function was not given (its variable is not
    set): any use says which variable is missing. Entry points that need the resource declare
    it with Settings.require, so this only shows up as a programming error."""

    def __init__(self, variable: str) -> None:
        self._variable = variable

    def __getattr__(self, name: str) -> Any:
        raise ConfigurationError(f"{self._variable} is not set for this function")


def build(settings: Settings, *, openai_http_client: Any = None) -> Container:
    table = settings.table_name
    log = EventLog(table)
    connections = ConnectionStore(table)
    endpoint = settings.websocket_management_endpoint
    arn = settings.state_machine_arn
    demand = settings.demand_function_name
    return Container(
        settings=settings,
        clock=SystemClock(),
        ids=RandomIds(),
        workflows=WorkflowStore(table),
        records=RecordStore(table),
        approvals=ApprovalStore(table),
        in_season=InSeasonStore(table),
        event_log=log,
        connections=connections,
        publisher=ProgressPublisher(
            log, connections, ConnectionApi(endpoint) if endpoint else None
        ),
        state_machine=StateMachineClient(arn)
        if arn
        else cast(Any, Unconfigured("STATE_MACHINE_ARN")),
        sales=SalesData(ObjectStore(settings.data_bucket)),
        demand_function=(
            FunctionInvoker(demand) if demand else cast(Any, Unconfigured("DEMAND_FUNCTION_NAME"))
        ),
        language_model=OpenAIExtractor(settings, openai_http_client),
        functions=FunctionCatalog(),
        audit=AuditLog(table),
        notifier=SnsNotifier(settings.notification_topic_arn)
        if settings.notification_topic_arn
        else NoNotifier(),
    )
