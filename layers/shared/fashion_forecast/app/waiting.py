"""The one way a use case waits for work another process does: poll with a growing delay on
the container's clock (tests' fake clock makes the wait instant)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fashion_forecast.ports import Clock

T = TypeVar("T")

FIRST_DELAY = 0.05
MAX_DELAY = 1.0


def poll(
    clock: Clock,
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    max_delay: float = MAX_DELAY,
) -> T:
    """Call `fetch` until `done` holds for its value or `timeout` seconds have passed; returns
    the last value (check `done` on it to tell which)."""
    deadline = clock.monotonic() + timeout
    delay = FIRST_DELAY
    while True:
        value = fetch()
        if done(value) or clock.monotonic() >= deadline:
            return value
        clock.sleep(min(delay, max(0.0, deadline - clock.monotonic())))
        delay = min(delay * 2, max_delay)
