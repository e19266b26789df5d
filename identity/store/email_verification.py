"""Email verification tokens: SHA-256 of each token, the address it proves, expiry and single use.

A token proves one address: if the user's email changed after the link was mailed, the
old link no longer verifies anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Table,
    Text,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from identity.store.tables import metadata, users

__all__ = [
    "VerificationRow",
    "count_recent",
    "discard_for_user",
    "email_verification_tokens",
    "find_token",
    "insert_token",
    "mark_used",
]

email_verification_tokens = Table(
    "email_verification_tokens",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("email", Text, nullable=False),
    Column("token_hash", LargeBinary, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index(None, "user_id", "created_at"),
)


@dataclass(frozen=True)
class VerificationRow:
    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    expires_at: datetime
    used_at: datetime | None


async def insert_token(
    db: AsyncSession, *, user_id: uuid.UUID, email: str, token_hash: bytes, expires_at: datetime
) -> uuid.UUID:
    t = email_verification_tokens
    stmt = (
        t.insert()
        .values(user_id=user_id, email=email, token_hash=token_hash, expires_at=expires_at)
        .returning(t.c.id)
    )
    return (await db.execute(stmt)).scalar_one()


async def count_recent(db: AsyncSession, user_id: uuid.UUID, since: datetime) -> int:
    t = email_verification_tokens
    stmt = select(func.count()).select_from(t).where(t.c.user_id == user_id, t.c.created_at >= since)
    return int((await db.execute(stmt)).scalar_one())


async def find_token(db: AsyncSession, token_hash: bytes) -> VerificationRow | None:
    """The token, locked, so two concurrent uses cannot both spend it."""
    t = email_verification_tokens
    stmt = (
        select(t.c.id, t.c.user_id, t.c.email, t.c.expires_at, t.c.used_at)
        .where(t.c.token_hash == token_hash)
        .with_for_update()
    )
    row = (await db.execute(stmt)).first()
    return None if row is None else VerificationRow(*row)


async def mark_used(db: AsyncSession, token_id: uuid.UUID) -> None:
    t = email_verification_tokens
    await db.execute(t.update().where(t.c.id == token_id).values(used_at=func.now()))


async def discard_for_user(db: AsyncSession, user_id: uuid.UUID) -> None:
    """Unused links of a user stop working (its address changed, or one of them was used)."""
    t = email_verification_tokens
    await db.execute(delete(t).where(t.c.user_id == user_id, t.c.used_at.is_(None)))
