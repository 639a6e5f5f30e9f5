"""The ports.Clock and ports.IdSource ports on the running system."""

from __future__ import annotations

import datetime as dt
import time
import uuid


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class RandomIds:
    def new_id(self) -> str:
        return str(uuid.uuid4())
