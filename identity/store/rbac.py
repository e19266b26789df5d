"""RBAC: custom roles' parents, and the queries behind roles, assignments and checks.

Built-in roles keep their single parent in ``roles.parent_id`` (bootstrap seeds it);
custom roles may inherit from several roles, listed in ``role_parents``. A role's
parents are the union of both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Table,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from identity.domain.rbac import RoleNode
from identity.store.tables import metadata, roles, tenants, user_roles, users

__all__ = [
    "RoleRecord",
    "UserStanding",
    "active_holder_count",
    "assign_role",
    "delete_role",
    "holders_of",
    "insert_role",
    "load_graph",
    "lock_roles",
    "role_parents",
    "role_records",
    "set_parents",
    "unassign_role",
    "update_role",
    "user_standing",
]

role_parents = Table(
    "role_parents",
    metadata,
    Column("role_id", UUID(as_uuid=True), ForeignKey(roles.c.id, ondelete="CASCADE"), primary_key=True),
    Column("parent_id", UUID(as_uuid=True), ForeignKey(roles.c.id, ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index(None, "parent_id"),
)


@dataclass(frozen=True)
class RoleRecord:
    node: RoleNode
    description: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class UserStanding:
    """What authorization needs of a user: its tenant, whether it may act, and its roles."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    active: bool
    role_ids: tuple[uuid.UUID, ...]


def _visible(tenant_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Built-in roles, plus the custom roles of ``tenant_id`` (of every tenant when None)."""
    if tenant_id is None:
        return roles.c.id.is_not(None)
    return or_(roles.c.built_in.is_(True), roles.c.tenant_id == tenant_id)


async def role_records(session: AsyncSession, tenant_id: uuid.UUID | None) -> dict[uuid.UUID, RoleRecord]:
    """Every role visible in ``tenant_id`` with its parents (all tenants' roles when None)."""
    rows = (await session.execute(select(roles).where(_visible(tenant_id)))).all()
    ids = [r.id for r in rows]
    extra: dict[uuid.UUID, list[uuid.UUID]] = {}
    if ids:
        links = await session.execute(
            select(role_parents.c.role_id, role_parents.c.parent_id)
            .where(role_parents.c.role_id.in_(ids))
            .order_by(role_parents.c.created_at, role_parents.c.parent_id)
        )
        for role_id, parent_id in links:
            extra.setdefault(role_id, []).append(parent_id)
    records: dict[uuid.UUID, RoleRecord] = {}
    for r in rows:
        parents = ([r.parent_id] if r.parent_id else []) + extra.get(r.id, [])
        node = RoleNode(
            id=r.id,
            name=r.name,
            tenant_id=r.tenant_id,
            permissions=tuple(r.permissions),
            parents=tuple(dict.fromkeys(parents)),
            built_in=r.built_in,
        )
        records[r.id] = RoleRecord(node, r.description, r.created_at, r.updated_at)
    return records


async def load_graph(session: AsyncSession, tenant_id: uuid.UUID | None) -> dict[uuid.UUID, RoleNode]:
    return {role_id: record.node for role_id, record in (await role_records(session, tenant_id)).items()}


async def user_standing(session: AsyncSession, user_id: uuid.UUID) -> UserStanding | None:
    row = (
        await session.execute(
            select(users.c.tenant_id, users.c.status, tenants.c.status.label("tenant_status"))
            .join(tenants, tenants.c.id == users.c.tenant_id)
            .where(users.c.id == user_id)
        )
    ).one_or_none()
    if row is None:
        return None
    role_ids = (
        await session.execute(
            select(user_roles.c.role_id)
            .where(user_roles.c.user_id == user_id)
            .order_by(user_roles.c.created_at)
        )
    ).scalars()
    # A suspended or deleted tenant's members hold nothing: no call, no API key goes through.
    active = row.status == "active" and row.tenant_status == "active"
    return UserStanding(user_id, row.tenant_id, active, tuple(role_ids))


async def lock_roles(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise role-graph changes of one tenant (held to commit), so two concurrent
    updates cannot each pass the cycle check and together form a cycle."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"roles:{tenant_id}", 0))))


async def insert_role(
    session: AsyncSession, *, tenant_id: uuid.UUID, name: str, description: str, permissions: Sequence[str]
) -> uuid.UUID:
    stmt = (
        roles.insert()
        .values(tenant_id=tenant_id, name=name, description=description, permissions=list(permissions))
        .returning(roles.c.id)
    )
    return (await session.execute(stmt)).scalar_one()


async def update_role(session: AsyncSession, role_id: uuid.UUID, **values: object) -> None:
    await session.execute(update(roles).where(roles.c.id == role_id).values(**values, updated_at=func.now()))


async def set_parents(session: AsyncSession, role_id: uuid.UUID, parent_ids: Sequence[uuid.UUID]) -> None:
    """Replace a custom role's parents; order is kept through created_at."""
    await session.execute(delete(role_parents).where(role_parents.c.role_id == role_id))
    for parent_id in dict.fromkeys(parent_ids):
        await session.execute(
            role_parents.insert().values(
                role_id=role_id, parent_id=parent_id, created_at=func.clock_timestamp()
            )
        )


async def delete_role(session: AsyncSession, role_id: uuid.UUID) -> list[uuid.UUID]:
    """Delete a custom role (its bindings and child links cascade); returns the users who held it."""
    holders = await holders_of(session, role_id)
    await session.execute(delete(roles).where(roles.c.id == role_id))
    return holders


async def holders_of(session: AsyncSession, role_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(user_roles.c.user_id).where(user_roles.c.role_id == role_id)
    return list((await session.execute(stmt)).scalars())


async def holders_of_any(session: AsyncSession, role_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Users holding any of ``role_ids`` directly, each once."""
    if not role_ids:
        return []
    stmt = select(user_roles.c.user_id).where(user_roles.c.role_id.in_(list(role_ids))).distinct()
    return list((await session.execute(stmt)).scalars())


async def assign_role(session: AsyncSession, user_id: uuid.UUID, role_id: uuid.UUID) -> bool:
    """True when the binding is new."""
    stmt = (
        insert(user_roles)
        .values(user_id=user_id, role_id=role_id)
        .on_conflict_do_nothing()
        .returning(user_roles.c.user_id)
    )
    return (await session.execute(stmt)).first() is not None


async def unassign_role(session: AsyncSession, user_id: uuid.UUID, role_id: uuid.UUID) -> bool:
    """True when a binding was removed."""
    stmt = (
        delete(user_roles)
        .where(user_roles.c.user_id == user_id, user_roles.c.role_id == role_id)
        .returning(user_roles.c.user_id)
    )
    return (await session.execute(stmt)).first() is not None


async def active_holder_count(session: AsyncSession, role_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(user_roles.join(users, users.c.id == user_roles.c.user_id))
        .where(user_roles.c.role_id == role_id, users.c.status == "active")
    )
    return int((await session.execute(stmt)).scalar_one())
