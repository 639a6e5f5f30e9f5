"""API Lambda: the FastAPI app served by Mangum behind API Gateway (REST, proxy integration)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from fashion_forecast.adapters.aws import client
from fashion_forecast.api.app import create_app
from fashion_forecast.settings import get_settings
from mangum import Mangum

logger = Logger(service="fashion-forecast-api")
# Only botocore is patched: the API makes no other outbound calls worth a subsegment.
tracer = Tracer(service="fashion-forecast-api", patch_modules=["botocore"])
metrics = Metrics(namespace="FashionForecast", service="api")

# Created during the init phase so warm invocations reuse the connections.
client("dynamodb")
client("stepfunctions")

settings = get_settings()
app = create_app(settings=settings)
_mangum = Mangum(app, lifespan="off", api_gateway_base_path=settings.api_root_path or "/")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return _mangum(event, context)
