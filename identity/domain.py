"""Identity rules that need neither gRPC nor a database: password hashing and the built-in roles."""

from __future__ import annotations

from dataclasses import dataclass

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

DEFAULT_TENANT_SLUG = "default"
DEFAULT_TENANT_NAME = "Default"


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


@dataclass(frozen=True)
class RoleSpec:
    """A built-in role: its own permissions; it also holds everything its parent holds."""

    name: str
    description: str
    permissions: tuple[str, ...]
    parent: str | None = None


SUPER_ADMIN = "super_admin"
TENANT_ADMIN = "tenant_admin"
DEVELOPER = "developer"
USER = "user"

# Parents come before children, so they can be created in this order.
BUILT_IN_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(SUPER_ADMIN, "Everything, in every tenant", ("*:*",)),
    RoleSpec(
        USER,
        "Chat, manage own conversations and profile",
        (
            "profile:read",
            "profile:update",
            "conversations:*",
            "messages:*",
            "models:list",
            "chat:create",
            "knowledge_bases:read",
            "documents:read",
            "usage:read",
            "notifications:read",
            "notifications:update",
        ),
    ),
    RoleSpec(
        DEVELOPER,
        "A user who also builds on the API: keys, knowledge bases, agents",
        (
            "api_keys:*",
            "knowledge_bases:*",
            "documents:*",
            "agents:*",
            "embeddings:create",
        ),
        parent=USER,
    ),
    RoleSpec(
        TENANT_ADMIN,
        "Runs one tenant: its users, roles, keys, usage and audit log",
        (
            "users:*",
            "roles:*",
            "tenants:read",
            "quotas:read",
            "audit:read",
            "analytics:read",
            "notifications:*",
        ),
        parent=DEVELOPER,
    ),
)
