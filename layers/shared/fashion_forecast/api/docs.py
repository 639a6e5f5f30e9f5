"""/docs (Swagger UI) and /redoc with their assets served by the app itself, so the pages work
offline and behind a firewall: the files come from the fastapi-offline package (pinned in
functions/api/requirements.txt), never from a CDN.

Every link is prefixed with the request's root_path (the API Gateway stage, see
RootPathMiddleware). The assets are plain routes rather than a StaticFiles mount: a mount
expects the root path inside the request path, which API Gateway strips. Like FastAPI's own
docs routes these are Starlette routes, not API operations: they need no credential (OPEN_PATHS
in api/auth.py, the template's open paths) and declare no role."""

from __future__ import annotations

from importlib.resources import files
from typing import Final

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS_PATH: Final = "/static-offline-docs"
_ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_CACHE: Final = {"Cache-Control": "public, max-age=86400"}


def install_docs(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets to `app` (created with docs_url=redoc_url=None)."""
    folder = files("fastapi_offline") / "static"
    title = app.title

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def swagger_ui(request: Request) -> HTMLResponse:
        prefix = root(request)
        return get_swagger_ui_html(
            openapi_url=f"{prefix}{app.openapi_url}",
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{prefix}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{prefix}{ASSETS_PATH}/favicon.png",
        )

    def redoc(request: Request) -> HTMLResponse:
        prefix = root(request)
        return get_redoc_html(
            openapi_url=f"{prefix}{app.openapi_url}",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{prefix}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{prefix}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    def asset(request: Request) -> FileResponse:
        name = str(request.path_params["name"])
        media_type = _ASSETS.get(name)
        if media_type is None:  # only the four files: nothing else of the package is served
            raise HTTPException(404)
        return FileResponse(str(folder / name), media_type=media_type, headers=_CACHE)

    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.add_route(ASSETS_PATH + "/{name}", asset, include_in_schema=False)
