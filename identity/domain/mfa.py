"""TOTP second factor and recovery codes: the rules, with no database or gRPC in sight.

TOTP follows RFC 6238 with the parameters every authenticator app understands
(SHA-1, 6 digits, 30 s). A code is accepted one step either side of now to absorb clock
drift, and the matching *step* is returned so the caller can refuse a second use of the
same code (or of an older one): RFC 6238 section 5.2 asks for exactly that.

Recovery codes are 50-bit random strings shown once. They are stored as keyed hashes
(HMAC with the service's secret key, see ``mesh.secrets.SecretBox.fingerprint``), so a
leaked table alone cannot be brute-forced offline, and compared after normalising case,
spaces and dashes, which people add or drop when typing them.

A login whose first step passed for a user with TOTP on gets no tokens, only an MFA token
(:func:`login_challenge`, called by every login path): 256 random bits, kept in Redis under
its SHA-256 for five minutes, good for a few wrong codes and exactly one success. Wrong
codes also count per user across MFA tokens, so logging in again does not buy an attacker
fresh guesses without end.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import pyotp

from identity.store import mfa as mfa_store
from mesh.errors import FieldViolation, InvalidArgument, ResourceExhausted, Unauthenticated

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

__all__ = [
    "ISSUER",
    "MAX_MFA_ATTEMPTS",
    "MAX_MFA_FAILURES_PER_USER",
    "MFA_FAILURE_WINDOW_SECONDS",
    "MFA_TOKEN_TTL_SECONDS",
    "RECOVERY_CODE_COUNT",
    "TOTP_DIGITS",
    "TOTP_PERIOD_SECONDS",
    "TOTP_WINDOW",
    "MfaChallenge",
    "PendingMfaLogin",
    "check_mfa_lockout",
    "consume_mfa_login",
    "count_mfa_failure",
    "generate_recovery_codes",
    "login_challenge",
    "new_totp_secret",
    "normalize_recovery_code",
    "otpauth_uri",
    "peek_mfa_login",
    "require_recovery_code",
    "require_totp_code",
    "totp_step",
    "verify_totp",
]

ISSUER = "chatmesh"
TOTP_DIGITS = 6
TOTP_PERIOD_SECONDS = 30
TOTP_WINDOW = 1
RECOVERY_CODE_COUNT = 10
MFA_TOKEN_TTL_SECONDS = 300
MAX_MFA_ATTEMPTS = 5
MAX_MFA_FAILURES_PER_USER = 10
MFA_FAILURE_WINDOW_SECONDS = 900

_SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 block RFC 4226 recommends
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
_RECOVERY_GROUP = 5
_TOTP_CODE = re.compile(r"^\d{6}$")
_RECOVERY_CODE = re.compile(rf"^[{_RECOVERY_ALPHABET}]{{{2 * _RECOVERY_GROUP}}}$")


@dataclass(frozen=True)
class MfaChallenge:
    """What a password (or OAuth) login hands back instead of tokens when TOTP is on."""

    mfa_token: str
    expires_in: int


def new_totp_secret() -> str:
    """Base32 secret, unpadded, as authenticator apps expect it."""
    return pyotp.random_base32(length=_SECRET_BYTES * 8 // 5)


def otpauth_uri(secret: str, account_name: str, issuer: str = ISSUER) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=...&issuer=...`` (Google Authenticator key URI format)."""
    label = quote(f"{issuer}:{account_name}", safe="@:")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": TOTP_DIGITS,
            "period": TOTP_PERIOD_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def totp_step(at: float | None = None) -> int:
    """The RFC 6238 time step (``T``) of ``at`` (now by default)."""
    return int((time.time() if at is None else at) // TOTP_PERIOD_SECONDS)


def verify_totp(
    secret: str, code: str, *, at: float | None = None, after_step: int | None = None
) -> int | None:
    """The step whose code equals ``code`` within ±``TOTP_WINDOW``, or None.

    Steps at or before ``after_step`` (the last one accepted for this secret) never
    match, so a code cannot be replayed, nor an older one used after a newer one.
    """
    if not _TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS)
    now = totp_step(at)
    for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def generate_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """``count`` fresh codes like ``k7mfq-2xrzd`` (50 bits each)."""
    return [_recovery_code() for _ in range(count)]


def _recovery_code() -> str:
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(2 * _RECOVERY_GROUP))
    return f"{chars[:_RECOVERY_GROUP]}-{chars[_RECOVERY_GROUP:]}"


def normalize_recovery_code(code: str) -> str:
    """The canonical form that is hashed: lower case, without spaces or dashes."""
    return re.sub(r"[\s-]", "", code).lower()


