"""API Lambda: the FastAPI app served by Mangum behind API Gateway (REST, proxy integration).

Tracing comes from API Gateway and Lambda active tracing (template.yaml), not from the
Powertools Tracer: the X-Ray SDK builds two boto3 X-Ray clients when it is imported, which
alone would put this function's cold import over its budget (benchmarks/api_cold_start.py
measures both). The agent Lambdas, off the request path, use the Powertools Tracer.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from fashion_forecast.adapters.aws import client
from fashion_forecast.api.app import create_app
from fashion_forecast.settings import get_settings

logger = Logger(service="fashion-forecast-api")
metrics = Metrics(namespace="FashionForecast", service="api")

# Created during the init phase so warm invocations reuse the connections.
client("dynamodb")
client("stepfunctions")

settings = get_settings()
app = create_app(settings=settings)
_mangum = Mangum(app, lifespan="off", api_gateway_base_path=settings.api_root_path or "/")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event, context):
    return _mangum(event, context)
