"""FastAPI dependencies."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from fashion_forecast.models.identity import Caller, Role
from fashion_forecast.ports import Container

ANONYMOUS = Caller(name="anonymous", kind="user", roles=frozenset())


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_caller(request: Request) -> Caller:
    """Who is calling, from the identity API Gateway verified (the Mangum event's request
    context): a Cognito user (`cognito:username`, roles from `cognito:groups`) or an API key
    (`identity.apiKeyId`, no roles); anonymous without either."""
    event: dict[str, Any] = request.scope.get("aws.event") or {}
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    username = claims.get("cognito:username")
    if isinstance(username, str) and username:
        groups = claims.get("cognito:groups") or []
        if isinstance(groups, str):  # API Gateway passes a list claim as one string
            groups = groups.strip("[]").replace(",", " ").split()
        roles = frozenset(Role(g) for g in groups if g in {r.value for r in Role})
        return Caller(name=username[:256], kind="user", roles=roles)
    key_id = (context.get("identity") or {}).get("apiKeyId")
    if isinstance(key_id, str) and key_id:
        return Caller(name=key_id[:256], kind="api_key", roles=frozenset())
    return ANONYMOUS
