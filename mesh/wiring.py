"""The shared skeleton of a service's ``build(settings)`` for ``python -m <svc>``.

Every service opens the same resources in the same order (engine, Redis, discovery,
the remote verifier, clients and authorizer) and must release exactly what it opened
if a later step fails. Keeping that here means each ``__main__`` only says what is
its own: the deps it builds, its bindings and first-start steps.

Authorization is not optional: every service built here gets the remote authorizer
(mesh.authz asking identity's Check), and a service that verifies tokens itself must
bring its own authorizer in :class:`Assembled`, or it does not start. A handler's
``require`` can therefore never meet an unconfigured process in a running mesh.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh import authz
from mesh.auth import TokenVerifier
from mesh.auth_jwt import remote_verifier
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.discovery.base import Discovery
from mesh.events import OutboxRelay
from mesh.redis_client import connect_redis
from mesh.server import ServiceBinding, ServiceParts


@dataclass(frozen=True)
class Resources:
    """What the skeleton opened for a service, handed to its ``assemble`` callback.

    ``clients`` is None when the service verifies tokens itself (identity).
    ``stack`` is where the callback pushes its own closers: they run, newest first,
    before the shared resources close, on shutdown and when the build fails.
    """

    settings: Settings
    engine: AsyncEngine
    redis: Redis
    discovery: Discovery
    clients: ServiceClients | None
    stack: AsyncExitStack

    def service_clients(self) -> ServiceClients:
        """The clients, for services built with ``remote_auth`` (an error otherwise)."""
        if self.clients is None:
            raise RuntimeError("this service was built without remote_auth, so it has no ServiceClients")
        return self.clients

    async def start_relay(self, outbox: Table, stack: AsyncExitStack | None = None) -> OutboxRelay:
        """Relay ``outbox`` to Redis Streams; stopped through ``stack`` (default: ``self.stack``)."""
        relay = OutboxRelay(self.engine, outbox, self.redis)
        await relay.start()
        (stack or self.stack).push_async_callback(relay.stop)
        return relay


@dataclass(frozen=True)
class Assembled:
    """The service-specific result of ``assemble``.

    ``verifier`` and ``authorizer`` are only for services that verify tokens themselves
    (built without ``remote_auth``), and required from them; others get the remote
    verifier and authorizer the skeleton opened.
    """

    bindings: list[ServiceBinding]
    verifier: TokenVerifier | None = None
    authorizer: authz.Authorizer | None = None


Assemble = Callable[[Resources], Awaitable[Assembled]]


async def build_service(
    settings: Settings,
    service: str,
    assemble: Assemble,
    *,
    remote_auth: bool = True,
    authorize: bool = True,
) -> ServiceParts:
    """Open the shared resources, let ``assemble`` add the service's own, return the parts.

    ``remote_auth`` opens the remote verifier and the ServiceClients and installs a remote
    authorizer asking identity's Check (mesh.authz). Without it, ``assemble`` must return
    the service's own verifier and authorizer (RuntimeError otherwise). ``authorize`` is
    kept for callers that passed it; switching authorization off is refused. On shutdown
    one hook closes everything but discovery (run_service closes that last); if any step
    fails, everything opened so far is closed, discovery included.
    """
    if not authorize:
        raise ValueError("every service authorizes its callers: authorize=False is not supported")
    discovery: Discovery | None = None

    async def close_discovery() -> None:
        if discovery is not None:
            await discovery.close()

    async with AsyncExitStack() as on_failure:
        # Discovery closes after everything else: the clients and verifier resolve through it.
        on_failure.push_async_callback(close_discovery)
        owned = AsyncExitStack()
        on_failure.push_async_callback(owned.aclose)
        engine = create_engine(settings, service)
        owned.push_async_callback(engine.dispose)
        redis = connect_redis(settings)
        owned.push_async_callback(redis.aclose)
        discovery = make_discovery(settings)
        verifier: TokenVerifier | None = None
        clients: ServiceClients | None = None
        if remote_auth:
            verifier, close_verifier = await remote_verifier(settings, discovery)
            owned.push_async_callback(close_verifier)
            clients = ServiceClients(settings, discovery)
            owned.push_async_callback(clients.close)
            authorizer = await authz.remote_authorizer(clients.stub("identity"), redis)
            _install(authorizer, owned)
        resources = Resources(settings, engine, redis, discovery, clients, owned)
        assembled = await assemble(resources)
        if not remote_auth:
            _install_own(service, assembled, owned)
        parts = ServiceParts(
            bindings=assembled.bindings,
            discovery=discovery,
            on_shutdown=[owned.aclose],
            verifier=assembled.verifier if assembled.verifier is not None else verifier,
        )
        on_failure.pop_all()
        return parts


def _install_own(service: str, assembled: Assembled, owned: AsyncExitStack) -> None:
    """A service verifying tokens itself also decides permissions itself; both are required."""
    if assembled.verifier is None or assembled.authorizer is None:
        raise RuntimeError(
            f"{service} is built without remote_auth, so its assemble must return its own verifier "
            "and authorizer (mesh.authz); refusing to start a service that cannot authorize callers"
        )
    _install(assembled.authorizer, owned)


def _install(authorizer: authz.Authorizer, owned: AsyncExitStack) -> None:
    """Install for this process; on close, uninstall (if still ours) before closing it."""
    owned.push_async_callback(authorizer.close)
    owned.callback(authz.uninstall, authorizer)
    authz.install(authorizer)
