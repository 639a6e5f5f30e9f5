"""WebSocket Lambda of the progress stream: $connect, $disconnect and $default routes.

On the connect path, so it stays light: Logger only (correlation id = the connection id), no
Tracer (API Gateway and Lambda active tracing cover it, as for the API function).
"""

from aws_lambda_powertools import Logger

from fashion_forecast.agents import websocket
from fashion_forecast.services import Services
from fashion_forecast.settings import get_settings

logger = Logger(service="fashion-forecast-websocket")

# Built during the init phase so warm invocations reuse the clients.
services = Services.from_settings(get_settings())


@logger.inject_lambda_context(correlation_id_path="requestContext.connectionId")
def handler(event, context):
    return websocket.handle(services, event)
