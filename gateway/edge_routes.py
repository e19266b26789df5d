"""The routes gw-edge adds to the app: ``/openapi.json``, ``/docs`` and the notification WebSocket."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor
from starlette.routing import BaseRoute, WebSocketRoute

from gateway.openapi import OPENAPI_PATH, openapi_route, shadowed_by
from gateway.openapi.docs import docs_routes
from gateway.websocket import SUBSCRIBE_PATH, Authenticator, NotificationSocket
from mesh.config import Settings

__all__ = ["routes"]


def routes(
    settings: Settings,
    clients: Any,
    authenticator: Authenticator,
    *,
    shadowing: Iterable[BaseRoute] = (),
    services: Iterable[tuple[str, ServiceDescriptor]] | None = None,
) -> list[BaseRoute]:
    """``clients`` is mesh.clients.ServiceClients; ``shadowing`` the explicit routes (gw-compat's)
    that take over transcoded paths, which the OpenAPI document then leaves out; ``services`` the
    (mesh service, descriptor) pairs the transcoder serves (default: every generated service)."""
    described = [descriptor for _, descriptor in services] if services is not None else None
    return [
        openapi_route(shadowed_by(shadowing), described),
        *docs_routes(OPENAPI_PATH),
        WebSocketRoute(SUBSCRIBE_PATH, NotificationSocket(settings, clients, authenticator)),
    ]
