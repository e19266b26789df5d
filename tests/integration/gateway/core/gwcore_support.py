"""Helpers shared by the transcoder's integration tests (a module of its own, so tests import
it by a unique name instead of ``conftest``, which is ambiguous across test folders)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from gwcore_echo import EchoState, echo_service
from starlette.applications import Starlette

from gateway.app import create_app
from mesh.clients import ServiceClients
from mesh.config import Settings, load_settings
from mesh.discovery import make_discovery


@dataclass
class Served:
    http: httpx.AsyncClient
    state: EchoState
    app: Starlette
    settings: Settings
    base_url: str = "http://gateway"


def gateway_settings(address: str, **overrides: Any) -> Settings:
    overrides.setdefault("static_addresses", {"identity": address})
    return load_settings(
        _env_file=None,
        gateway_sse_heartbeat_seconds=overrides.pop("heartbeat", 0.2),
        **overrides,
    )


@contextlib.asynccontextmanager
async def gateway_for(
    address: str,
    *,
    as_service: str = "identity",
    settings: dict[str, Any] | None = None,
    authenticator: Callable[[ServiceClients], Any] | None = None,
    **options: Any,
) -> AsyncIterator[tuple[Starlette, Settings]]:
    """A gateway app that knows only the echo service, routed to ``address`` as ``as_service``.

    ``authenticator`` builds the app's authenticator from its clients (identity goes through them).
    """
    overrides = dict(settings or {})
    addresses = {as_service: address, **overrides.pop("static_addresses", {})}
    built = gateway_settings(address, static_addresses=addresses, **overrides)
    discovery = make_discovery(built)
    clients = ServiceClients(built, discovery)
    if authenticator is not None:
        options["authenticator"] = authenticator(clients)
    app = create_app(built, clients, services=[(as_service, echo_service())], **options)
    try:
        yield app, built
    finally:
        await clients.close()
        await discovery.close()


@contextlib.asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[str]:
    """``app`` on uvicorn on a free loopback port, in this event loop; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
