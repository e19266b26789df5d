"""Building model_router's dependencies from an engine and a Redis client: shared by __main__ and tests.

Engine and Redis are created and closed by the caller; what this builds that needs
closing (the channel registry's listener and reload task) is closed by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.config import Settings
from mesh.db import session_factory
from mesh.secrets import secret_box
from model_router.deps import ModelRouterDeps
from model_router.registry import DEFAULT_RELOAD_SECONDS, ChannelRegistry
from model_router.relay import Relay, upstream_client

__all__ = ["close_deps", "open_deps"]


async def open_deps(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis | None,
    *,
    reload_seconds: float = DEFAULT_RELOAD_SECONDS,
) -> ModelRouterDeps:
    """Channels loaded into memory and kept fresh before the first RPC arrives."""
    secrets = secret_box(settings)
    registry = ChannelRegistry(engine, secrets, redis, reload_seconds=reload_seconds)
    await registry.start()
    return ModelRouterDeps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        secrets=secrets,
        channels=registry,
        relay=Relay(registry, upstream_client()),
    )


async def close_deps(deps: ModelRouterDeps) -> None:
    await deps.channels.close()
    if deps.relay is not None:
        await deps.relay.close()
