"""One way for every process to open its Redis client (revocation, throttles, caches, events).

Created in a service's ``__main__`` (never at import) and closed on shutdown.
Connecting times out quickly so a Redis outage surfaces as an error callers can
apply their outage policy to. There is no read timeout on the client: pub/sub
listeners (cache invalidation) block on reads by design; callers on a hot path
bound their own waits (see mesh.auth_jwt).

The pool is a blocking one with a generous size: redis-py's default pool raises at once
past 100 connections, and every blocking stream read (a generation being followed, a
consumer group) holds a connection for its whole wait, so a busy conversation service
would turn load into errors instead of a short wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.asyncio import BlockingConnectionPool, Redis

if TYPE_CHECKING:
    from mesh.config import Settings

__all__ = ["RedisNotConfigured", "connect_redis"]


class RedisNotConfigured(RuntimeError):
    """No Redis URL: neither CHATMESH_REDIS_URL nor a started embedded Redis."""


def connect_redis(settings: Settings, *, connect_timeout_seconds: float = 2.0) -> Redis:
    if not settings.redis_url:
        raise RedisNotConfigured(
            "no Redis configured: set CHATMESH_REDIS_URL, or start the embedded Redis first "
            "(mesh.infra.ensure_infrastructure, which `python -m mesh up` does)"
        )
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout_seconds,
        socket_connect_timeout=connect_timeout_seconds,
        socket_keepalive=True,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
