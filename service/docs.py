"""The API's reference pages, served from this machine: no CDN, no internet needed.

FastAPI's own ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from a CDN, so on
a newsroom machine with no internet access they show a blank page. Here they load
the same assets from the ``fastapi-offline`` package on PyPI (Swagger UI 5's
bundle and CSS, ReDoc's standalone script), mounted at ``/docs/assets``.

``/docs/getting-english`` is the README's "Getting English" section as a page of
this server, which the web page and the warnings of a result without models
link to (``workers.english.notices``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
GETTING_ENGLISH_PAGE = Path(__file__).parent / "static" / "getting-english.html"


def assets_dir() -> Path:
    """Where the installed ``fastapi-offline`` keeps Swagger UI's and ReDoc's files."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and ``/docs/getting-english`` on
    ``app`` (made with ``docs_url=None, redoc_url=None``), their assets local."""
    assert app.openapi_url is not None
    openapi_url = app.openapi_url
    oauth2_redirect = "/docs/oauth2-redirect"
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} — API reference",
            oauth2_redirect_url=f"{root}{oauth2_redirect}",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} — API reference",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    @app.get("/docs/getting-english", include_in_schema=False)
    async def getting_english() -> FileResponse:
        return FileResponse(GETTING_ENGLISH_PAGE, media_type="text/html; charset=utf-8")
