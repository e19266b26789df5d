"""`python -m analytics`: settings → assembly → serve.

Resources are created here (never at import) and released after the last RPC drained.
Alert events written to the outbox reach Redis Streams through the relay.
"""

from __future__ import annotations

import socket

from analytics import api
from analytics.assembly import close_deps, open_deps
from analytics.config import AnalyticsSettings
from analytics.store.tables import outbox
from mesh.config import Settings
from mesh.server import ServiceParts, run_service
from mesh.wiring import Assembled, Resources, build_service


async def assemble(res: Resources) -> Assembled:
    name = f"{socket.gethostname()}-{res.settings.analytics_port}"  # stable across restarts
    deps = await open_deps(res.engine, res.redis, settings=AnalyticsSettings(), consumer_name=name)
    res.stack.push_async_callback(close_deps, deps)
    await res.start_relay(outbox)
    return Assembled(bindings=[api.binding(deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring, with identity's Check as authorizer) plus the analytics servicer."""
    return await build_service(settings, "analytics", assemble, authorize=True)


def main() -> None:
    run_service("analytics", build)


if __name__ == "__main__":
    main()
