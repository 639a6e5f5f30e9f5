"""API Lambda: the FastAPI app served by Mangum behind API Gateway (REST, proxy integration).

Tracing comes from API Gateway and Lambda active tracing (template.yaml), not from the
Powertools Tracer: the X-Ray SDK builds two boto3 X-Ray clients when it is initialised, which
alone would put this function's cold import over its budget (benchmarks/api_cold_start.py
measures both). The agent Lambdas, off the request path, use the Powertools Tracer.
"""

from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from fashion_forecast.adapters.aws import client
from fashion_forecast.api.app import create_app
from fashion_forecast.handler import make_handler, process_container

# Built during the init phase so warm invocations reuse the app and the connections.
container = process_container(requires=("STATE_MACHINE_ARN", "DEMAND_FUNCTION_NAME"))
client("dynamodb")
client("stepfunctions")
mangum = Mangum(
    create_app(container),
    lifespan="off",
    api_gateway_base_path=container.settings.api_root_path or "/",
)

handler = make_handler(
    "api",
    lambda c, event, context: mangum(event, context),
    correlation_id_path=correlation_paths.API_GATEWAY_REST,
    tracing=False,
    deps=container,
)
