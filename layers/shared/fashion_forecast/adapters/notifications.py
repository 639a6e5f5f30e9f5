"""Operator notifications on an SNS topic (the ports.Notifier port)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from fashion_forecast.adapters.aws import client, error_code

logger = Logger(service="fashion-forecast-notifications")

MAX_SUBJECT = 100  # SNS's limit on an e-mail subject


class SnsNotifier:
    def __init__(self, topic_arn: str, sns: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self._sns = sns

    @property
    def sns(self) -> Any:
        return self._sns or client("sns")

    def notify(self, subject: str, message: dict[str, Any]) -> bool:
        body = json.dumps(message, sort_keys=True, default=str)
        try:
            self.sns.publish(
                TopicArn=self.topic_arn,
                Subject=subject.replace("\n", " ")[:MAX_SUBJECT],
                Message=body,
            )
        except ClientError as exc:
            logger.warning("notification not sent", extra={"error": error_code(exc)})
            return False
        except BotoCoreError as exc:
            logger.warning("notification not sent", extra={"error": str(exc)})
            return False
        return True


class NoNotifier:
    """No topic configured (NOTIFICATION_TOPIC_ARN unset): nothing is sent."""

    def notify(self, subject: str, message: dict[str, Any]) -> bool:
        return False
