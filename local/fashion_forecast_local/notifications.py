"""The local runtime's view of the notification topic: moto's SNS delivers every notification
to an SQS queue subscribed to the topic, and a daemon thread prints each one on one line."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

QUEUE_NAME = "fashion-forecast-local-notifications"


def notification_line(subject: str, body: str) -> str:
    """One line for one notification: subject, workflow, what is asked, key numbers, link."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError:
        return f"notification: {subject} | {body}".replace("\n", " ")
    numbers = ", ".join(f"{k}={v}" for k, v in sorted(message.get("key_numbers", {}).items()))
    parts = [
        f"notification: {subject}",
        f"workflow {message.get('workflow_id')}",
        str(message.get("error_message") or message.get("asked") or ""),
        numbers,
        str(message.get("link") or ""),
    ]
    return " | ".join(p for p in parts if p).replace("\n", " ")


class NotificationLog:
    """Subscribe a queue to `topic_arn`; `start()` prints every notification with `emit`."""

    def __init__(
        self, client: Callable[[str], Any], topic_arn: str, emit: Callable[[str], None]
    ) -> None:
        sqs = client("sqs")
        self._sqs = sqs
        self._queue_url = sqs.create_queue(QueueName=QUEUE_NAME)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        self._emit = emit
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.lines: list[str] = []

    def drain(self, wait_seconds: int = 0) -> int:
        """Print what the queue holds; how many notifications."""
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        )
        messages = response.get("Messages", [])
        for message in messages:
            envelope = json.loads(message["Body"])
            line = notification_line(envelope.get("Subject") or "", envelope.get("Message", ""))
            self.lines.append(line)
            self._emit(line)
            self._sqs.delete_message(
                QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
        return len(messages)

    def start(self) -> None:
        def run() -> None:
            while not self._stopping.is_set():
                try:
                    self.drain(wait_seconds=1)
                except Exception:  # moto stopping under us: the loop ends with the runtime
                    if self._stopping.wait(1):
                        return

        self._thread = threading.Thread(target=run, name="local-notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
