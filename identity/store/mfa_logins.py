"""Redis state of the second login step: pending MFA logins and per-user wrong-code counters.

A pending login lives under the SHA-256 of its MFA token (the token itself is never
stored), as a hash with a TTL; wrong codes count under ``mfa:failures:<user>`` in a
fixed window that starts at the first failure.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

__all__ = [
    "count_failure",
    "delete_pending",
    "failures",
    "pending_key",
    "put_pending",
    "read_pending",
    "spend_pending",
]

_PENDING_PREFIX = "mfa:login:"
_FAILURES_PREFIX = "mfa:failures:"


def pending_key(mfa_token: str) -> str:
    return _PENDING_PREFIX + hashlib.sha256(mfa_token.encode("ascii")).hexdigest()


def _failures_key(user_id: uuid.UUID) -> str:
    return _FAILURES_PREFIX + str(user_id)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def put_pending(redis: Redis, mfa_token: str, fields: Mapping[str, str], ttl_seconds: int) -> None:
    fields_: dict[Any, Any] = dict(fields)
    key = pending_key(mfa_token)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=fields_)
        pipe.expire(key, ttl_seconds)
        await pipe.execute()


async def read_pending(redis: Redis, mfa_token: str) -> tuple[str, dict[str, str]]:
    """The pending login's key and fields (empty when unknown or expired)."""
    key = pending_key(mfa_token)
    raw = await redis.hgetall(key)  # type: ignore[misc]
    return key, {_text(k): _text(v) for k, v in raw.items()}


async def count_failure(redis: Redis, user_id: uuid.UUID, window_seconds: int, pending: str | None) -> int:
    """Count one wrong code for the user (and the pending login); the login's attempts, or 0."""
    failures_key = _failures_key(user_id)
    async with redis.pipeline(transaction=True) as pipe:
        # SET NX EX then INCR: the window starts at the first failure (EXPIRE NX needs Redis 7).
        pipe.set(failures_key, 0, ex=window_seconds, nx=True)
        pipe.incr(failures_key)
        if pending is not None:
            pipe.hincrby(pending, "attempts", 1)
        results = await pipe.execute()
    return int(results[-1]) if pending is not None else 0


async def delete_pending(redis: Redis, key: str) -> None:
    await redis.delete(key)


async def failures(redis: Redis, user_id: uuid.UUID) -> tuple[int, int]:
    """The user's recent wrong codes and the seconds left in their window (0, -2 when none)."""
    key = _failures_key(user_id)
    count = await redis.get(key)
    if count is None:
        return 0, -2
    return int(count), int(await redis.ttl(key))


async def spend_pending(redis: Redis, key: str, user_id: uuid.UUID) -> bool:
    """Delete the pending login and the user's failure counter; False when it was already gone."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.delete(_failures_key(user_id))
        deleted, _ = await pipe.execute()
    return bool(deleted)
