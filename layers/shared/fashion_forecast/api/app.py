"""The FastAPI application behind API Gateway (functions/api) and the local runtime."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from fashion_forecast import __version__
from fashion_forecast.api.docs import install_docs
from fashion_forecast.api.errors import (
    COMMON_ERROR_RESPONSES,
    JSON_BODY_ERRORS,
    UPLOAD_BODY_ERRORS,
    install_error_handlers,
)
from fashion_forecast.api.middleware import RequestContextMiddleware, RootPathMiddleware
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
`{error_code, message, details, request_id}`; the request id is also in `X-Request-ID`."""


def create_app(container: Container) -> FastAPI:
    """The API over `container` (built once per process by the entry point)."""
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
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES,
        upload_paths=UPLOAD_PATHS,
    )
    if settings.api_root_path:
        app.add_middleware(RootPathMiddleware, root_path=settings.api_root_path)
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
    _document_body_errors(app)
    return app


ERROR_SCHEMA = "#/components/schemas/ErrorResponse"


def _document_body_errors(app: FastAPI) -> None:
    """Add 400 (malformed body) and 413 (body over the limit) to the OpenAPI of every operation
    that takes a body, unless the route documents its own: any of them can answer those."""
    settings = app.state.container.settings
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
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
            operation["responses"] = dict(sorted(responses.items()))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
