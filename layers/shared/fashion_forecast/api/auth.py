"""Who may call which route: the caller API Gateway verified, and the role each route needs.

API Gateway checks the credential (a Cognito JWT or an API key, template.yaml's AuthMode) and
passes the identity on in the Lambda event, which Mangum puts in `scope["aws.event"]`; the
local runtime's edge (local/fashion_forecast_local/edge.py) plays that part and injects the
same event. The app never sees the credential itself: it reads the identity from there and
enforces the roles.

Every route declares its role with `requires(...)`, ONE place per route (a test enumerates
`app.routes` and fails on a route without one): viewer reads (every GET), planner acts
(extract, start, cancel, re-forecast, uploads, the planning engine's endpoints), approver
decides (manufacturing and markdown approvals). `OPEN` marks the one route that needs no
credential, liveness. The documentation (/docs, /redoc, /openapi.json) stays open too: it is
the API's public contract, not data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.routing import APIRoute

from fashion_forecast.api.errors import ForbiddenError, UnauthenticatedError
from fashion_forecast.models.identity import Caller, Role, caller_of

# Paths that need no credential at the edge (the template's open paths, and the local edge):
# liveness and the API documentation with its assets (api/docs.py).
OPEN_PATHS = frozenset(
    {"/api/health", "/docs", "/redoc", "/openapi.json", "/static-offline-docs/{name}"}
)


def current_caller(request: Request) -> Caller | None:
    """The verified caller of this request, or None when the request carries none."""
    event = request.scope.get("aws.event") or {}
    context = event.get("requestContext") if isinstance(event, dict) else None
    if not isinstance(context, dict):
        return None
    settings = request.app.state.container.settings
    return caller_of(context, settings.auth_mode, settings.api_key_role_set)


class RoleRequirement:
    """A FastAPI dependency: the caller, who must hold `role` (401 without an identity, 403
    without the role). `role=None` (see OPEN) lets every request through, as None."""

    def __init__(self, role: Role | None) -> None:
        self.role = role

    def __call__(self, request: Request) -> Caller | None:
        if self.role is None:
            return None  # OPEN: nobody is asked who they are
        caller = current_caller(request)
        if caller is None:
            raise UnauthenticatedError
        if not caller.has(self.role):
            raise ForbiddenError(self.role.value)
        return caller

    def __repr__(self) -> str:
        return f"requires({self.role.value if self.role else 'nothing'})"


_REQUIREMENTS = {role: RoleRequirement(role) for role in Role}
OPEN = RoleRequirement(None)


def requires(role: Role) -> RoleRequirement:
    """`caller: Caller = Depends(requires(Role.PLANNER))` on a route."""
    return _REQUIREMENTS[role]


def route_requirement(route: APIRoute) -> RoleRequirement | None:
    """The role requirement a route declares (None: it declares none, which a test refuses)."""
    pending: list[Any] = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, RoleRequirement):
            return dependency.call
        pending.extend(dependency.dependencies)
    return None


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every API route of `app` as served (with its router's prefix): FastAPI includes
    routers lazily, so `app.routes` alone lists the routers, not their routes."""
    for context in routing.iter_route_contexts(app.routes):
        if isinstance(context.route, APIRoute):
            yield context.route