def require_totp_code(code: str, field: str = "code") -> str:
    """The code with surrounding spaces removed; INVALID_ARGUMENT unless it is six digits."""
    cleaned = code.replace(" ", "")
    if not _TOTP_CODE.match(cleaned):
        raise InvalidArgument(
            "a TOTP code is six digits",
            violations=[FieldViolation(field, "must be the 6-digit code from the authenticator app")],
            reason="TOTP_CODE_MALFORMED",
        )
    return cleaned


def require_recovery_code(code: str, field: str = "recovery_code") -> str:
    """The normalised code; INVALID_ARGUMENT when it cannot be one of ours."""
    cleaned = normalize_recovery_code(code)
    if not _RECOVERY_CODE.match(cleaned):
        raise InvalidArgument(
            "malformed recovery code",
            violations=[FieldViolation(field, "must be a recovery code like 'k7mfq-2xrzd'")],
            reason="RECOVERY_CODE_MALFORMED",
        )
    return cleaned


# ---- the second login step ----

_PENDING_PREFIX = "mfa:login:"
_FAILURES_PREFIX = "mfa:failures:"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class PendingMfaLogin:
    """A login waiting for its second factor; ``method`` is how the first step passed."""

    key: str
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    method: str
    ip: str
    user_agent: str
    attempts: int


def _pending_key(mfa_token: str) -> str:
    return _PENDING_PREFIX + hashlib.sha256(mfa_token.encode("ascii")).hexdigest()


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
    key = _pending_key(token)
    fields: dict[Any, Any] = {
        "user_id": str(user_id),
        "tenant_id": str(tenant_id),
        "method": method,
        "ip": ip or "",
        "user_agent": (user_agent or "")[:512],
        "attempts": "0",
    }
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=fields)
        pipe.expire(key, MFA_TOKEN_TTL_SECONDS)
        await pipe.execute()
    return MfaChallenge(mfa_token=token, expires_in=MFA_TOKEN_TTL_SECONDS)


def _invalid_mfa_token() -> Unauthenticated:
    return Unauthenticated("the MFA token is unknown or expired; log in again", reason="MFA_TOKEN_INVALID")


async def peek_mfa_login(redis: Redis, mfa_token: str) -> PendingMfaLogin:
    """The pending login, without consuming it; UNAUTHENTICATED when unknown or expired."""
    token = mfa_token.strip()
    if not _TOKEN_SHAPE.match(token):
        raise InvalidArgument(
            "malformed mfa_token",
            violations=[FieldViolation("mfa_token", "must be the mfa_token from the login response")],
            reason="MFA_TOKEN_MALFORMED",
        )
    key = _pending_key(token)
    raw = await redis.hgetall(key)  # type: ignore[misc]
    if not raw:
        raise _invalid_mfa_token()
    data = {_text(k): _text(v) for k, v in raw.items()}
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
        raise _invalid_mfa_token() from None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def count_mfa_failure(redis: Redis, user_id: uuid.UUID, pending: PendingMfaLogin | None = None) -> None:
    """Record a wrong code: burn the MFA token after a few, lock the user's codes after more."""
    failures = _FAILURES_PREFIX + str(user_id)
    async with redis.pipeline(transaction=True) as pipe:
        # SET NX EX then INCR: the window starts at the first failure (EXPIRE NX needs Redis 7).
        pipe.set(failures, 0, ex=MFA_FAILURE_WINDOW_SECONDS, nx=True)
        pipe.incr(failures)
        if pending is not None:
            pipe.hincrby(pending.key, "attempts", 1)
        results = await pipe.execute()
    if pending is not None and int(results[-1]) >= MAX_MFA_ATTEMPTS:
        await redis.delete(pending.key)


async def check_mfa_lockout(redis: Redis, user_id: uuid.UUID) -> None:
    """RESOURCE_EXHAUSTED with RetryInfo while the user has too many recent wrong codes."""
    key = _FAILURES_PREFIX + str(user_id)
    failures = await redis.get(key)
    if failures is not None and int(failures) >= MAX_MFA_FAILURES_PER_USER:
        ttl = await redis.ttl(key)
        raise ResourceExhausted(
            "too many wrong verification codes; try again later",
            retry_after=float(max(ttl, 1)),
            reason="MFA_LOCKED",
        )


async def consume_mfa_login(redis: Redis, pending: PendingMfaLogin) -> None:
    """Spend the MFA token; UNAUTHENTICATED when a concurrent request spent it first."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(pending.key)
        pipe.delete(_FAILURES_PREFIX + str(pending.user_id))
        deleted, _ = await pipe.execute()
    if not deleted:
        raise _invalid_mfa_token()
