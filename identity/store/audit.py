"""The audit log: one row per security-relevant action, written in the caller's transaction.

Every identity area calls :func:`record` inside the transaction of the change it
describes (login, password change, role change, API key create/revoke, OAuth link...),
so an audit row exists exactly when the change committed. Failed or denied attempts
that change nothing are recorded in a transaction of their own.

``metadata`` must never carry secrets (passwords, tokens, API key secrets): it is shown
to tenant admins as is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Table,
    Text,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from identity.store.paging import Cursor, after_cursor
from identity.store.tables import metadata
from mesh.telemetry import current_request_id

__all__ = [
    "ACTOR_KINDS",
    "OUTCOMES",
    "AuditFilter",
    "AuditRow",
    "audit_events",
    "list_events",
    "record",
]

Outcome = Literal["success", "failure", "denied"]
ActorKind = Literal["user", "api_key", "service", "anonymous"]
OUTCOMES: tuple[str, ...] = ("success", "failure", "denied")
ACTOR_KINDS: tuple[str, ...] = ("user", "api_key", "service", "anonymous")

# Bounds so a hostile user agent or metadata value cannot bloat the log.
_MAX_TEXT = 512
_MAX_METADATA_ITEMS = 32

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    # NULL when the tenant is unknown (a failed login naming a tenant that does not exist).
    Column("tenant_id", UUID(as_uuid=True), nullable=True),
    Column("actor_id", Text, nullable=False, server_default=""),
    Column("actor_kind", Text, nullable=False, server_default="anonymous"),
    Column("action", Text, nullable=False),
    Column("resource_type", Text, nullable=False, server_default=""),
    Column("resource_id", Text, nullable=False, server_default=""),
    Column("outcome", Text, nullable=False),
    Column("ip_address", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("request_id", Text, nullable=True),
    # clock_timestamp(): rows written in one transaction keep their order.
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
    CheckConstraint("outcome IN ('success', 'failure', 'denied')", name="outcome_known"),
    CheckConstraint("actor_kind IN ('user', 'api_key', 'service', 'anonymous')", name="actor_kind_known"),
)
Index("ix_audit_events_tenant_id_created_at", audit_events.c.tenant_id, audit_events.c.created_at)
Index(
    "ix_audit_events_tenant_id_actor_id_created_at",
    audit_events.c.tenant_id,
    audit_events.c.actor_id,
    audit_events.c.created_at,
)
Index(
    "ix_audit_events_tenant_id_action_created_at",
    audit_events.c.tenant_id,
    audit_events.c.action,
    audit_events.c.created_at,
)


def _resource(resource: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(resource, tuple):
        return resource
    kind, _, ident = resource.partition(":")
    return kind, ident


def _clip(value: str | None) -> str | None:
    return None if value is None else value[:_MAX_TEXT]


async def record(
    session: AsyncSession | AsyncConnection,
    *,
    tenant_id: uuid.UUID | str | None,
    actor_id: uuid.UUID | str | None,
    action: str,
    resource: str | tuple[str, str],
    outcome: Outcome,
    ip: str | None = None,
    user_agent: str | None = None,
    metadata: Mapping[str, object] | None = None,
    actor_kind: ActorKind | None = None,
) -> uuid.UUID:
    """Add one audit row in the caller's transaction; returns its id. Commit is the caller's.

    ``action`` is a dotted verb (``auth.login``, ``role.assign``, ``api_key.create``).
    ``resource`` is ``"type:id"`` (``"user:7f…"``), ``"type"`` alone, or a ``(type, id)`` pair.
    ``actor_kind`` defaults to ``user`` when ``actor_id`` is given and ``anonymous`` otherwise.
    The request id of the current RPC is attached automatically. Metadata values are
    stored as strings; never pass secrets.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}; known: {OUTCOMES}")
    kind = actor_kind or ("user" if actor_id else "anonymous")
    if kind not in ACTOR_KINDS:
        raise ValueError(f"unknown actor kind {kind!r}; known: {ACTOR_KINDS}")
    resource_type, resource_id = _resource(resource)
    details = {
        str(k)[:_MAX_TEXT]: str(v)[:_MAX_TEXT]
        for k, v in list((metadata or {}).items())[:_MAX_METADATA_ITEMS]
    }
    stmt = (
        audit_events.insert()
        .values(
            tenant_id=uuid.UUID(str(tenant_id)) if tenant_id else None,
            actor_id=str(actor_id or ""),
            actor_kind=kind,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            outcome=outcome,
            ip_address=_clip(ip),
            user_agent=_clip(user_agent),
            metadata=details,
            request_id=current_request_id() or None,
        )
        .returning(audit_events.c.id)
    )
    return (await session.execute(stmt)).scalar_one()


@dataclass(frozen=True)
class AuditRow:
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    actor_id: str
    actor_kind: str
    action: str
    resource_type: str
    resource_id: str
    outcome: str
    ip_address: str | None
    user_agent: str | None
    metadata: dict[str, str]
    request_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class AuditFilter:
    """ListAuditEvents filters, combined with AND; ``action`` ending in ``.`` is a prefix."""

    tenant_id: uuid.UUID
    actor_id: str = ""
    action: str = ""
    resource_type: str = ""
    resource_id: str = ""
    outcome: str = ""
    start: datetime | None = None
    end: datetime | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_events(
    session: AsyncSession | AsyncConnection,
    where: AuditFilter,
    *,
    limit: int,
    after: Cursor | None = None,
) -> Sequence[AuditRow]:
    """Newest first, keyset-paginated on (created_at, id); at most ``limit`` rows."""
    t = audit_events
    conditions = [t.c.tenant_id == where.tenant_id]
    if where.actor_id:
        conditions.append(t.c.actor_id == where.actor_id)
    if where.action.endswith("."):
        conditions.append(t.c.action.like(_escape_like(where.action) + "%", escape="\\"))
    elif where.action:
        conditions.append(t.c.action == where.action)
    if where.resource_type:
        conditions.append(t.c.resource_type == where.resource_type)
    if where.resource_id:
        conditions.append(t.c.resource_id == where.resource_id)
    if where.outcome:
        conditions.append(t.c.outcome == where.outcome)
    if where.start is not None:
        conditions.append(t.c.created_at >= where.start)
    if where.end is not None:
        conditions.append(t.c.created_at < where.end)
    if after is not None:
        conditions.append(after_cursor(t.c.created_at, t.c.id, after))
    stmt = select(t).where(*conditions).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
    rows = await session.execute(stmt)
    return [
        AuditRow(
            id=r.id,
            tenant_id=r.tenant_id,
            actor_id=r.actor_id,
            actor_kind=r.actor_kind,
            action=r.action,
            resource_type=r.resource_type,
            resource_id=r.resource_id,
            outcome=r.outcome,
            ip_address=r.ip_address,
            user_agent=r.user_agent,
            metadata=dict(r.metadata),
            request_id=r.request_id,
            created_at=r.created_at,
        )
        for r in rows
    ]
