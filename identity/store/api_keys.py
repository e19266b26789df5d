"""API keys: the table and every query on it.

Only the SHA-256 of the secret is stored (the secret has ≥ 192 bits of entropy, so a
fast hash is enough; argon2 is for low-entropy passwords). ``status`` holds what an
admin set (active/disabled); ``deleted_at`` marks revocation. Expired and exhausted are
derived from ``expire_at`` and the quota columns when read, so no job has to flip them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Row,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from identity.domain.api_keys import KeyView
from identity.store.paging import Cursor, after_cursor
from identity.store.tables import metadata, tenants, users

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(tenants.c.id, ondelete="CASCADE"), nullable=False),
    Column("owner_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("secret_hash", LargeBinary, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="active"),
    Column("expire_at", DateTime(timezone=True), nullable=True),
    Column("unlimited_quota", Boolean, nullable=False, server_default=text("false")),
    Column("remaining_quota", BigInteger, nullable=False, server_default=text("0")),
    Column("used_quota", BigInteger, nullable=False, server_default=text("0")),
    Column("allowed_models", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("allowed_cidrs", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("secret_hash"),
    CheckConstraint("status IN ('active', 'disabled')", name="status_known"),
    CheckConstraint("octet_length(secret_hash) = 32", name="secret_hash_is_sha256"),
)
Index(
    "ix_api_keys_tenant_id_owner_id_created_at",
    api_keys.c.tenant_id,
    api_keys.c.owner_id,
    api_keys.c.created_at,
)


@dataclass(frozen=True)
class KeyRecord:
    """A key as stored: its view plus the hash the caches are keyed by."""

    view: KeyView
    secret_hash: bytes


def _record(row: Row[Any]) -> KeyRecord:
    m = row._mapping
    view = KeyView(
        id=m["id"],
        tenant_id=m["tenant_id"],
        owner_id=m["owner_id"],
        name=m["name"],
        prefix=m["prefix"],
        status=m["status"],
        deleted_at=m["deleted_at"],
        expire_at=m["expire_at"],
        unlimited_quota=m["unlimited_quota"],
        remaining_quota=m["remaining_quota"],
        used_quota=m["used_quota"],
        allowed_models=tuple(m["allowed_models"]),
        allowed_cidrs=tuple(m["allowed_cidrs"]),
        last_used_at=m["last_used_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )
    return KeyRecord(view, bytes(m["secret_hash"]))


async def insert_key(session: AsyncSession, **values: Any) -> KeyRecord:
    """Insert a key; ``values`` are column values (``secret_hash`` and ``prefix`` included)."""
    row = (await session.execute(api_keys.insert().values(**values).returning(*api_keys.c))).one()
    return _record(row)


async def key_hashes(
    session: AsyncSession, *, owner_id: uuid.UUID | None = None, tenant_id: uuid.UUID | None = None
) -> list[bytes]:
    """Secret hashes of one owner's (or one tenant's) keys: what caches must forget when
    the owner's or the tenant's standing changes."""
    stmt = select(api_keys.c.secret_hash).where(api_keys.c.deleted_at.is_(None))
    if owner_id is not None:
        stmt = stmt.where(api_keys.c.owner_id == owner_id)
    if tenant_id is not None:
        stmt = stmt.where(api_keys.c.tenant_id == tenant_id)
    return [bytes(h) for h in (await session.execute(stmt)).scalars()]


async def count_live_keys(session: AsyncSession, owner_id: uuid.UUID) -> int:
    """Keys of ``owner_id`` not deleted (active, disabled, expired or exhausted alike)."""
    stmt = (
        select(func.count())
        .select_from(api_keys)
        .where(api_keys.c.owner_id == owner_id, api_keys.c.deleted_at.is_(None))
    )
    return int((await session.execute(stmt)).scalar_one())


async def key_by_id(
    session: AsyncSession, key_id: uuid.UUID, *, for_update: bool = False
) -> KeyRecord | None:
    stmt = select(*api_keys.c).where(api_keys.c.id == key_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else _record(row)


async def key_by_hash(session: AsyncSession, secret_hash: bytes) -> KeyView | None:
    """The authentication lookup (one index probe on the unique hash)."""
    row = (
        await session.execute(select(*api_keys.c).where(api_keys.c.secret_hash == secret_hash))
    ).one_or_none()
    return None if row is None else _record(row).view


async def update_key(session: AsyncSession, key_id: uuid.UUID, **values: Any) -> KeyRecord:
    stmt = (
        update(api_keys)
        .where(api_keys.c.id == key_id)
        .values(**values, updated_at=func.now())
        .returning(*api_keys.c)
    )
    return _record((await session.execute(stmt)).one())


def _status_condition(status: str, now: datetime) -> ColumnElement[bool]:
    t = api_keys.c
    live = and_(t.deleted_at.is_(None), t.status == "active")
    not_expired = or_(t.expire_at.is_(None), t.expire_at > now)
    has_quota = or_(t.unlimited_quota.is_(True), t.remaining_quota > 0)
    conditions: dict[str, ColumnElement[bool]] = {
        "deleted": t.deleted_at.is_not(None),
        "disabled": and_(t.deleted_at.is_(None), t.status == "disabled"),
        "expired": and_(live, t.expire_at <= now),
        "exhausted": and_(live, not_expired, not_(has_quota)),
        "active": and_(live, not_expired, has_quota),
    }
    return conditions[status]


async def list_keys(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID | None,
    status: str | None,
    show_deleted: bool,
    now: datetime,
    limit: int,
    after: Cursor | None,
) -> list[KeyView]:
    """Newest first; ``owner_id`` None means the whole tenant. Deleted keys only when asked for."""
    t = api_keys.c
    conditions: list[ColumnElement[bool]] = [t.tenant_id == tenant_id]
    if owner_id is not None:
        conditions.append(t.owner_id == owner_id)
    if status is not None:
        conditions.append(_status_condition(status, now))
    elif not show_deleted:
        conditions.append(t.deleted_at.is_(None))
    if after is not None:
        conditions.append(after_cursor(t.created_at, t.id, after))
    stmt = select(*api_keys.c).where(*conditions).order_by(t.created_at.desc(), t.id.desc()).limit(limit)
    return [_record(row).view for row in await session.execute(stmt)]


async def touch_last_used(session: AsyncSession, used: Mapping[uuid.UUID, datetime]) -> None:
    """Write a batch of last-used times; an older time never overwrites a newer one."""
    if not used:
        return
    items = list(used.items())
    stmt = text(
        "UPDATE identity.api_keys AS k SET last_used_at = GREATEST(k.last_used_at, u.at) "
        "FROM unnest(CAST(:ids AS uuid[]), CAST(:ats AS timestamptz[])) AS u(id, at) WHERE k.id = u.id"
    )
    await session.execute(stmt, {"ids": [i for i, _ in items], "ats": [a for _, a in items]})
