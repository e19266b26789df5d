"""TOTP secrets (encrypted at rest) and recovery codes (keyed hashes), one TOTP row per user.

A row with ``confirmed_at`` NULL is a pending enrolment; TOTP is on once it is set.
``last_used_step`` makes accepted codes single use: it only moves forward, through a
conditional UPDATE, so two requests racing with the same code cannot both win.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    LargeBinary,
    Table,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from identity.store.tables import metadata, users

__all__ = [
    "TotpRow",
    "advance_totp_step",
    "confirm_totp",
    "consume_recovery_code",
    "delete_totp",
    "get_totp",
    "mfa_recovery_codes",
    "mfa_totp",
    "remaining_recovery_codes",
    "replace_recovery_codes",
    "totp_enabled",
    "upsert_pending_totp",
]

Db = AsyncSession | AsyncConnection

mfa_totp = Table(
    "mfa_totp",
    metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), primary_key=True),
    Column("secret_encrypted", LargeBinary, nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("last_used_step", BigInteger, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

mfa_recovery_codes = Table(
    "mfa_recovery_codes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("code_hash", LargeBinary, nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("user_id", "code_hash"),
)


@dataclass(frozen=True)
class TotpRow:
    user_id: uuid.UUID
    secret_encrypted: bytes
    confirmed_at: datetime | None
    last_used_step: int | None

    @property
    def enabled(self) -> bool:
        return self.confirmed_at is not None


async def get_totp(db: Db, user_id: uuid.UUID, *, for_update: bool = False) -> TotpRow | None:
    t = mfa_totp
    stmt = select(t.c.user_id, t.c.secret_encrypted, t.c.confirmed_at, t.c.last_used_step).where(
        t.c.user_id == user_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    row = (await db.execute(stmt)).first()
    return None if row is None else TotpRow(row[0], row[1], row[2], row[3])


async def totp_enabled(db: Db, user_id: uuid.UUID) -> bool:
    t = mfa_totp
    stmt = select(t.c.user_id).where(t.c.user_id == user_id, t.c.confirmed_at.is_not(None))
    return (await db.execute(stmt)).first() is not None


async def upsert_pending_totp(db: Db, user_id: uuid.UUID, secret_encrypted: bytes) -> bool:
    """Store a new pending secret (replacing a pending one); False when TOTP is already confirmed."""
    t = mfa_totp
    stmt = (
        insert(t)
        .values(user_id=user_id, secret_encrypted=secret_encrypted)
        .on_conflict_do_update(
            index_elements=[t.c.user_id],
            set_={
                "secret_encrypted": secret_encrypted,
                "last_used_step": None,
                "created_at": func.now(),
                "updated_at": func.now(),
            },
            where=t.c.confirmed_at.is_(None),
        )
        .returning(t.c.user_id)
    )
    return (await db.execute(stmt)).first() is not None


async def advance_totp_step(db: Db, user_id: uuid.UUID, step: int) -> bool:
    """Record ``step`` as used; False when it (or a later one) was used already: a replay."""
    t = mfa_totp
    stmt = (
        t.update()
        .where(t.c.user_id == user_id, or_(t.c.last_used_step.is_(None), t.c.last_used_step < step))
        .values(last_used_step=step, updated_at=func.now())
        .returning(t.c.user_id)
    )
    return (await db.execute(stmt)).first() is not None


async def confirm_totp(db: Db, user_id: uuid.UUID) -> None:
    t = mfa_totp
    await db.execute(
        t.update().where(t.c.user_id == user_id).values(confirmed_at=func.now(), updated_at=func.now())
    )


async def delete_totp(db: Db, user_id: uuid.UUID) -> None:
    await db.execute(delete(mfa_totp).where(mfa_totp.c.user_id == user_id))
    await db.execute(delete(mfa_recovery_codes).where(mfa_recovery_codes.c.user_id == user_id))


async def replace_recovery_codes(db: Db, user_id: uuid.UUID, code_hashes: list[bytes]) -> None:
    r = mfa_recovery_codes
    await db.execute(delete(r).where(r.c.user_id == user_id))
    await db.execute(r.insert(), [{"user_id": user_id, "code_hash": h} for h in code_hashes])


async def consume_recovery_code(db: Db, user_id: uuid.UUID, code_hash: bytes) -> bool:
    """Mark the code used; False when it is unknown or was used before."""
    r = mfa_recovery_codes
    stmt = (
        r.update()
        .where(r.c.user_id == user_id, r.c.code_hash == code_hash, r.c.used_at.is_(None))
        .values(used_at=func.now())
        .returning(r.c.id)
    )
    return (await db.execute(stmt)).first() is not None


async def remaining_recovery_codes(db: Db, user_id: uuid.UUID) -> int:
    r = mfa_recovery_codes
    stmt = select(func.count()).select_from(r).where(r.c.user_id == user_id, r.c.used_at.is_(None))
    return int((await db.execute(stmt)).scalar_one())
