"""The one error shape of the API: {error_code, message, details, request_id}.

Every error leaves through these handlers; request_id is also sent as X-Request-ID.
No stack trace ever reaches a client.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from fashion_forecast.domain.errors import DomainError
from fashion_forecast.ports import (
    AdapterError,
    ConflictError,
    GoneError,
    InvalidCursorError,
    NotFoundError,
    UnavailableError,
)

logger = Logger(service="fashion-forecast-api")

REQUEST_ID_HEADER = "X-Request-ID"


class ErrorResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error_code": "validation_error",
                    "message": "Invalid request: parameters.forecast_horizon_weeks",
                    "details": [
                        {
                            "field": "parameters.forecast_horizon_weeks",
                            "message": "Input should be less than or equal to 52",
                            "type": "less_than_equal",
                        }
                    ],
                    "request_id": "3f1c2b1e-8a1d-4c47-9a59-5f7f5b1b8e0a",
                }
            ]
        }
    )

    error_code: str = Field(examples=["validation_error"])
    message: str = Field(examples=["Request body is invalid"])
    details: list[dict[str, Any]] = Field(default_factory=list)
    request_id: str = Field(examples=["3f1c2b1e-8a1d-4c47-9a59-5f7f5b1b8e0a"])


class ApiError(Exception):
    """Raise from a route to answer with the error shape."""

    def __init__(
        self,
        status_code: int,
        error_code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.message = message
        self.details = details or []


# Documented on every route: any request can fail validation or hit an internal error.
COMMON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Invalid request (details name the fields)"},
    500: {"model": ErrorResponse, "description": "Internal error (no internals are exposed)"},
}


# What a port's refusal means to a client (the one place errors become HTTP).
ADAPTER_ERRORS: dict[type[AdapterError], tuple[int, str]] = {
    NotFoundError: (404, "not_found"),
    ConflictError: (409, "conflict"),
    GoneError: (410, "gone"),
    UnavailableError: (503, "service_unavailable"),
}


def request_id_of(request: Request) -> str:
    return getattr(request.state, "request_id", None) or "unknown"


def error_response(
    request: Request,
    status_code: int,
    error_code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    request_id = request_id_of(request)
    body = ErrorResponse(
        error_code=error_code, message=message, details=details or [], request_id=request_id
    )
    return JSONResponse(
        status_code=status_code,
        content=body.model_dump(mode="json"),
        headers={REQUEST_ID_HEADER: request_id},
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts)


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors -> [{field, message, type}] without echoing the input back."""
    return [
        {"field": _field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status_code, exc.error_code, exc.message, exc.details)

    @app.exception_handler(AdapterError)
    async def _adapter_error(request: Request, exc: AdapterError) -> JSONResponse:
        for kind, (status, code) in ADAPTER_ERRORS.items():
            if isinstance(exc, kind):
                return error_response(request, status, exc.code or code, exc.message, exc.details)
        return await _unhandled(request, exc)

    @app.exception_handler(InvalidCursorError)
    async def _invalid_cursor(request: Request, exc: InvalidCursorError) -> JSONResponse:
        return error_response(
            request,
            422,
            "invalid_cursor",
            "cursor is not valid",
            [{"field": "cursor", "message": str(exc)}],
        )

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return error_response(request, 422, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        fields = ", ".join(d["field"] for d in details if d["field"])
        message = f"Invalid request: {fields}" if fields else "Invalid request"
        return error_response(request, 422, "validation_error", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        code = codes.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"request_id": request_id_of(request)})
        return error_response(request, 500, "internal_error", "Internal server error")
