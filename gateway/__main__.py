"""`python -m gateway`: the HTTP edge on uvicorn, with the same shutdown contract as the gRPC services.

With Redis configured (``CHATMESH_REDIS_URL``, as ``python -m mesh up`` sets it) the edge
verifies JWTs itself (identity's public keys, revocation in Redis), exchanges API keys
through identity and enforces the rate limits. Without Redis it still serves, forwarding
credentials unchecked for the services to judge, and says so in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.edge_auth import Authenticator, EdgeAuthenticator, PassThroughAuthenticator
from mesh.auth_jwt import ClientJwksSource, JwtVerifier
from mesh.client_ip import client_ip_seal
from mesh.clients import ServiceClients
from mesh.config import Settings, exit_on_bad_settings
from mesh.discovery import make_discovery
from mesh.telemetry.logging import setup_logging

log = logging.getLogger("gateway")


class GatewayServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM after a graceful shutdown, so the process would die "killed by SIGTERM";
    the mesh's contract is exit code 0 after a clean drain, like every gRPC service."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)


def edge_security(settings: Settings, clients: ServiceClients) -> tuple[Authenticator, Any]:
    """(authenticator, redis) for the edge; redis is None without CHATMESH_REDIS_URL.

    Either authenticator seals the client's address for the services (mesh.client_ip).
    """
    client_ips = client_ip_seal(settings)
    if not settings.redis_url:
        log.warning(
            "no CHATMESH_REDIS_URL: credentials are not checked at the edge and nothing is rate-limited"
        )
        return PassThroughAuthenticator(client_ips), None
    redis = Redis.from_url(settings.redis_url)
    verifier = JwtVerifier(settings, ClientJwksSource(clients), redis)
    authenticator = EdgeAuthenticator(
        verifier, clients, cache_seconds=settings.gateway_api_key_cache_seconds, client_ips=client_ips
    )
    return authenticator, redis


async def serve(settings: Settings) -> None:
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    authenticator, redis = edge_security(settings, clients)
    on_shutdown: list[Callable[[], Awaitable[None]]] = [clients.close, discovery.close]
    if redis is not None:
        on_shutdown.append(redis.aclose)
    app = create_app(settings, clients, on_shutdown=on_shutdown, authenticator=authenticator, redis=redis)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        # The client's address is gateway.policies.client_ip's decision (trusted proxies only);
        # uvicorn's default would believe X-Forwarded-For from any local process.
        proxy_headers=False,
    )
    await GatewayServer(config).serve()


def main() -> None:
    settings = exit_on_bad_settings()
    setup_logging("gateway", settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
