"""ConnectionStore: WebSocket connections and the workflow each follows; a connection older than
API Gateway's two hours is gone even before the table's TTL deletes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fashion_forecast.ports import NotFoundError

LIFETIME = dt.timedelta(hours=2, minutes=1)  # API Gateway's two hours and a minute of slack


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ids(connections: list[Any]) -> list[str]:
    return [c.connection_id for c in connections]


def test_add_then_get_returns_the_connection(connections: Any) -> None:
    connected = now().replace(microsecond=250000) - dt.timedelta(minutes=5)
    added = connections.add(
        "c-1", "wf-a", connected_at=connected, source_ip="203.0.113.9", user_agent="ua/1.0"
    )
    assert (added.connection_id, added.workflow_id) == ("c-1", "wf-a")
    assert added.connected_at == connected
    assert (added.source_ip, added.user_agent) == ("203.0.113.9", "ua/1.0")
    # the expiry is whole seconds (the table's TTL attribute is epoch seconds)
    assert added.expires_at == (connected + LIFETIME).replace(microsecond=0)
    assert connections.get("c-1") == added


def test_a_connection_without_a_time_is_connected_now(connections: Any) -> None:
    added = connections.add("c-1", "wf-a")
    assert added.connected_at.utcoffset() == dt.timedelta(0)
    assert added.expires_at == (added.connected_at + LIFETIME).replace(microsecond=0)
    assert (added.source_ip, added.user_agent) == (None, None)
    assert connections.get("c-1") == added
    assert connections.for_workflow("wf-a") == [added]


def test_long_client_details_are_stored_cut_short(connections: Any) -> None:
    connections.add("c-1", "wf-a", source_ip="1" * 100, user_agent="u" * 600)
    got = connections.get("c-1")
    assert (got.source_ip, got.user_agent) == ("1" * 64, "u" * 512)


def test_get_of_an_unknown_connection_is_not_found(connections: Any) -> None:
    connections.add("c-1", "wf-a")
    with pytest.raises(NotFoundError):
        connections.get("c-2")


def test_a_workflow_has_its_live_connections_oldest_first(connections: Any) -> None:
    t = now().replace(microsecond=0)
    connections.add("c-3", "wf-a", connected_at=t - dt.timedelta(minutes=1))
    connections.add("c-1", "wf-a", connected_at=t)
    connections.add("c-2", "wf-a", connected_at=t - dt.timedelta(minutes=90))
    connections.add("c-0", "wf-a", connected_at=t)  # same time as c-1: by id
    connections.add("c-9", "wf-b", connected_at=t - dt.timedelta(minutes=5))
    following = connections.for_workflow("wf-a")
    assert ids(following) == ["c-2", "c-3", "c-0", "c-1"]
    assert following == [connections.get(c) for c in ["c-2", "c-3", "c-0", "c-1"]]
    assert ids(connections.for_workflow("wf-b")) == ["c-9"]
    assert connections.for_workflow("wf-none") == []


def test_an_expired_connection_is_neither_got_nor_listed(connections: Any) -> None:
    connections.add("old", "wf-a", connected_at=now() - dt.timedelta(hours=3))
    connections.add("c-1", "wf-a", connected_at=now() - dt.timedelta(minutes=30))
    with pytest.raises(NotFoundError):
        connections.get("old")
    assert ids(connections.for_workflow("wf-a")) == ["c-1"]


def test_remove_forgets_a_connection(connections: Any) -> None:
    connections.add("c-1", "wf-a")
    connections.add("c-2", "wf-a")
    connections.remove("c-1")
    with pytest.raises(NotFoundError):
        connections.get("c-1")
    assert ids(connections.for_workflow("wf-a")) == ["c-2"]


def test_removing_an_unknown_connection_is_a_no_op(connections: Any) -> None:
    connections.add("c-1", "wf-a")
    connections.remove("never-there")
    connections.remove("c-1")
    connections.remove("c-1")  # twice
    assert connections.for_workflow("wf-a") == []


def test_adding_a_connection_again_replaces_it(connections: Any) -> None:
    t = now()
    connections.add("c-1", "wf-a", connected_at=t - dt.timedelta(minutes=2), user_agent="old")
    again = connections.add("c-1", "wf-b", connected_at=t)
    assert connections.get("c-1") == again
    assert connections.for_workflow("wf-a") == []
    assert connections.for_workflow("wf-b") == [again]
