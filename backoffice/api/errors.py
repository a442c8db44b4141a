"""Every error of the API as JSON: {"error": {"code", "field", "message", "fields"}}.

Domain errors keep their catalog key as the message source and are translated for the
caller's Accept-Language; statuses follow the kind: 401 no/invalid key, 403 permission or
scope, 404 missing or outside the key's scope (never "exists elsewhere"), 409 conflict,
422 validation, 429 rate limit.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backoffice.errors import (
    AuthFailed,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from backoffice.i18n import t
from backoffice.settings import get_settings

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API layer itself raises (authentication, rate limit, idempotency)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def locale_of(request: Request) -> str:
    lang = request.headers.get("accept-language", "").strip().lower()
    if lang.startswith("en"):
        return "en"
    if lang.startswith("zh"):
        return "zh-CN"
    return get_settings().default_locale


def error_body(
    code: str, message: str, field: str | None = None, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "field": field, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _status(exc: DomainError) -> int:
    if isinstance(exc, ValidationFailed):
        return 422
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, AuthFailed):
        return 401
    if isinstance(exc, PermissionDenied):
        return 401 if exc.message == "error.signed_out" else 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, RateLimited):
        return 429
    return 400


def domain_error_response(request: Request, exc: DomainError) -> JSONResponse:
    lang = locale_of(request)
    fields = None
    if isinstance(exc, ValidationFailed):
        fields = {k: t(lang, v, **exc.params) for k, v in exc.errors.items()}
    message = t(lang, exc.message, **exc.params)
    return JSONResponse(error_body(exc.code, message, exc.field, fields), status_code=_status(exc))


# pydantic error types → catalog keys, so malformed JSON reads like a service error
_PYDANTIC_KEYS = {
    "missing": "error.required",
    "string_too_long": "error.too_long",
    "too_long": "error.too_long",
    "int_parsing": "error.number",
    "int_type": "error.integer",
    "int_from_float": "error.integer",
    "json_invalid": "error.invalid_json",
    "greater_than_equal": "error.out_of_range",
    "less_than_equal": "error.out_of_range",
    "greater_than": "error.out_of_range",
    "less_than": "error.out_of_range",
    "bool_parsing": "error.boolean",
    "bool_type": "error.boolean",
}


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(request, exc)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        message = t(locale_of(request), exc.message)
        return JSONResponse(
            error_body(exc.code, message, exc.field),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = locale_of(request)
        fields: dict[str, str] = {}
        for err in exc.errors():
            kind = str(err.get("type"))
            key = _PYDANTIC_KEYS.get(kind, "error.invalid_value")
            # A body that is not JSON has no field: its "loc" is the byte offset.
            field = "body" if kind == "json_invalid" else _field_of(tuple(err.get("loc", ())))
            fields.setdefault(field, t(lang, key))
        first = next(iter(fields.items()), ("body", t(lang, "error.invalid_value")))
        return JSONResponse(error_body("validation", first[1], first[0], fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        key = {404: "error.not_found", 405: "error.method_not_allowed"}.get(
            exc.status_code, "error.invalid_request"
        )
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http"), t(locale_of(request), key)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DataError)
    async def _unfit(request: Request, exc: DataError) -> JSONResponse:
        # A value the column cannot hold (an id past 32 bits on PostgreSQL, say): the
        # caller's input is wrong, not the server.
        return JSONResponse(
            error_body("validation", t(locale_of(request), "error.out_of_range")),
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API request failed: %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal", t(locale_of(request), "error.internal")), status_code=500
        )
