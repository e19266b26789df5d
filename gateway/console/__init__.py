"""``/console/``: the web console, plain ES modules and CSS served from ``static/`` beside this file.

The console talks to the public HTTP API only (same origin, so no CORS), which makes it a
living example of that API. There is no build step: the files under ``static/`` are what the
browser runs. They are read once at start and kept in memory (a few tens of KiB), each with a
strong ETag of its content, so a reload costs a 304 per file.

Every answer carries a strict Content-Security-Policy: scripts, styles and connections only
from this origin, no inline script or style, no frames, no plugins, and HTML may reach the DOM
only through the console's one Trusted Types policy (markdown.js). The console renders model
output as Markdown through its own escaper; the CSP is the second wall should that ever fail.
``Cache-Control: no-cache`` (revalidate every time) rather than a max-age: file names carry no
content hash, and an upgraded gateway must never mix old and new modules in one page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["CONSOLE_PATH", "CSP", "console_routes", "load_assets"]

CONSOLE_PATH = "/console"
STATIC_DIR = Path(__file__).parent / "static"

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types console-markdown",
    ]
)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load_assets(directory: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every servable file under ``directory``, keyed by its relative path (``views/chat.js``)."""
    assets: dict[str, Asset] = {}
    for path in sorted(directory.rglob("*")):
        content_type = CONTENT_TYPES.get(path.suffix)
        if not path.is_file() or content_type is None:
            continue
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        assets[path.relative_to(directory).as_posix()] = Asset(body, content_type, etag)
    return assets


def _serve(asset: Asset, request: Request) -> Response:
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(asset.body))
        return Response(status_code=200, headers=headers, media_type=asset.content_type)
    return Response(asset.body, headers=headers, media_type=asset.content_type)


def console_routes(directory: Path = STATIC_DIR) -> list[BaseRoute]:
    """``/console`` (redirect), ``/console/`` (the page) and ``/console/<file>``; unknown files 404."""
    assets = load_assets(directory)

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"{CONSOLE_PATH}/", status_code=308)

    async def page(request: Request) -> Response:
        return _serve(assets["index.html"], request)

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["file"])
        if found is None:
            return Response("not found", status_code=404, headers=SECURITY_HEADERS, media_type="text/plain")
        return _serve(found, request)

    return [
        Route(CONSOLE_PATH, redirect, methods=["GET", "HEAD"]),
        Route(f"{CONSOLE_PATH}/", page, methods=["GET", "HEAD"]),
        Route(f"{CONSOLE_PATH}/{{file:path}}", asset, methods=["GET", "HEAD"]),
    ]
