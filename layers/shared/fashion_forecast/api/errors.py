"""The one error shape of the API: {error_code, message, details, request_id}.

Every error leaves through these handlers; request_id is also sent as X-Request-ID.
No stack trace ever reaches a client.
"""

from __future__ import annotations

from collections.abc import Mapping
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


class UnauthenticatedError(ApiError):
    """No verified identity came with the request (API Gateway answers this itself in the
    cloud; the app's own check is the second line)."""

    def __init__(self) -> None:
        status, code = AUTH_ERRORS[UnauthenticatedError]
        super().__init__(
            status,
            code,
            "A credential is required: a Cognito token (Authorization: Bearer) or an API key "
            "(x-api-key)",
        )


class ForbiddenError(ApiError):
    """The caller is known but lacks the role the route needs (the message names it)."""

    def __init__(self, role: str) -> None:
        status, code = AUTH_ERRORS[ForbiddenError]
        super().__init__(
            status,
            code,
            f"This needs the {role} role",
            [{"field": "role", "message": f"requires {role}", "required_role": role}],
        )


# Who-may-call refusals: the identity is missing (401) or lacks the route's role (403).
AUTH_ERRORS: dict[type[ApiError], tuple[int, str]] = {
    UnauthenticatedError: (401, "unauthorized"),
    ForbiddenError: (403, "forbidden"),
}


def auth_error_responses(role: str) -> dict[str, dict[str, Any]]:
    """The OpenAPI responses of a route that needs `role` (create_app adds them)."""
    return {
        "401": {
            "description": "No credential, or one API Gateway did not accept (unauthorized)",
            "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA}}},
        },
        "403": {
            "description": f"The caller lacks the {role} role (forbidden)",
            "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA}}},
        },
    }


ERROR_SCHEMA = "#/components/schemas/ErrorResponse"


# Documented on every route: any request can fail validation or hit an internal error.
COMMON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Invalid request (details name the fields)"},
    500: {"model": ErrorResponse, "description": "Internal error (no internals are exposed)"},
}


# Documented on every route that takes a body (create_app adds them to the OpenAPI of those
# routes only): a body that cannot be read as one, or one over the size limit ({limit}).
JSON_BODY_ERRORS: dict[str, str] = {
    "400": "Malformed body (invalid_json): not valid JSON (the message and details give the "
    "line and column), nested too deep to read, or not UTF-8",
    "413": "Body over {limit} (payload_too_large)",
}
UPLOAD_BODY_ERRORS: dict[str, str] = {
    "400": "Malformed multipart form (http_error)",
    "413": "Body over {limit} (payload_too_large)",
}


# What a port's refusal means to a client (the one place errors become HTTP).
ADAPTER_ERRORS: dict[type[AdapterError], tuple[int, str]] = {
    NotFoundError: (404, "not_found"),
    ConflictError: (409, "conflict"),
    GoneError: (410, "gone"),
    UnavailableError: (503, "service_unavailable"),
}


def status_and_code(exc: AdapterError | DomainError) -> tuple[int, str]:
    """The status and error_code a client sees for a refusal: a domain rule's is 422 with the
    rule's code, a port's as ADAPTER_ERRORS says (its own code, when it has one)."""
    if isinstance(exc, DomainError):
        return 422, exc.code
    for kind, (status, code) in ADAPTER_ERRORS.items():
        if isinstance(exc, kind):
            return status, exc.code or code
    return 500, "internal_error"


def request_id_of(request: Request) -> str:
    return getattr(request.state, "request_id", None) or "unknown"


def error_response(
    request: Request,
    status_code: int,
    error_code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The error shape; `headers` (e.g. Allow on a 405) go along, except that the request id
    is always the request's own."""
    request_id = request_id_of(request)
    body = ErrorResponse(
        error_code=error_code, message=message, details=details or [], request_id=request_id
    )
    sent = {k: v for k, v in (headers or {}).items() if k.lower() != REQUEST_ID_HEADER.lower()}
    return JSONResponse(
        status_code=status_code,
        content=body.model_dump(mode="json"),
        headers={**sent, REQUEST_ID_HEADER: request_id},
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


# What pydantic says of a JSON body that is not an object (a list, a string, a number, null).
_NOT_AN_OBJECT = {"model_attributes_type", "model_type", "dict_type", "missing"}


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _is_body_not_an_object(error: dict[str, Any]) -> bool:
    return tuple(error.get("loc", ())) == ("body",) and error.get("type") in _NOT_AN_OBJECT


async def _invalid_json(
    request: Request, exc: RequestValidationError, error: dict[str, Any]
) -> JSONResponse:
    """400 invalid_json: where the body stops being JSON, or that it is not UTF-8 (which
    json.loads would have guessed as UTF-16 or UTF-32)."""
    try:
        (await request.body()).decode("utf-8")
    except UnicodeDecodeError as undecodable:
        return _not_utf8(request, undecodable)
    loc = tuple(error.get("loc", ()))
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    doc = exc.body if isinstance(exc.body, str) else ""
    line = doc.count("\n", 0, pos) + 1
    column = pos - doc.rfind("\n", 0, pos)
    reason = (error.get("ctx") or {}).get("error") or error.get("msg", "")
    return error_response(
        request,
        400,
        "invalid_json",
        f"body is not valid JSON: line {line}, column {column}",
        [
            {
                "field": "body",
                "message": str(reason),
                "type": "json_invalid",
                "line": line,
                "column": column,
            }
        ],
    )


def _not_utf8(request: Request, error: UnicodeDecodeError) -> JSONResponse:
    return error_response(
        request,
        400,
        "invalid_json",
        "body is not UTF-8",
        [
            {
                "field": "body",
                "message": f"invalid UTF-8 at byte {error.start}",
                "type": "utf8_invalid",
            }
        ],
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status_code, exc.error_code, exc.message, exc.details)

    @app.exception_handler(AdapterError)
    async def _adapter_error(request: Request, exc: AdapterError) -> JSONResponse:
        if not isinstance(exc, tuple(ADAPTER_ERRORS)):
            return await _unhandled(request, exc)
        status, code = status_and_code(exc)
        return error_response(request, status, code, exc.message, exc.details)

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
        status, code = status_and_code(exc)
        return error_response(request, status, code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        undecodable = next((e for e in errors if e.get("type") == "json_invalid"), None)
        if undecodable is not None:
            return await _invalid_json(request, exc, undecodable)
        details = validation_details(errors)
        if all(_is_body_not_an_object(e) for e in errors):
            message = "body must be a JSON object"
            if not _is_json(request.headers.get("content-type", "")):
                message += ", sent as Content-Type: application/json"
        else:
            fields = ", ".join(d["field"] for d in details if d["field"])
            message = f"Invalid request: {fields}" if fields else "Invalid request"
        return error_response(request, 422, "validation_error", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):  # json.loads of bytes that are not
            return _not_utf8(request, exc.__cause__)  # UTF-8 (FastAPI: "error parsing the body")
        if isinstance(exc.__cause__, RecursionError):  # nested past what json.loads recurses
            return error_response(
                request,
                400,
                "invalid_json",
                "body is not valid JSON: arrays and objects nested too deep to read",
                [{"field": "body", "message": "nested too deep", "type": "json_too_deep"}],
            )
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        code = codes.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"request_id": request_id_of(request)})
        return error_response(request, 500, "internal_error", "Internal server error")
