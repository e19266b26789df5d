"""The Redis keys through which identity tells the whole mesh a token is revoked.

The key names are ``mesh.auth_jwt``'s, because every service's verifier reads them:
one access token (``blacklist_key``) or a whole session (``revoked_session_key``).
Each key lives only as long as the tokens it refuses could.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from mesh.auth_jwt import blacklist_key, revoked_session_key

__all__ = ["revoke_access_token", "revoke_sessions"]


async def revoke_access_token(redis: Redis, jti: str, ttl_seconds: int) -> None:
    await redis.set(blacklist_key(jti), "1", ex=ttl_seconds)


async def revoke_sessions(
    redis: Redis, sessions: Sequence[tuple[str, int]], access_tokens: Sequence[tuple[str, int]]
) -> None:
    """Mark ``(session id, ttl)`` sessions and ``(jti, ttl)`` access tokens revoked, in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        for session_id, ttl in sessions:
            pipe.set(revoked_session_key(session_id), "1", ex=ttl)
        for jti, ttl in access_tokens:
            pipe.set(blacklist_key(jti), "1", ex=ttl)
        await pipe.execute()
