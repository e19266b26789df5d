"""The second login step: the MFA token a login hands back when TOTP is on, and its use.

Every login path calls :func:`login_challenge` once the first factor passed. The MFA
token is good for a few wrong codes and exactly one success; wrong codes also count
per user across MFA tokens, so logging in again does not buy fresh guesses (the
limits are in ``identity.domain.mfa``, the Redis keys in ``identity.store.mfa_logins``).
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING

from identity.domain.mfa import (
    MAX_MFA_ATTEMPTS,
    MAX_MFA_FAILURES_PER_USER,
    MFA_FAILURE_WINDOW_SECONDS,
    MFA_TOKEN_TTL_SECONDS,
    MfaChallenge,
    PendingMfaLogin,
    invalid_mfa_token,
    require_mfa_token,
)
from identity.store import mfa as mfa_store
from identity.store import mfa_logins
from mesh.errors import ResourceExhausted

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

__all__ = ["check_mfa_lockout", "consume_mfa_login", "count_mfa_failure", "login_challenge", "peek_mfa_login"]


async def login_challenge(
    db: AsyncSession | AsyncConnection,
    redis: Redis,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    method: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> MfaChallenge | None:
    """The hook every login path calls once the first factor passed and before issuing tokens.

    Returns None when the user has no TOTP (issue tokens as usual); otherwise a challenge
    whose ``mfa_token`` the response carries instead of tokens (``mfa_required = true``).
    """
    if not await mfa_store.totp_enabled(db, user_id):
        return None
    token = secrets.token_urlsafe(32)
    fields = {
        "user_id": str(user_id),
        "tenant_id": str(tenant_id),
        "method": method,
        "ip": ip or "",
        "user_agent": (user_agent or "")[:512],
        "attempts": "0",
    }
    await mfa_logins.put_pending(redis, token, fields, MFA_TOKEN_TTL_SECONDS)
    return MfaChallenge(mfa_token=token, expires_in=MFA_TOKEN_TTL_SECONDS)


async def peek_mfa_login(redis: Redis, mfa_token: str) -> PendingMfaLogin:
    """The pending login, without consuming it; UNAUTHENTICATED when unknown or expired."""
    key, data = await mfa_logins.read_pending(redis, require_mfa_token(mfa_token))
    if not data:
        raise invalid_mfa_token()
    try:
        return PendingMfaLogin(
            key=key,
            user_id=uuid.UUID(data["user_id"]),
            tenant_id=uuid.UUID(data["tenant_id"]),
            method=data.get("method", ""),
            ip=data.get("ip", ""),
            user_agent=data.get("user_agent", ""),
            attempts=int(data.get("attempts", "0")),
        )
    except (KeyError, ValueError):
        raise invalid_mfa_token() from None


async def count_mfa_failure(redis: Redis, user_id: uuid.UUID, pending: PendingMfaLogin | None = None) -> None:
    """Record a wrong code: burn the MFA token after a few, lock the user's codes after more."""
    key = pending.key if pending is not None else None
    attempts = await mfa_logins.count_failure(redis, user_id, MFA_FAILURE_WINDOW_SECONDS, key)
    if key is not None and attempts >= MAX_MFA_ATTEMPTS:
        await mfa_logins.delete_pending(redis, key)


async def check_mfa_lockout(redis: Redis, user_id: uuid.UUID) -> None:
    """RESOURCE_EXHAUSTED with RetryInfo while the user has too many recent wrong codes."""
    failures, ttl = await mfa_logins.failures(redis, user_id)
    if failures >= MAX_MFA_FAILURES_PER_USER:
        raise ResourceExhausted(
            "too many wrong verification codes; try again later",
            retry_after=float(max(ttl, 1)),
            reason="MFA_LOCKED",
        )


async def consume_mfa_login(redis: Redis, pending: PendingMfaLogin) -> None:
    """Spend the MFA token; UNAUTHENTICATED when a concurrent request spent it first."""
    if not await mfa_logins.spend_pending(redis, pending.key, pending.user_id):
        raise invalid_mfa_token()
