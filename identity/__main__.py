"""`python -m identity`: wiring only.

First-start seeding (default tenant, roles, super-admin) and the first signing
key are created before the server accepts RPCs; resources are created here
(never at import) and released after the last RPC drained. Identity verifies
its callers' tokens with its own keys, in process.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from identity import api
from identity.assembly import close_deps, open_deps
from identity.bootstrap import ensure_bootstrap
from identity.store import outbox
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.events import OutboxRelay
from mesh.redis_client import connect_redis
from mesh.server import ServiceParts, run_service


async def build(settings: Settings) -> ServiceParts:
    """Engine, Redis, discovery, keys and servicer; if any step fails, what was opened is closed again."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings, "identity")
        stack.push_async_callback(engine.dispose)
        redis = connect_redis(settings)
        stack.push_async_callback(redis.aclose)
        discovery = make_discovery(settings)
        stack.push_async_callback(discovery.close)
        await ensure_bootstrap(engine, settings)
        # Build section: areas add what they need to IdentityDeps in identity/assembly.py.
        deps = await open_deps(settings, engine, redis)
        stack.push_async_callback(close_deps, deps)
        # Events written to the outbox with each change reach Redis Streams through the relay.
        relay = OutboxRelay(engine, outbox, redis)
        await relay.start()

        async def close() -> None:
            await relay.stop()
            await close_deps(deps)
            await redis.aclose()
            await engine.dispose()

        parts = ServiceParts(
            bindings=[api.binding(deps)], discovery=discovery, on_shutdown=[close], verifier=deps.verifier
        )
        stack.pop_all()
        return parts


def main() -> None:
    run_service("identity", build)


if __name__ == "__main__":
    main()
