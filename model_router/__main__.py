"""`python -m model_router`: wiring only.

The seed channel from settings is written and the channel registry loaded before the
server accepts RPCs; the outbox relay publishes the usage events settlements write.
Resources are created here (never at import) and released after the last RPC drained.
Admin RPCs ask identity's Check for permissions (mesh.authz).
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from mesh import authz
from mesh.auth_jwt import remote_verifier
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.events import OutboxRelay
from mesh.redis_client import connect_redis
from mesh.server import ServiceParts, run_service
from model_router import api
from model_router.assembly import close_deps, open_deps
from model_router.bootstrap import ensure_seed_channel
from model_router.store import outbox


async def build(settings: Settings) -> ServiceParts:
    """Engine, Redis, discovery, verifier, authorizer and servicer; on failure, what was opened is closed."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings, "model_router")
        stack.push_async_callback(engine.dispose)
        redis = connect_redis(settings)
        stack.push_async_callback(redis.aclose)
        discovery = make_discovery(settings)
        stack.push_async_callback(discovery.close)
        verifier, close_verifier = await remote_verifier(settings, discovery)
        stack.push_async_callback(close_verifier)
        clients = ServiceClients(settings, discovery)
        stack.push_async_callback(clients.close)
        authorizer = await authz.remote_authorizer(clients.stub("identity"), redis)
        stack.push_async_callback(authorizer.close)
        authz.install(authorizer)
        await ensure_seed_channel(engine, settings)
        # Build section: areas add what they need to ModelRouterDeps in model_router/assembly.py.
        deps = await open_deps(settings, engine, redis)
        stack.push_async_callback(close_deps, deps)
        # UsageRecorded events written with each settlement reach Redis Streams through the relay.
        relay = OutboxRelay(engine, outbox, redis)
        await relay.start()
        stack.push_async_callback(relay.stop)

        async def close() -> None:
            await close_deps(deps)
            await relay.stop()
            await authorizer.close()
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
    run_service("model_router", build)


if __name__ == "__main__":
    main()
