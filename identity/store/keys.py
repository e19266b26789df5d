"""Signing keys for identity's JWTs: public key in the clear, private key encrypted at rest.

Exactly one key is ``active`` (a partial unique index enforces it); rotation
retires it and inserts a new one in one transaction. Retired keys stay
published until every token they signed has expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from identity.store.tables import metadata

__all__ = [
    "SigningKeyRow",
    "insert_active_key",
    "lock_keys",
    "published_keys",
    "retire_active_key",
    "signing_keys",
]

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("algorithm", Text, nullable=False),
    # Raw public key bytes (32 for Ed25519).
    Column("public_key", LargeBinary, nullable=False),
    # mesh.secrets SecretBox ciphertext of the raw private key, bound to the kid.
    Column("private_key_encrypted", LargeBinary, nullable=False),
    Column("status", Text, nullable=False, server_default="active"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("retired_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('active', 'retired')", name="status_known"),
    CheckConstraint("(status = 'retired') = (retired_at IS NOT NULL)", name="retired_at_matches_status"),
    Index("uq_signing_keys_active", "status", unique=True, postgresql_where=text("status = 'active'")),
)

_KEYS_LOCK = 0x69_64_2D_6B_65_79_73  # "id-keys": one key creation/rotation at a time


@dataclass(frozen=True)
class SigningKeyRow:
    kid: str
    algorithm: str
    public_key: bytes
    private_key_encrypted: bytes
    status: str
    created_at: datetime
    retired_at: datetime | None


_COLUMNS = (
    signing_keys.c.kid,
    signing_keys.c.algorithm,
    signing_keys.c.public_key,
    signing_keys.c.private_key_encrypted,
    signing_keys.c.status,
    signing_keys.c.created_at,
    signing_keys.c.retired_at,
)


async def lock_keys(db: AsyncSession | AsyncConnection) -> None:
    """Serialise key creation across identity instances (held until commit)."""
    await db.execute(select(func.pg_advisory_xact_lock(_KEYS_LOCK)))


async def published_keys(db: AsyncSession | AsyncConnection, retired_after: datetime) -> list[SigningKeyRow]:
    """The active key first, then keys retired after ``retired_after`` (newest first)."""
    stmt = (
        select(*_COLUMNS)
        .where((signing_keys.c.status == "active") | (signing_keys.c.retired_at > retired_after))
        .order_by((signing_keys.c.status == "active").desc(), signing_keys.c.created_at.desc())
    )
    return [SigningKeyRow(*row) for row in await db.execute(stmt)]


async def retire_active_key(db: AsyncSession | AsyncConnection) -> None:
    await db.execute(
        update(signing_keys)
        .where(signing_keys.c.status == "active")
        .values(status="retired", retired_at=func.now())
    )


async def insert_active_key(
    db: AsyncSession | AsyncConnection,
    *,
    kid: str,
    algorithm: str,
    public_key: bytes,
    private_key_encrypted: bytes,
) -> None:
    await db.execute(
        signing_keys.insert().values(
            kid=kid,
            algorithm=algorithm,
            public_key=public_key,
            private_key_encrypted=private_key_encrypted,
            status="active",
        )
    )
