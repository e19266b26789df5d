"""Password-reset tokens: only the SHA-256 of each token is stored, with expiry and single use."""

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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from identity.store.tables import metadata, users

__all__ = [
    "ResetTokenRow",
    "count_recent_requests",
    "discard_other_tokens",
    "find_token",
    "insert_token",
    "mark_used",
    "password_reset_tokens",
]

Db = AsyncSession | AsyncConnection

password_reset_tokens = Table(
    "password_reset_tokens",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("token_hash", LargeBinary, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("requested_ip", Text, nullable=True),
    Index(None, "user_id", "created_at"),
)


@dataclass(frozen=True)
class ResetTokenRow:
    id: uuid.UUID
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None
    user_status: str


async def insert_token(
    db: Db, *, user_id: uuid.UUID, token_hash: bytes, expires_at: datetime, ip: str | None
) -> uuid.UUID:
    stmt = (
        password_reset_tokens.insert()
        .values(user_id=user_id, token_hash=token_hash, expires_at=expires_at, requested_ip=ip)
        .returning(password_reset_tokens.c.id)
    )
    return (await db.execute(stmt)).scalar_one()


async def count_recent_requests(db: Db, user_id: uuid.UUID, since: datetime) -> int:
    t = password_reset_tokens
    stmt = select(func.count()).select_from(t).where(t.c.user_id == user_id, t.c.created_at >= since)
    return int((await db.execute(stmt)).scalar_one())


async def find_token(db: Db, token_hash: bytes, *, for_update: bool = False) -> ResetTokenRow | None:
    """The token and its user; ``for_update`` locks the token so two concurrent resets cannot both use it."""
    t = password_reset_tokens
    stmt = (
        select(t.c.id, t.c.user_id, users.c.tenant_id, t.c.expires_at, t.c.used_at, users.c.status)
        .join(users, users.c.id == t.c.user_id)
        .where(t.c.token_hash == token_hash)
    )
    if for_update:
        stmt = stmt.with_for_update(of=t)
    row = (await db.execute(stmt)).first()
    if row is None:
        return None
    return ResetTokenRow(row.id, row.user_id, row.tenant_id, row.expires_at, row.used_at, row.status)


async def mark_used(db: Db, token_id: uuid.UUID) -> None:
    t = password_reset_tokens
    await db.execute(t.update().where(t.c.id == token_id).values(used_at=func.now()))


async def discard_other_tokens(db: Db, user_id: uuid.UUID, keep: uuid.UUID) -> None:
    """After a reset, links mailed earlier must not work any more."""
    t = password_reset_tokens
    await db.execute(delete(t).where(t.c.user_id == user_id, t.c.id != keep, t.c.used_at.is_(None)))
