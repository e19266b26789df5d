"""The content-hash embedding cache in Redis (knowledge.embedding.cache's store interface).

Entries expire after a week: the cache saves re-embedding on re-index and repeated queries,
it is not a second copy of the vectors (those live in Postgres).
"""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ["RedisCacheStore"]

TTL_SECONDS = 7 * 24 * 3600
PREFIX = "knowledge:"


class RedisCacheStore:
    def __init__(self, redis: Redis, ttl_seconds: int = TTL_SECONDS) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        values = await self._redis.mget([PREFIX + k for k in keys])
        return [v.encode() if isinstance(v, str) else v for v in values]

    async def set_many(self, items: dict[str, bytes]) -> None:
        if not items:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(PREFIX + key, value, ex=self._ttl)
            await pipe.execute()
