"""`python -m gateway`: the HTTP edge on uvicorn, with the same shutdown contract as the gRPC services."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn
from mesh.clients import ServiceClients
from mesh.discovery import make_discovery

from gateway.app import create_app
from mesh.config import Settings, exit_on_bad_settings
from mesh.telemetry.logging import setup_logging


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


async def serve(settings: Settings) -> None:
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    app = create_app(settings, clients, on_shutdown=[clients.close, discovery.close])
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    await GatewayServer(config).serve()


def main() -> None:
    settings = exit_on_bad_settings()
    setup_logging("gateway", settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
