"""`python -m conversation`: wiring only.

Resources are created here (never at import) and released after the last RPC drained.
Events written to the outbox with each change reach Redis Streams through the relay.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from conversation import api
from conversation.assembly import close_deps, open_deps
from conversation.store import outbox
from mesh.auth_jwt import remote_verifier
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.events import OutboxRelay
from mesh.redis_client import connect_redis
from mesh.server import ServiceParts, run_service


async def build(settings: Settings) -> ServiceParts:
    """Engine, Redis, discovery, verifier, clients, relay and servicer; on failure, what opened is closed."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings, "conversation")
        stack.push_async_callback(engine.dispose)
        redis = connect_redis(settings)
        stack.push_async_callback(redis.aclose)
        discovery = make_discovery(settings)
        stack.push_async_callback(discovery.close)
        verifier, close_verifier = await remote_verifier(settings, discovery)
        stack.push_async_callback(close_verifier)
        clients = ServiceClients(settings, discovery)
        stack.push_async_callback(clients.close)
        # Build section: areas add what they need to ConversationDeps in conversation/assembly.py.
        deps = await open_deps(settings, engine, redis, clients)
        stack.push_async_callback(close_deps, deps)
        relay = OutboxRelay(engine, outbox, redis)
        await relay.start()
        stack.push_async_callback(relay.stop)

        async def close() -> None:
            await relay.stop()
            await close_deps(deps)
            await clients.close()
            await close_verifier()
            await redis.aclose()
            await engine.dispose()

        parts = ServiceParts(
            bindings=[api.binding(deps)], discovery=discovery, on_shutdown=[close], verifier=verifier
        )
        stack.pop_all()
        return parts


def main() -> None:
    run_service("conversation", build)


if __name__ == "__main__":
    main()
