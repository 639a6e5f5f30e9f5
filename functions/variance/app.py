"""Variance Lambda: a weekly sales file created in the data bucket (S3 ObjectCreated on
uploads/weekly/) -> actuals, variance per week, re-forecast or markdown flows
(fashion_forecast.app.in_season).

Each S3 record is processed once per bucket + key + ETag (Powertools idempotency, records in
the data table under pk "IDEMPOTENCY#variance", expiring after 30 days through the table's
TTL): a duplicate delivery of the same event is answered from the stored result.
"""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from fashion_forecast.adapters.aws import client
from fashion_forecast.app import in_season
from fashion_forecast.handler import make_handler
from fashion_forecast.ports import AdapterError, Container

logger = Logger(service="fashion-forecast-variance")

IDEMPOTENCY_PK = "IDEMPOTENCY#variance"
IDEMPOTENCY_TTL_SECONDS = 30 * 24 * 3600


def handle(c: Container, event: dict[str, Any], context: Any) -> dict[str, Any]:
    config = IdempotencyConfig(
        event_key_jmespath="[bucket, key, etag]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    if context is not None:
        config.register_lambda_context(context)
    persistence = DynamoDBPersistenceLayer(
        table_name=c.settings.table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=IDEMPOTENCY_PK,
        expiry_attr="expires_at_epoch",
        boto3_client=client("dynamodb"),
    )

    @idempotent_function(
        data_keyword_argument="upload", persistence_store=persistence, config=config
    )
    def process(upload: dict[str, Any]) -> dict[str, Any]:
        return in_season.process_upload(c, **upload)

    results = []
    for record in S3Event(event).records:
        obj = record.s3.get_object
        upload = {
            "bucket": record.s3.bucket.name,
            "key": unquote_plus(obj.key),
            "etag": obj.etag,
            "size": obj.size,
        }
        try:
            results.append(process(upload=upload))
        except AdapterError as exc:
            logger.error("weekly upload not processed", extra={**upload, "error": exc.message})
            raise
    return {"results": results}


handler = make_handler(
    "variance",
    handle,
    correlation_id_path="Records[0].s3.object.key",
    requires=("STATE_MACHINE_ARN",),
    count_metric="WeeklyUploads",
)
