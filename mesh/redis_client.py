"""One way for every process to open its Redis client (revocation, throttles, caches, events).

Created in a service's ``__main__`` (never at import) and closed on shutdown.
Connecting times out quickly so a Redis outage surfaces as an error callers can
apply their outage policy to. There is no read timeout on the client: pub/sub
listeners (cache invalidation) block on reads by design; callers on a hot path
bound their own waits (see mesh.auth_jwt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.asyncio import Redis

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
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=connect_timeout_seconds,
        socket_keepalive=True,
        health_check_interval=30,
    )
