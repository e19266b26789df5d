"""Password hashing with Argon2id: the parameters live here so a change makes older hashes rehash at login."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet, Argon2id minimum: 19 MiB, 2 iterations,
# parallelism 1. Changing these makes `needs_rehash` true for older hashes, and
# login rehashes them transparently.
PASSWORD_HASHER = PasswordHasher(
    time_cost=2,
    memory_cost=19 * 1024,
    parallelism=1,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


def hash_password(password: str) -> str:
    """Argon2id PHC string (``$argon2id$v=19$m=19456,t=2,p=1$...``); salt included."""
    return PASSWORD_HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Constant-time check; a malformed stored hash counts as a mismatch, not a crash."""
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    try:
        return PASSWORD_HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def _character_classes(password: str) -> int:
    """How many of lower case, upper case, caseless letters (CJK...), digits and symbols it mixes."""
    classes = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isalpha() and not c.islower() and not c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    return sum(classes)


def password_problems(password: str, *, email: str = "", username: str = "") -> list[str]:
    """Everything wrong with a candidate password, in words a person can act on; empty when fine.

    Length is counted in characters (a passphrase in any script is fine); the upper
    bound keeps Argon2 work per request bounded. One character class alone
    (``password``, ``12345678``) is refused, as is the account's own email or
    username, or the email's local part.
    """
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters long")
    if password and _character_classes(password) < 2:
        problems.append("must mix at least two of: lower case, upper case, other letters, digits, symbols")
    lowered = password.casefold()
    personal = {email.casefold(), username.casefold(), email.partition("@")[0].casefold()} - {""}
    if lowered in personal:
        problems.append("must not be the account's email or username")
    return problems
