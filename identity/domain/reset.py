"""Password-reset rules: token shape, lifetime, single use, and the link the user is mailed.

The raw token leaves identity exactly once, inside the ``PasswordResetRequested``
event (the notification service mails the link). Only its SHA-256 is stored: the
token carries 256 random bits, so a plain hash is enough to make a leaked table
useless, and a keyed or slow hash would add nothing but cost.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument

__all__ = [
    "MAX_RESET_REQUESTS_PER_HOUR",
    "RESET_TOKEN_TTL",
    "ResetTokenState",
    "check_reset_token",
    "hash_reset_token",
    "new_reset_token",
    "parse_reset_token",
    "reset_url",
]

RESET_TOKEN_TTL = timedelta(hours=1)
# Per account: enough for a user who lost a mail, too few to flood an inbox.
MAX_RESET_REQUESTS_PER_HOUR = 5

_TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_reset_token() -> tuple[str, bytes]:
    """(raw token for the link, the hash to store)."""
    raw = secrets.token_urlsafe(_TOKEN_BYTES)
    return raw, hash_reset_token(raw)


def hash_reset_token(raw: str) -> bytes:
    return hashlib.sha256(raw.encode("ascii")).digest()


def parse_reset_token(raw: str) -> str:
    """The token, trimmed; INVALID_ARGUMENT when it cannot be one we issued (nothing is looked up)."""
    token = raw.strip()
    if not _TOKEN_SHAPE.match(token):
        raise _invalid_token("is not a password reset token")
    return token


@dataclass(frozen=True)
class ResetTokenState:
    """What the store knows about a token found by its hash."""

    expires_at: datetime
    used_at: datetime | None
    user_active: bool


def check_reset_token(state: ResetTokenState | None, now: datetime) -> None:
    """Raise the error that tells the user what to do, or return when the token may be used."""
    if state is None or not state.user_active:
        raise _invalid_token("is unknown; request a new password reset")
    if state.used_at is not None:
        raise FailedPrecondition(
            "this password reset link was already used; request a new one",
            reason="RESET_TOKEN_USED",
        )
    if state.expires_at <= now:
        raise FailedPrecondition(
            "this password reset link has expired; request a new one",
            reason="RESET_TOKEN_EXPIRED",
            metadata={"expire_time": state.expires_at.isoformat()},
        )


def reset_url(base: str, token: str) -> str:
    """The link the user is mailed: ``base`` with the token as the ``token`` query parameter."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}token={quote(token, safe='')}"


def _invalid_token(problem: str) -> InvalidArgument:
    return InvalidArgument(
        f"password reset token {problem}",
        violations=[FieldViolation("token", f"password reset token {problem}")],
        reason="RESET_TOKEN_INVALID",
    )
