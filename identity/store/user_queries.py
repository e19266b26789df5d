"""Users: profile rows with their role keys, keyset-paged lists, status and password changes.

Every row carries its tenant (and the tenant's status), so the API layer can
refuse other tenants' users (NOT_FOUND) before showing anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, String, case, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.store.paging import Cursor, after_cursor
from identity.store.tables import roles, tenants, user_roles, users
from mesh.errors import AlreadyExists

__all__ = [
    "UserFilter",
    "UserRow",
    "built_in_role_id",
    "count_active_users",
    "get_user",
    "grant_role",
    "insert_user",
    "list_users",
    "role_keys",
    "set_password_hash",
    "set_status",
    "touch_login",
    "update_profile",
    "user_by_email",
]

_EMAIL_INDEX = "uq_users_tenant_id_lower_email"


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    username: str
    display_name: str
    avatar_url: str | None
    locale: str
    status: str
    email_verified: bool
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    deleted_at: datetime | None
    tenant_status: str
    role_ids: tuple[str, ...] = ()


_COLUMNS = (
    users.c.id,
    users.c.tenant_id,
    users.c.email,
    users.c.username,
    users.c.display_name,
    users.c.avatar_url,
    users.c.locale,
    users.c.status,
    users.c.email_verified,
    users.c.password_hash,
    users.c.created_at,
    users.c.updated_at,
    users.c.last_login_at,
    users.c.deleted_at,
    tenants.c.status.label("tenant_status"),
)

# Built-in roles are known by name, custom roles by id (User.role_ids in the contract).
_ROLE_KEY = case((roles.c.built_in.is_(True), roles.c.name), else_=cast(roles.c.id, String))


def _select() -> Select[tuple[object, ...]]:
    return select(*_COLUMNS).join(tenants, tenants.c.id == users.c.tenant_id)


async def _with_roles(db: AsyncSession, rows: Sequence[object]) -> list[UserRow]:
    plain = [UserRow(**dict(row._mapping)) for row in rows]  # type: ignore[attr-defined]
    if not plain:
        return []
    keys = await role_keys_of(db, [u.id for u in plain])
    return [replace(u, role_ids=keys.get(u.id, ())) for u in plain]


async def role_keys_of(
    db: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> Mapping[uuid.UUID, tuple[str, ...]]:
    stmt = (
        select(user_roles.c.user_id, _ROLE_KEY)
        .join(roles, roles.c.id == user_roles.c.role_id)
        .where(user_roles.c.user_id.in_(user_ids))
        .order_by(user_roles.c.user_id, user_roles.c.created_at, roles.c.name)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for user_id, key in await db.execute(stmt):
        found.setdefault(user_id, []).append(key)
    return {k: tuple(v) for k, v in found.items()}


async def role_keys(db: AsyncSession, user_id: uuid.UUID) -> tuple[str, ...]:
    return (await role_keys_of(db, [user_id])).get(user_id, ())


async def get_user(db: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> UserRow | None:
    stmt = _select().where(users.c.id == user_id)
    if for_update:
        stmt = stmt.with_for_update(of=users)
    found = await _with_roles(db, (await db.execute(stmt)).all())
    return found[0] if found else None


async def user_by_email(db: AsyncSession, tenant_id: uuid.UUID, email: str) -> UserRow | None:
    stmt = _select().where(users.c.tenant_id == tenant_id, func.lower(users.c.email) == email.lower())
    found = await _with_roles(db, (await db.execute(stmt)).all())
    return found[0] if found else None


async def insert_user(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    email: str,
    username: str,
    display_name: str,
    password_hash: str | None,
    locale: str = "",
    avatar_url: str | None = None,
    email_verified: bool = False,
) -> uuid.UUID:
    """Insert in a savepoint: a duplicate email becomes AlreadyExists, the caller's transaction survives."""
    stmt = (
        users.insert()
        .values(
            tenant_id=tenant_id,
            email=email,
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            locale=locale,
            avatar_url=avatar_url,
            email_verified=email_verified,
        )
        .returning(users.c.id)
    )
    try:
        async with db.begin_nested():
            return (await db.execute(stmt)).scalar_one()
    except IntegrityError as exc:
        if _EMAIL_INDEX in str(exc.orig):
            raise AlreadyExists(
                "an account with this email already exists", reason="EMAIL_TAKEN", metadata={"field": "email"}
            ) from None
        raise


