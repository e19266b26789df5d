"""The queries first-start seeding (identity.tenants.bootstrap) needs: default tenant, roles, super-admin."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from identity.domain.signup import default_mode
from identity.store.tables import roles, tenants, user_roles, users

_BOOTSTRAP_LOCK = 0x63_68_61_74_6D_65_73_68  # "chatmesh": one seeding transaction at a time


async def lock_bootstrap(conn: AsyncConnection) -> None:
    """Serialise first-start seeding across identity instances starting together (held to commit)."""
    await conn.execute(select(func.pg_advisory_xact_lock(_BOOTSTRAP_LOCK)))


@dataclass(frozen=True)
class RoleRow:
    id: uuid.UUID
    name: str
    permissions: tuple[str, ...]
    parent_id: uuid.UUID | None
    description: str


async def tenant_id_by_slug(conn: AsyncConnection, slug: str) -> uuid.UUID | None:
    return (await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))).scalar_one_or_none()


async def insert_tenant(conn: AsyncConnection, slug: str, name: str) -> uuid.UUID:
    return (
        await conn.execute(
            tenants.insert()
            .values(slug=slug, name=name, signup_mode=default_mode(slug))
            .returning(tenants.c.id)
        )
    ).scalar_one()


async def built_in_roles(conn: AsyncConnection) -> dict[str, RoleRow]:
    rows = await conn.execute(
        select(roles.c.id, roles.c.name, roles.c.permissions, roles.c.parent_id, roles.c.description).where(
            roles.c.built_in.is_(True)
        )
    )
    return {r.name: RoleRow(r.id, r.name, tuple(r.permissions), r.parent_id, r.description) for r in rows}


async def insert_built_in_role(
    conn: AsyncConnection,
    name: str,
    description: str,
    permissions: Sequence[str],
    parent_id: uuid.UUID | None,
) -> uuid.UUID:
    stmt = (
        roles.insert()
        .values(
            name=name,
            description=description,
            permissions=list(permissions),
            parent_id=parent_id,
            built_in=True,
        )
        .returning(roles.c.id)
    )
    return (await conn.execute(stmt)).scalar_one()


async def update_role(
    conn: AsyncConnection,
    role_id: uuid.UUID,
    description: str,
    permissions: Sequence[str],
    parent_id: uuid.UUID | None,
) -> None:
    await conn.execute(
        update(roles)
        .where(roles.c.id == role_id)
        .values(
            description=description, permissions=list(permissions), parent_id=parent_id, updated_at=func.now()
        )
    )


async def users_with_role(conn: AsyncConnection, role_id: uuid.UUID) -> list[uuid.UUID]:
    """Holders of a role that are not deleted."""
    stmt = (
        select(users.c.id)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .where(user_roles.c.role_id == role_id, users.c.status != "deleted")
        .order_by(users.c.created_at)
    )
    return list((await conn.execute(stmt)).scalars())


async def user_id_by_email(conn: AsyncConnection, tenant_id: uuid.UUID, email: str) -> uuid.UUID | None:
    stmt = select(users.c.id).where(
        users.c.tenant_id == tenant_id, func.lower(users.c.email) == email.lower()
    )
    return (await conn.execute(stmt)).scalar_one_or_none()


async def insert_user(
    conn: AsyncConnection,
    *,
    tenant_id: uuid.UUID,
    email: str,
    username: str,
    display_name: str,
    password_hash: str | None,
) -> uuid.UUID:
    stmt = (
        users.insert()
        .values(
            tenant_id=tenant_id,
            email=email,
            username=username,
            display_name=display_name,
            password_hash=password_hash,
        )
        .returning(users.c.id)
    )
    return (await conn.execute(stmt)).scalar_one()


async def grant_role(conn: AsyncConnection, user_id: uuid.UUID, role_id: uuid.UUID) -> None:
    await conn.execute(insert(user_roles).values(user_id=user_id, role_id=role_id).on_conflict_do_nothing())
