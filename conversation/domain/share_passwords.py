"""Passwords on share links, hashed with Argon2id (the same OWASP minimum identity uses).

Hashing is CPU-bound for ~tens of milliseconds, so callers run it in a thread.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from mesh.errors import FieldViolation

__all__ = [
    "MAX_SHARE_PASSWORD",
    "MIN_SHARE_PASSWORD",
    "hash_share_password",
    "share_password_problems",
    "verify_share_password",
]

MIN_SHARE_PASSWORD = 4
MAX_SHARE_PASSWORD = 128
_HASHER = PasswordHasher(
    time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)


def share_password_problems(password: str, field: str) -> list[FieldViolation]:
    if password and not MIN_SHARE_PASSWORD <= len(password) <= MAX_SHARE_PASSWORD:
        return [FieldViolation(field, f"between {MIN_SHARE_PASSWORD} and {MAX_SHARE_PASSWORD} characters")]
    return []


def hash_share_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_share_password(password_hash: str, password: str) -> bool:
    """Constant-time check; a malformed stored hash counts as a mismatch."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