async def built_in_role_id(db: AsyncSession, name: str) -> uuid.UUID | None:
    stmt = select(roles.c.id).where(roles.c.built_in.is_(True), roles.c.name == name)
    return (await db.execute(stmt)).scalar_one_or_none()


async def grant_role(db: AsyncSession, user_id: uuid.UUID, role_id: uuid.UUID) -> None:
    await db.execute(insert(user_roles).values(user_id=user_id, role_id=role_id).on_conflict_do_nothing())


@dataclass(frozen=True)
class UserFilter:
    tenant_id: uuid.UUID | None  # None: every tenant (super_admin)
    statuses: tuple[str, ...]
    query: str = ""
    role_id: uuid.UUID | None = None
    role_name: str | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_users(
    db: AsyncSession, where: UserFilter, *, limit: int, after: Cursor | None
) -> list[UserRow]:
    """Newest first, keyset-paged on (created_at, id)."""
    stmt = _select().where(users.c.status.in_(where.statuses))
    if where.tenant_id is not None:
        stmt = stmt.where(users.c.tenant_id == where.tenant_id)
    if where.query:
        pattern = _escape_like(where.query.lower()) + "%"
        stmt = stmt.where(
            or_(
                func.lower(users.c.email).like(pattern, escape="\\"),
                func.lower(users.c.username).like(pattern, escape="\\"),
                func.lower(users.c.display_name).like(pattern, escape="\\"),
            )
        )
    if where.role_id is not None or where.role_name is not None:
        holders = select(user_roles.c.user_id).join(roles, roles.c.id == user_roles.c.role_id)
        if where.role_id is not None:
            holders = holders.where(roles.c.id == where.role_id)
        else:
            holders = holders.where(roles.c.built_in.is_(True), roles.c.name == where.role_name)
        stmt = stmt.where(users.c.id.in_(holders))
    if after is not None:
        stmt = stmt.where(after_cursor(users.c.created_at, users.c.id, after))
    stmt = stmt.order_by(users.c.created_at.desc(), users.c.id.desc()).limit(limit)
    return await _with_roles(db, (await db.execute(stmt)).all())


async def update_profile(db: AsyncSession, user_id: uuid.UUID, values: Mapping[str, object]) -> None:
    """Write the given columns; a clash on email surfaces as AlreadyExists (caller's transaction survives)."""
    if not values:
        return
    stmt = update(users).where(users.c.id == user_id).values(**values, updated_at=func.now())
    try:
        async with db.begin_nested():
            await db.execute(stmt)
    except IntegrityError as exc:
        if _EMAIL_INDEX in str(exc.orig):
            raise AlreadyExists(
                "an account with this email already exists", reason="EMAIL_TAKEN", metadata={"field": "email"}
            ) from None
        raise


async def set_status(db: AsyncSession, user_id: uuid.UUID, status: str) -> None:
    deleted_at = func.now() if status == "deleted" else None
    await db.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(status=status, deleted_at=deleted_at, updated_at=func.now())
    )


async def set_password_hash(db: AsyncSession, user_id: uuid.UUID, password_hash: str) -> None:
    await db.execute(
        update(users).where(users.c.id == user_id).values(password_hash=password_hash, updated_at=func.now())
    )


async def touch_login(db: AsyncSession, user_id: uuid.UUID) -> None:
    await db.execute(update(users).where(users.c.id == user_id).values(last_login_at=func.now()))


async def count_active_users(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(users)
        .where(users.c.tenant_id == tenant_id, users.c.status == "active")
    )
    return int((await db.execute(stmt)).scalar_one())
