"""`python -m orchestrator`: wiring only.

Resources are created here (never at import) and released after the last RPC drained.
Calls to model_router, conversation and knowledge go through mesh.clients, which
forwards the caller's credentials.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from mesh.auth_jwt import remote_verifier
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.redis_client import connect_redis
from mesh.server import ServiceParts, run_service
from orchestrator import api
from orchestrator.assembly import close_deps, open_deps


async def build(settings: Settings) -> ServiceParts:
    """Engine, Redis, discovery, verifier, clients and servicer; on failure, what was opened is closed."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings, "orchestrator")
        stack.push_async_callback(engine.dispose)
        redis = connect_redis(settings)
        stack.push_async_callback(redis.aclose)
        discovery = make_discovery(settings)
        stack.push_async_callback(discovery.close)
        verifier, close_verifier = await remote_verifier(settings, discovery)
        stack.push_async_callback(close_verifier)
        clients = ServiceClients(settings, discovery)
        stack.push_async_callback(clients.close)
        # Build section: areas add what they need to OrchestratorDeps in orchestrator/assembly.py.
        deps = await open_deps(settings, engine, redis, clients)
        stack.push_async_callback(close_deps, deps)

        async def close() -> None:
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
    run_service("orchestrator", build)


if __name__ == "__main__":
    main()
