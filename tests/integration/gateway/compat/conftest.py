"""A test ModelRouterService and IdentityService over gRPC, and the compatible routes served by uvicorn.

The gateway side is wired as gw-core wires it: mesh.clients.ServiceClients over static
discovery pointing at the test server, gw-core's EdgeAuthenticator (API keys through the
test IdentityService, uncached so each test sees its own calls), the routes from
``gateway.compat.routes``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from chatmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from chatmesh.model_router.v1 import model_router_pb2, model_router_pb2_grpc
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from gateway.compat import routes
from gateway.edge_auth import Authenticator, EdgeAuthenticator
from mesh.clients import ServiceClients
from mesh.config import Settings, load_settings
from mesh.discovery import make_discovery
from mesh.server import ServiceBinding, start_server
from tests.integration.gateway.compat.compat_support import FakeIdentity, FakeModelRouter, StandInVerifier

ROUTER_SERVICE = model_router_pb2.DESCRIPTOR.services_by_name["ModelRouterService"].full_name
IDENTITY_SERVICE = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name


class QuietServer(uvicorn.Server):
    """Signals belong to pytest, not to the server under test."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Upstream:
    router: FakeModelRouter
    identity: FakeIdentity
    address: str

    def reset(self) -> None:
        self.router.reset()
        self.identity.seen.clear()


@dataclass
class Gateway:
    url: str
    router: FakeModelRouter
    identity: FakeIdentity


AppBuilder = Callable[[Settings, ServiceClients, Authenticator], ASGIApp]


@contextlib.asynccontextmanager
async def serve_gateway(
    address: str,
    middleware: Sequence[Middleware] = (),
    authenticator: Authenticator | None = None,
    build: AppBuilder | None = None,
    **overrides: Any,
) -> AsyncIterator[str]:
    """The compatible routes on uvicorn (free port), calling the services at ``address``; yields the URL.

    ``build`` makes the app instead of a bare Starlette app with the routes and ``middleware``.
    """
    addresses = {"model_router": address, "identity": address}
    settings = load_settings(_env_file=None, static_addresses=addresses, **overrides)
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    auth = authenticator or EdgeAuthenticator(StandInVerifier(), clients, cache_seconds=0)
    if build is not None:
        app = build(settings, clients, auth)
    else:
        app = Starlette(routes=routes(settings, clients, auth), middleware=list(middleware))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off")
    server = QuietServer(config)
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
        await task
        await clients.close()
        await discovery.close()


@pytest_asyncio.fixture(scope="module")
async def upstream() -> AsyncIterator[Upstream]:
    router, identity = FakeModelRouter(), FakeIdentity()
    bindings = [
        ServiceBinding(
            ROUTER_SERVICE, model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server, router
        ),
        ServiceBinding(IDENTITY_SERVICE, identity_pb2_grpc.add_IdentityServiceServicer_to_server, identity),
    ]
    running = await start_server(
        "model_router", bindings, load_settings(_env_file=None), port=0, metrics_port=-1
    )
    yield Upstream(router, identity, f"127.0.0.1:{running.port}")
    await running.stop(0)


@pytest_asyncio.fixture(scope="module")
async def served(upstream: Upstream) -> AsyncIterator[Gateway]:
    async with serve_gateway(upstream.address) as url:
        yield Gateway(url, upstream.router, upstream.identity)


@pytest.fixture
def gateway(served: Gateway, upstream: Upstream) -> Gateway:
    upstream.reset()
    return served
