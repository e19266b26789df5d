"""Links between chatmesh users and provider accounts; provider tokens are stored encrypted.

``(provider, provider_user_id)`` is unique: one provider account logs into exactly one
user. ``(user_id, provider)`` is unique too: a user links at most one account per provider,
which keeps "log in with GitHub" unambiguous.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from identity.store.paging import Cursor, after_cursor
from identity.store.tables import metadata, users
from mesh.errors import AlreadyExists

__all__ = [
    "LinkRow",
    "NewLink",
    "count_links",
    "delete_link",
    "find_link",
    "get_link",
    "insert_link",
    "list_links",
    "oauth_links",
    "touch_link",
]

Db = AsyncSession | AsyncConnection

oauth_links = Table(
    "oauth_links",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("provider", Text, nullable=False),
    Column("provider_user_id", Text, nullable=False),
    Column("provider_email", Text, nullable=True),
    Column("provider_username", Text, nullable=True),
    Column("access_token_encrypted", LargeBinary, nullable=True),
    Column("refresh_token_encrypted", LargeBinary, nullable=True),
    Column("token_expires_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("provider", "provider_user_id"),
    UniqueConstraint("user_id", "provider"),
    CheckConstraint("provider IN ('github', 'google', 'wechat')", name="provider_known"),
)

_COLUMNS = (
    oauth_links.c.id,
    oauth_links.c.user_id,
    oauth_links.c.provider,
    oauth_links.c.provider_user_id,
    oauth_links.c.provider_email,
    oauth_links.c.provider_username,
    oauth_links.c.created_at,
    oauth_links.c.last_login_at,
)


@dataclass(frozen=True)
class LinkRow:
    id: uuid.UUID
    user_id: uuid.UUID
    provider: str
    provider_user_id: str
    provider_email: str | None
    provider_username: str | None
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class NewLink:
    user_id: uuid.UUID
    provider: str
    provider_user_id: str
    provider_email: str | None
    provider_username: str | None
    access_token_encrypted: bytes | None
    refresh_token_encrypted: bytes | None
    token_expires_at: datetime | None


def _row(row: object) -> LinkRow:
    return LinkRow(*row)  # type: ignore[misc]


async def find_link(db: Db, provider: str, provider_user_id: str) -> LinkRow | None:
    t = oauth_links
    stmt = select(*_COLUMNS).where(t.c.provider == provider, t.c.provider_user_id == provider_user_id)
    row = (await db.execute(stmt)).first()
    return None if row is None else _row(row)


async def get_link(db: Db, user_id: uuid.UUID, link_id: uuid.UUID) -> LinkRow | None:
    t = oauth_links
    row = (await db.execute(select(*_COLUMNS).where(t.c.id == link_id, t.c.user_id == user_id))).first()
    return None if row is None else _row(row)


async def insert_link(db: Db, link: NewLink) -> LinkRow:
    """Insert in a savepoint: a taken provider account (or provider slot) becomes AlreadyExists."""
    stmt = (
        oauth_links.insert()
        .values(
            user_id=link.user_id,
            provider=link.provider,
            provider_user_id=link.provider_user_id,
            provider_email=link.provider_email,
            provider_username=link.provider_username,
            access_token_encrypted=link.access_token_encrypted,
            refresh_token_encrypted=link.refresh_token_encrypted,
            token_expires_at=link.token_expires_at,
            last_login_at=func.now(),
        )
        .returning(*_COLUMNS)
    )
    try:
        async with db.begin_nested():
            return _row((await db.execute(stmt)).one())
    except IntegrityError as exc:
        if "uq_oauth_links_provider_provider_user_id" in str(exc.orig):
            raise AlreadyExists(
                f"this {link.provider} account is already linked to a user", reason="OAUTH_ACCOUNT_LINKED"
            ) from None
        if "uq_oauth_links_user_id_provider" in str(exc.orig):
            raise AlreadyExists(
                f"the user already has a linked {link.provider} account",
                reason="OAUTH_PROVIDER_ALREADY_LINKED",
            ) from None
        raise


async def touch_link(db: Db, link_id: uuid.UUID, link: NewLink) -> LinkRow:
    """A later login: fresh tokens and profile details, ``last_login_at`` now."""
    t = oauth_links
    stmt = (
        t.update()
        .where(t.c.id == link_id)
        .values(
            provider_email=link.provider_email,
            provider_username=link.provider_username,
            access_token_encrypted=link.access_token_encrypted,
            refresh_token_encrypted=link.refresh_token_encrypted,
            token_expires_at=link.token_expires_at,
            updated_at=func.now(),
            last_login_at=func.now(),
        )
        .returning(*_COLUMNS)
    )
    return _row((await db.execute(stmt)).one())


async def list_links(
    db: Db, user_id: uuid.UUID, *, limit: int, after: Cursor | None = None
) -> Sequence[LinkRow]:
    """Newest first, keyset-paginated on (created_at, id) like every identity list."""
    t = oauth_links
    conditions = [t.c.user_id == user_id]
    if after is not None:
        conditions.append(after_cursor(t.c.created_at, t.c.id, after))
    stmt = select(*_COLUMNS).where(*conditions).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
    return [_row(r) for r in await db.execute(stmt)]


async def count_links(db: Db, user_id: uuid.UUID) -> int:
    t = oauth_links
    return int(
        (await db.execute(select(func.count()).select_from(t).where(t.c.user_id == user_id))).scalar_one()
    )


async def delete_link(db: Db, link_id: uuid.UUID) -> None:
    await db.execute(delete(oauth_links).where(oauth_links.c.id == link_id))
