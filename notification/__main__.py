"""`python -m notification`: wiring only.

Resources are created here (never at import) and released after the last RPC drained.
The outbox relay publishes NotificationQueued events; the delivery consumer sends them,
the trigger consumer turns identity's and model_router's events into notifications.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from mesh.config import Settings
from mesh.server import ServiceParts, run_service
from mesh.wiring import Assembled, Resources, build_service
from notification import api
from notification.assembly import close_deps, open_deps
from notification.store import outbox


async def assemble(res: Resources) -> Assembled:
    """Deps and workers, then the relay (stopped after the workers, so their events still go out)."""
    after_deps = AsyncExitStack()
    res.stack.push_async_callback(after_deps.aclose)
    running = await open_deps(res.settings, res.engine, res.redis, res.service_clients())
    res.stack.push_async_callback(close_deps, running)
    await res.start_relay(outbox, after_deps)
    return Assembled(bindings=[api.binding(running.deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring) with the remote authorizer, plus the notification servicer."""
    return await build_service(settings, "notification", assemble)


def main() -> None:
    run_service("notification", build)


if __name__ == "__main__":
    main()
