"""The FastAPI app of /api/v1, mounted into the Reflex server by `rx.App(api_transformer=…)`.

The interactive docs are Swagger UI served from the `swagger-ui-bundle` package, so they
work on a machine without internet access (FastAPI's default page loads from a CDN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import backoffice.models  # noqa: F401  (tables registered before any query)
import backoffice.workflows  # noqa: F401  (committed events wake the dispatcher at once)
from backoffice.api import errors, loyalty, members, org
from backoffice.api.errors import ApiError
from backoffice.api.schemas import ErrorOut

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
    v1.include_router(org.router)
    app.include_router(v1)

    @app.get(f"{PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML.format(prefix=PREFIX))

    app.mount(f"{PREFIX}/docs/assets", StaticFiles(directory=_SWAGGER), name="api-docs-assets")

    @app.api_route(
        PREFIX + "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def unknown(request: Request, rest: str) -> None:
        """Anything else under /api/v1 is a JSON 404 (not the web app's page)."""
        raise ApiError(404, "not_found", "error.not_found")

    return app
