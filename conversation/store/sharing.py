"""Share links: made from the current active path, listed, revoked, opened by anyone with the id."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.rows import SHARE_LINK_FIELDS, ShareLinkRow
from conversation.store.tables import conversations, share_links
from mesh.errors import NotFound

__all__ = [
    "SharedConversation",
    "count_view",
    "create_share_link",
    "list_share_links",
    "open_share_link",
    "revoke_share_link",
    "share_link_not_found",
]

_COLUMNS = tuple(share_links.c[name] for name in SHARE_LINK_FIELDS)


def share_link_not_found() -> NotFound:
    return NotFound("share link not found", reason="SHARE_LINK_NOT_FOUND")


async def create_share_link(
    session: AsyncSession,
    *,
    tenant_id: str,
    owner_id: str,
    conversation_id: uuid.UUID,
    mode: str,
    expire_at: datetime | None,
    password_hash: str | None,
) -> ShareLinkRow:
    """A link with an unguessable id; a snapshot copies the active path as it is now."""
    snapshot = (
        select(conversations.c.active_path).where(conversations.c.id == conversation_id).scalar_subquery()
        if mode == "snapshot"
        else None
    )
    row = (
        await session.execute(
            insert(share_links)
            .values(
                id=secrets.token_urlsafe(24),
                conversation_id=conversation_id,
                tenant_id=tenant_id,
                owner_id=owner_id,
                mode=mode,
                snapshot_path=snapshot,
                expire_at=expire_at,
                password_hash=password_hash,
            )
            .returning(*_COLUMNS)
        )
    ).one()
    return ShareLinkRow.of(row)


async def list_share_links(
    session: AsyncSession, *, conversation_id: uuid.UUID, show_revoked: bool, offset: int, limit: int
) -> list[ShareLinkRow]:
    conditions = [share_links.c.conversation_id == conversation_id]
    if not show_revoked:
        conditions += [
            share_links.c.revoked_at.is_(None),
            or_(share_links.c.expire_at.is_(None), share_links.c.expire_at > func.now()),
        ]
    rows = await session.execute(
        select(*_COLUMNS)
        .where(*conditions)
        .order_by(share_links.c.created_at.desc(), share_links.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [ShareLinkRow.of(r) for r in rows]


async def revoke_share_link(
    session: AsyncSession, *, conversation_id: uuid.UUID, link_id: str
) -> ShareLinkRow:
    """Idempotent: an already revoked link keeps its first revoke time."""
    row = (
        await session.execute(
            update(share_links)
            .where(share_links.c.id == link_id, share_links.c.conversation_id == conversation_id)
            .values(revoked_at=func.coalesce(share_links.c.revoked_at, func.now()))
            .returning(*_COLUMNS)
        )
    ).first()
    if row is None:
        raise share_link_not_found()
    return ShareLinkRow.of(row)


@dataclass(frozen=True)
class SharedConversation:
    title: str
    created_at: datetime
    updated_at: datetime
    active_path: list[uuid.UUID]


async def open_share_link(session: AsyncSession, link_id: str) -> tuple[ShareLinkRow, SharedConversation]:
    """The usable link and its conversation's title, times and active path; NOT_FOUND for revoked,
    expired, unknown links or a conversation in the trash."""
    c = conversations.c
    row = (
        await session.execute(
            select(
                *_COLUMNS,
                c.title,
                c.created_at.label("c_created"),
                c.updated_at.label("c_updated"),
                c.active_path,
            )
            .join(conversations, c.id == share_links.c.conversation_id)
            .where(
                share_links.c.id == link_id,
                share_links.c.revoked_at.is_(None),
                or_(share_links.c.expire_at.is_(None), share_links.c.expire_at > func.now()),
                c.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise share_link_not_found()
    conversation = SharedConversation(
        title=row.title,
        created_at=row.c_created,
        updated_at=row.c_updated,
        active_path=list(row.active_path or []),
    )
    return ShareLinkRow.of(row), conversation


async def count_view(session: AsyncSession, link_id: str) -> None:
    await session.execute(
        update(share_links).where(share_links.c.id == link_id).values(view_count=share_links.c.view_count + 1)
    )
