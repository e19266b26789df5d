"""``/docs``: Swagger UI for ``/openapi.json``, served from files installed with the project.

The UI comes from the ``swagger-ui-bundle-v2`` wheel (Swagger UI 5, which reads OpenAPI 3.1);
nothing is fetched from a CDN, so the page works offline and under a strict Content Security
Policy (no inline script: the page loads its start-up script from this server too).
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["DOCS_PATH", "docs_routes", "swagger_ui_dir"]

DOCS_PATH = "/docs"
_ASSETS = f"{DOCS_PATH}/assets"

log = logging.getLogger(__name__)


def swagger_ui_dir() -> Path | None:
    """Where the installed Swagger UI files are, or None without the package."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(str(swagger_ui_bundle.swagger_ui_path))


def _page(openapi_path: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>chatmesh API</title>
<link rel="stylesheet" href="{_ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{_ASSETS}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi_path}"></div>
<script src="{_ASSETS}/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/start.js"></script>
</body>
</html>
"""


_START = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true });
});
"""


def docs_routes(openapi_path: str) -> list[BaseRoute]:
    """The page, its start-up script and the UI's files; none when Swagger UI is not installed."""
    assets = swagger_ui_dir()
    if assets is None:
        log.warning("swagger-ui-bundle-v2 is not installed: no %s page", DOCS_PATH)
        return []
    page = _page(openapi_path)

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    async def start(request: Request) -> Response:
        return Response(_START, media_type="text/javascript")

    return [
        Route(DOCS_PATH, docs, methods=["GET"]),
        Route(f"{DOCS_PATH}/start.js", start, methods=["GET"]),
        Mount(_ASSETS, app=StaticFiles(directory=assets), name="swagger-ui"),
    ]
