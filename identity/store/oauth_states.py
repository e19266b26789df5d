"""Redis state of an OAuth round trip, kept under the SHA-256 of its ``state`` parameter.

The value is sealed by the caller (it holds a PKCE verifier and a nonce); taking it is a
GETDEL, so two callbacks with one state cannot both proceed.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

__all__ = ["put_state", "take_state"]

_STATE_PREFIX = "oauth:state:"


def _state_key(state: str) -> str:
    return _STATE_PREFIX + hashlib.sha256(state.encode()).hexdigest()


async def put_state(redis: Redis, state: str, sealed: bytes, ttl_seconds: int) -> None:
    await redis.set(_state_key(state), sealed, ex=ttl_seconds, nx=True)


async def take_state(redis: Redis, state: str) -> bytes | None:
    sealed = await redis.getdel(_state_key(state))
    if sealed is None:
        return None
    return sealed if isinstance(sealed, bytes) else str(sealed).encode()
