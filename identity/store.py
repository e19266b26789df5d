"""Identity's tables (schema ``identity``) and the queries first-start seeding needs.

The tables mirror ``identity/migrations``; a test compares the two so they
cannot drift apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.db import outbox_table, service_metadata

metadata = service_metadata("identity")
outbox = outbox_table(metadata)

USER_STATUSES = ("active", "disabled", "deleted")


def _id() -> Column[uuid.UUID]:
    return Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated_at() -> Column[object]:
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())


tenants = Table(
    "tenants",
    metadata,
    _id(),
    Column("slug", Text, nullable=False),
    Column("name", Text, nullable=False),
    # Quotas: NULL means unlimited.
    Column("tokens_per_month", BigInteger, nullable=True),
    Column("requests_per_minute", Integer, nullable=True),
    Column("storage_bytes", BigInteger, nullable=True),
    _created_at(),
    _updated_at(),
    UniqueConstraint("slug"),
    CheckConstraint("tokens_per_month >= 0", name="tokens_per_month_non_negative"),
    CheckConstraint("requests_per_minute >= 0", name="requests_per_minute_non_negative"),
    CheckConstraint("storage_bytes >= 0", name="storage_bytes_non_negative"),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(tenants.c.id, ondelete="RESTRICT"), nullable=False),
    Column("email", Text, nullable=False),
    Column("username", Text, nullable=False),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("avatar_url", Text, nullable=True),
    Column("password_hash", Text, nullable=True),
    Column("status", Text, nullable=False, server_default="active"),
    _created_at(),
    _updated_at(),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('active', 'disabled', 'deleted')", name="status_known"),
    CheckConstraint("(status = 'deleted') = (deleted_at IS NOT NULL)", name="deleted_at_matches_status"),
)
Index("uq_users_tenant_id_lower_email", users.c.tenant_id, func.lower(users.c.email), unique=True)

roles = Table(
    "roles",
    metadata,
    _id(),
    # NULL: a built-in role, shared by every tenant.
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(tenants.c.id, ondelete="CASCADE"), nullable=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("permissions", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column(
        "parent_id", UUID(as_uuid=True), ForeignKey("identity.roles.id", ondelete="SET NULL"), nullable=True
    ),
    Column("built_in", Boolean, nullable=False, server_default=text("false")),
    _created_at(),
    _updated_at(),
    UniqueConstraint("tenant_id", "name", postgresql_nulls_not_distinct=True),
    CheckConstraint("NOT built_in OR tenant_id IS NULL", name="built_in_is_global"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), primary_key=True),
    Column("role_id", UUID(as_uuid=True), ForeignKey(roles.c.id, ondelete="CASCADE"), primary_key=True),
    _created_at(),
    Index(None, "role_id"),
)


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
        await conn.execute(tenants.insert().values(slug=slug, name=name).returning(tenants.c.id))
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
