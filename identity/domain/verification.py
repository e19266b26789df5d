"""Email verification rules: link lifetime, resend limit, and when a token proves an address.

Tokens are made and hashed like password-reset tokens (256 random bits, SHA-256 stored).
A token proves the address it was mailed to, so a link mailed before an email change
verifies nothing afterwards.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument

__all__ = [
    "MAX_VERIFICATIONS_PER_HOUR",
    "VERIFICATION_TTL",
    "check_verification",
    "parse_verification_token",
]

VERIFICATION_TTL = timedelta(hours=24)
MAX_VERIFICATIONS_PER_HOUR = 5
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def parse_verification_token(raw: str) -> str:
    token = raw.strip()
    if not _TOKEN_SHAPE.match(token):
        raise _invalid("is not an email verification token")
    return token


def check_verification(
    *,
    found: bool,
    used: bool,
    expires_at: datetime | None,
    token_email: str,
    user_email: str | None,
    now: datetime,
) -> None:
    """Raise the error telling the user what to do, or return when the token proves the address."""
    if not found or user_email is None or token_email.lower() != user_email.lower():
        raise _invalid("is unknown; request a new verification link")
    if used:
        raise FailedPrecondition("this verification link was already used", reason="VERIFICATION_TOKEN_USED")
    if expires_at is None or expires_at <= now:
        raise FailedPrecondition(
            "this verification link has expired; request a new one", reason="VERIFICATION_TOKEN_EXPIRED"
        )


def _invalid(problem: str) -> InvalidArgument:
    return InvalidArgument(
        f"verification token {problem}",
        violations=[FieldViolation("token", f"verification token {problem}")],
        reason="VERIFICATION_TOKEN_INVALID",
    )
