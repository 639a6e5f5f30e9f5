"""Variance Lambda: a weekly sales file created in the data bucket (S3 ObjectCreated on
uploads/weekly/) -> actuals, variance per week, re-forecast or markdown flows. Idempotent per
bucket + key + ETag; the work is in fashion_forecast.agents.variance."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from fashion_forecast.agents import variance
from fashion_forecast.agents.lambda_handler import services

logger = Logger(service="fashion-forecast-variance")
tracer = Tracer(service="fashion-forecast-variance")
metrics = Metrics(namespace="FashionForecast", service="variance")


@logger.inject_lambda_context(correlation_id_path="Records[0].s3.object.key")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    result = variance.handle_s3_event(services(), event, context)
    metrics.add_metric(name="WeeklyUploads", unit=MetricUnit.Count, value=len(result["results"]))
    return result
