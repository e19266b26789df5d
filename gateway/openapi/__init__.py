"""``/openapi.json``: the HTTP API as OpenAPI 3.1, generated from the contracts (see document.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable

from google.protobuf.descriptor import ServiceDescriptor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.openapi.comments import load_comments
from gateway.openapi.document import build_document

__all__ = ["OPENAPI_PATH", "build_document", "openapi_route", "shadowed_by"]

OPENAPI_PATH = "/openapi.json"


_CONVERTER = re.compile(r"\{(\w+):\w+\}")


def shadowed_by(routes: Iterable[BaseRoute]) -> set[tuple[str, str]]:
    """(method, path) pairs that explicit routes serve, so the document leaves them to those routes."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        if isinstance(path, str) and methods:
            # Starlette's converters (`{model_id:path}`) are not part of an OpenAPI path template.
            plain = _CONVERTER.sub(r"{\1}", path)
            found.update((method, plain) for method in methods if method != "HEAD")
    return found


def openapi_route(
    shadowed: Collection[tuple[str, str]] = (), services: Iterable[ServiceDescriptor] | None = None
) -> Route:
    """The route serving the document, built once on first request (it takes a few tens of ms).

    ``services`` defaults to every mesh service whose code is generated.
    """
    cached: list[bytes] = []
    chosen = list(services) if services is not None else None

    async def openapi(request: Request) -> Response:
        if not cached:
            document = build_document(chosen, shadowed=shadowed, comments=load_comments())
            cached.append(json.dumps(document, separators=(",", ":")).encode())
        return Response(cached[0], media_type="application/json")

    return Route(OPENAPI_PATH, openapi, methods=["GET"])
