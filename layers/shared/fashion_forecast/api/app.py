"""The FastAPI application behind API Gateway (functions/api) and the local runtime."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

from fashion_forecast import __version__
from fashion_forecast.api.auth import api_routes, route_requirement
from fashion_forecast.api.docs import install_docs
from fashion_forecast.api.errors import (
    COMMON_ERROR_RESPONSES,
    ERROR_SCHEMA,
    JSON_BODY_ERRORS,
    UPLOAD_BODY_ERRORS,
    auth_error_responses,
    install_error_handlers,
)
from fashion_forecast.api.middleware import (
    CorsMiddleware,
    RequestContextMiddleware,
    RootPathMiddleware,
)
from fashion_forecast.api.routes import (
    agents,
    approvals,
    audit,
    data,
    definitions,
    events,
    health,
    parameters,
    resources,
    workflows,
)
from fashion_forecast.api.routes.data import MULTIPART_OVERHEAD_BYTES, UPLOAD_PATHS
from fashion_forecast.ports import Container

DESCRIPTION = """Plan a retail season: extract parameters, forecast demand, size and allocate the
order, approve, and react to in-season sales. Every error has the shape
`{error_code, message, details, request_id}`; the request id is also in `X-Request-ID`.

Every route but liveness (`GET /api/health`) needs a credential: a Cognito token
(`Authorization: Bearer <id token>`) or an API key (`x-api-key`), as the deployment chose.
Each operation names the role it needs (viewer reads, planner acts, approver decides) in its
403 response."""


def create_app(container: Container, *, edge: Middleware | None = None) -> FastAPI:
    """The API over `container` (built once per process by the entry point).

    `edge` is the local runtime's stand-in for API Gateway (it verifies the credential and
    injects the identity the cloud passes in the event): innermost, so request ids, the access
    log and CORS apply to its refusals as to the app's own answers."""
    settings = container.settings
    app = FastAPI(
        title="Fashion Forecast API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # install_docs: the same pages with assets served by the app
        redoc_url=None,
    )
    app.state.container = container
    install_error_handlers(app)
    if edge is not None:
        app.add_middleware(edge.cls, *edge.args, **edge.kwargs)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES,
        upload_paths=UPLOAD_PATHS,
    )
    if settings.api_root_path:
        app.add_middleware(RootPathMiddleware, root_path=settings.api_root_path)
    app.add_middleware(CorsMiddleware, origins=settings.origins)
    for module in (
        health,
        workflows,
        events,
        approvals,
        parameters,
        agents,
        data,
        resources,
        definitions,
        audit,
    ):
        app.include_router(module.router, responses=COMMON_ERROR_RESPONSES)
    install_docs(app)
    _document_errors(app)
    return app


def _document_errors(app: FastAPI) -> None:
    """Add 400 (malformed body) and 413 (body over the limit) to the OpenAPI of every operation
    that takes a body, unless the route documents its own: any of them can answer those; and
    401 / 403 naming the role to every operation that needs one."""
    settings = app.state.container.settings
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for route in api_routes(app):
            requirement = route_requirement(route)
            if requirement is None or requirement.role is None or not route.include_in_schema:
                continue
            path = schema["paths"].get(route.path_format, {})
            for method in route.methods or ():
                operation = path.get(method.lower())
                if operation is not None:
                    responses = operation.setdefault("responses", {})
                    for status, response in auth_error_responses(requirement.role).items():
                        responses.setdefault(status, response)
        for operation in (op for ops in schema["paths"].values() for op in ops.values()):
            body = operation.get("requestBody", {}).get("content", {})
            if not body:
                continue
            if "multipart/form-data" in body:
                errors, limit = UPLOAD_BODY_ERRORS, f"a {settings.max_upload_bytes:,}-byte file"
            else:
                errors, limit = JSON_BODY_ERRORS, f"{settings.max_body_bytes:,} bytes"
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(
                    status,
                    {
                        "description": description.format(limit=limit),
                        "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA}}},
                    },
                )
        for operation in (op for ops in schema["paths"].values() for op in ops.values()):
            operation["responses"] = dict(sorted(operation.get("responses", {}).items()))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
