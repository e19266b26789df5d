"""Redis counters of failed logins, one per account and one per client IP.

Keys never hold an email or IP in the clear (Redis dumps end up in odd places): both are
hashed. A counter's window starts at its first failure (SET NX EX, then INCR keeps the TTL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from redis.asyncio import Redis

__all__ = ["account_key", "clear", "count_failure", "ip_key", "read"]


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def account_key(tenant: str, email_key: str) -> str:
    return f"login:fail:account:{_digest(f'{tenant}|{email_key}')}"


def ip_key(ip: str) -> str:
    return f"login:fail:ip:{_digest(ip)}"


async def read(redis: Redis, keys: Sequence[str]) -> list[tuple[int | None, int]]:
    """Each counter's value (None when absent) and its seconds to live."""
    async with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.get(key)
            pipe.ttl(key)
        answers = await pipe.execute()
    return [
        (None if answers[2 * i] is None else int(answers[2 * i]), int(answers[2 * i + 1] or 0))
        for i in range(len(keys))
    ]


async def count_failure(redis: Redis, keys: Sequence[str], window_seconds: int) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            # SET NX starts the window (Redis 6.2 has no EXPIRE NX); INCR keeps the TTL.
            pipe.set(key, 0, ex=window_seconds, nx=True)
            pipe.incr(key)
        await pipe.execute()


async def clear(redis: Redis, key: str) -> None:
    await redis.delete(key)
