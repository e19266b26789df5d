"""Sessions (one per login: a refresh-token family) and the refresh tokens issued in them.

A refresh token is single-use: ``used_at`` is set when it is exchanged. Seeing a
used one again means it leaked, and the whole session is revoked. Rows are
locked (``FOR UPDATE``) while a refresh is decided, so two concurrent uses of
one token cannot both succeed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from identity.store.tables import metadata, tenants, users

__all__ = [
    "RefreshTokenRow",
    "SessionRow",
    "consume_refresh_token",
    "get_session",
    "insert_refresh_token",
    "insert_session",
    "list_sessions",
    "live_sessions_of_tenant",
    "live_sessions_of_user",
    "refresh_token_for_update",
    "refresh_tokens",
    "revoke_sessions",
    "sessions",
    "set_session_access",
]

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(tenants.c.id, ondelete="CASCADE"), nullable=False),
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("ip_address", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("mfa_verified", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_refresh_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # The newest access token of the session, blacklisted when the session is revoked.
    Column("access_jti", Text, nullable=True),
    Column("access_expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_reason", Text, nullable=True),
    Index(None, "user_id", "created_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    # The refresh JWT's `jti`.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), ForeignKey(sessions.c.id, ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index(None, "session_id"),
)


@dataclass(frozen=True)
class SessionRow:
    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    ip_address: str | None
    user_agent: str | None
    mfa_verified: bool
    created_at: datetime
    last_refresh_at: datetime
    expires_at: datetime
    access_jti: str | None
    access_expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class RefreshTokenRow:
    id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None


_SESSION_COLUMNS = (
    sessions.c.id,
    sessions.c.tenant_id,
    sessions.c.user_id,
    sessions.c.ip_address,
    sessions.c.user_agent,
    sessions.c.mfa_verified,
    sessions.c.created_at,
    sessions.c.last_refresh_at,
    sessions.c.expires_at,
    sessions.c.access_jti,
    sessions.c.access_expires_at,
    sessions.c.revoked_at,
)


async def insert_session(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    ip_address: str | None,
    user_agent: str | None,
    mfa_verified: bool,
    expires_at: datetime,
) -> uuid.UUID:
    stmt = (
        sessions.insert()
        .values(
            tenant_id=tenant_id,
            user_id=user_id,
            ip_address=ip_address,
            user_agent=user_agent,
            mfa_verified=mfa_verified,
            expires_at=expires_at,
        )
        .returning(sessions.c.id)
    )
    return (await db.execute(stmt)).scalar_one()


async def set_session_access(
    db: AsyncSession,
    session_id: uuid.UUID,
    *,
    access_jti: str,
    access_expires_at: datetime,
    expires_at: datetime,
    refreshed: bool,
) -> None:
    values: dict[str, object] = {
        "access_jti": access_jti,
        "access_expires_at": access_expires_at,
        "expires_at": expires_at,
    }
    if refreshed:
        values["last_refresh_at"] = func.now()
    await db.execute(update(sessions).where(sessions.c.id == session_id).values(**values))


async def insert_refresh_token(
    db: AsyncSession, *, token_id: uuid.UUID, session_id: uuid.UUID, expires_at: datetime
) -> None:
    await db.execute(
        refresh_tokens.insert().values(id=token_id, session_id=session_id, expires_at=expires_at)
    )


async def refresh_token_for_update(
    db: AsyncSession, token_id: uuid.UUID
) -> tuple[RefreshTokenRow, SessionRow] | None:
    """The token and its session, both locked until the transaction ends."""
    stmt = (
        select(
            refresh_tokens.c.id.label("token_id"),
            refresh_tokens.c.session_id.label("token_session_id"),
            refresh_tokens.c.expires_at.label("token_expires_at"),
            refresh_tokens.c.used_at,
            *_SESSION_COLUMNS,
        )
        .join(sessions, sessions.c.id == refresh_tokens.c.session_id)
        .where(refresh_tokens.c.id == token_id)
        .with_for_update()
    )
    row = (await db.execute(stmt)).one_or_none()
    if row is None:
        return None
    token = RefreshTokenRow(row.token_id, row.token_session_id, row.token_expires_at, row.used_at)
    return token, _session(row)


async def consume_refresh_token(db: AsyncSession, token_id: uuid.UUID) -> None:
    await db.execute(update(refresh_tokens).where(refresh_tokens.c.id == token_id).values(used_at=func.now()))


def _session(row: object) -> SessionRow:
    return SessionRow(**{c.name: getattr(row, c.name) for c in _SESSION_COLUMNS})


async def get_session(db: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    row = (await db.execute(select(*_SESSION_COLUMNS).where(sessions.c.id == session_id))).one_or_none()
    return None if row is None else _session(row)


async def live_sessions_of_user(db: AsyncSession, user_id: uuid.UUID) -> list[SessionRow]:
    stmt = select(*_SESSION_COLUMNS).where(
        sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > func.now()
    )
    return [_session(r) for r in await db.execute(stmt)]


async def live_sessions_of_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> list[SessionRow]:
    stmt = select(*_SESSION_COLUMNS).where(
        sessions.c.tenant_id == tenant_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > func.now()
    )
    return [_session(r) for r in await db.execute(stmt)]


async def list_sessions(
    db: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[SessionRow]:
    """Live sessions, newest first; ``after`` is the (created_at, id) of the last row already shown."""
    stmt = select(*_SESSION_COLUMNS).where(
        sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > func.now()
    )
    if after is not None:
        created_at, last_id = after
        stmt = stmt.where(
            (sessions.c.created_at < created_at)
            | ((sessions.c.created_at == created_at) & (sessions.c.id < last_id))
        )
    stmt = stmt.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(limit)
    return [_session(r) for r in await db.execute(stmt)]


async def revoke_sessions(db: AsyncSession, session_ids: list[uuid.UUID], reason: str) -> list[SessionRow]:
    """Mark the sessions revoked (those not already revoked); returns them as they were."""
    if not session_ids:
        return []
    stmt = (
        update(sessions)
        .where(sessions.c.id.in_(session_ids), sessions.c.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
        .returning(*_SESSION_COLUMNS)
    )
    return [_session(r) for r in await db.execute(stmt)]
