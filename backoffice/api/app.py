"""The FastAPI app of /api/v1, mounted into the Reflex server by `rx.App(api_transformer=…)`.

The interactive docs are Swagger UI served from the `swagger-ui-bundle` package, so they
work on a machine without internet access (FastAPI's default page loads from a CDN).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

import backoffice.workflows  # noqa: F401  (committed events wake the dispatcher at once)
from backoffice.api import counter, errors, loyalty, members, org, visit_cards
from backoffice.api.errors import ApiError
from backoffice.api.schemas import ErrorOut
from backoffice.workflows.operations import (
    SnapshotCollector,
    configured_redis,
    readiness,
    take_snapshot,
)

PREFIX = "/api/v1"

DESCRIPTION = """
The back-office's JSON API for POS systems, mini-programs and websites.

* **Authentication**: `Authorization: Bearer bo_…` with an API key created in the
  back-office (Settings → API keys). A key holds a set of permissions and stores, never
  wider than the person who created it. Missing, unknown or revoked keys get **401**.
* **Errors**: `{"error": {"code", "field", "message", "fields"}}`; 422 invalid input,
  403 not permitted / store outside the key's scope, 404 not found *or not visible to
  the key* (a member of another store is never revealed), 409 conflict, 429 rate limit
  (see `Retry-After`). Messages follow `Accept-Language` (`zh-CN` or `en`).
* **Idempotency**: every POST/PATCH accepts `Idempotency-Key` (≤ 100 chars). Sending the
  same request again with the same key returns the first answer (header
  `Idempotent-Replayed: true`) and changes nothing again, even when both arrive at once.
* **Pagination**: lists return `{"items", "next_cursor"}`; pass `cursor=next_cursor`.
* Money is integer cents (分); times are UTC ISO-8601.
"""

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (401, "Missing, unknown or revoked API key"),
        (403, "The key lacks the permission, or the store is outside its scope"),
        (404, "Not found, or not visible to the key"),
        (422, "Invalid input"),
        (429, "Rate limit reached: retry after `Retry-After` seconds"),
    )
}

_SWAGGER = Path(__import__("swagger_ui_bundle").swagger_ui_path)

_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Back-office API v1</title>
<link rel="stylesheet" href="{prefix}/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{prefix}/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "{prefix}/openapi.json", dom_id: "#swagger-ui",
  deepLinking: true, persistAuthorization: true}});
</script></body></html>"""


def _health_routes(app: FastAPI) -> None:
    """/healthz (the process answers), /readyz (database, Redis, a scheduler heartbeat in the
    last 3 minutes, a live worker) and /metrics (Prometheus text format)."""

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        body = readiness(take_snapshot(configured_redis()))
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        registry = CollectorRegistry()
        registry.register(SnapshotCollector(configured_redis()))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _methods_for(app: FastAPI, request: Request) -> list[str]:
    """The methods the published API answers on this path (read from its OpenAPI paths, so
    the catch-all and the docs routes are left out)."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {m.upper() for m in operations if m in _HTTP_METHODS}
    return sorted(methods)


_HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def create_app() -> FastAPI:
    app = FastAPI(
        title="Back-office API",
        version="1.0",
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    v1 = APIRouter(prefix=PREFIX, responses=_ERRORS)
    v1.include_router(members.router)
    v1.include_router(loyalty.router)
    v1.include_router(counter.router)
    v1.include_router(org.router)
    v1.include_router(visit_cards.router)
    app.include_router(v1)

    @app.get(f"{PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML.format(prefix=PREFIX))

    app.mount(f"{PREFIX}/docs/assets", StaticFiles(directory=_SWAGGER), name="api-docs-assets")
    _health_routes(app)

    @app.api_route(
        PREFIX + "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        include_in_schema=False,
    )
    def unknown(request: Request, rest: str) -> None:
        """Anything else under /api/v1 is a JSON 404 (not the web app's page), or a 405 with
        the Allow header when the path exists under other methods (RFC 9110 15.5.6)."""
        allowed = _methods_for(app, request)
        if allowed:
            raise ApiError(
                405,
                "method_not_allowed",
                "error.method_not_allowed",
                headers={"Allow": ", ".join(allowed)},
            )
        raise ApiError(404, "not_found", "error.not_found")

    return app
