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
(``identity.mfa.challenge.login_challenge``, called by every login path): 256 random bits,
good for five minutes, a few wrong codes and exactly one success. Wrong codes also count
per user across MFA tokens, so logging in again does not buy an attacker fresh guesses
without end. The limits are here; the Redis state is in ``identity.store.mfa_logins``.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pyotp

from mesh.errors import FieldViolation, InvalidArgument, Unauthenticated

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
    "generate_recovery_codes",
    "invalid_mfa_token",
    "new_totp_secret",
    "normalize_recovery_code",
    "otpauth_uri",
    "require_mfa_token",
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


# ---- the second login step (its use cases: identity.mfa.challenge) ----

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


def require_mfa_token(mfa_token: str) -> str:
    """The MFA token, trimmed; INVALID_ARGUMENT unless it has the shape login hands out."""
    token = mfa_token.strip()
    if not _TOKEN_SHAPE.match(token):
        raise InvalidArgument(
            "malformed mfa_token",
            violations=[FieldViolation("mfa_token", "must be the mfa_token from the login response")],
            reason="MFA_TOKEN_MALFORMED",
        )
    return token


def invalid_mfa_token() -> Unauthenticated:
    return Unauthenticated("the MFA token is unknown or expired; log in again", reason="MFA_TOKEN_INVALID")
