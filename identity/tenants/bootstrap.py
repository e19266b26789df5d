"""First-start seeding: the ``default`` tenant, the built-in roles, and a super-admin.

Runs at every identity start and changes nothing once done, so it is safe to
call unconditionally (and from several instances at once: one transaction
under an advisory lock). The super-admin gets ``config.admin_password``, or a
generated password that is printed once to stdout (never to the log, which may
be shipped elsewhere) and written to ``<data_dir>/admin-credentials`` (0600).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from identity import store
from identity.domain import (
    BUILT_IN_ROLES,
    DEFAULT_TENANT_NAME,
    DEFAULT_TENANT_SLUG,
    SUPER_ADMIN,
    hash_password,
)

if TYPE_CHECKING:
    from identity.config import IdentitySettings
from mesh.config import Settings

__all__ = ["CREDENTIALS_FILE", "BootstrapResult", "ensure_bootstrap"]

logger = logging.getLogger(__name__)

CREDENTIALS_FILE = "admin-credentials"


@dataclass(frozen=True)
class BootstrapResult:
    tenant_id: uuid.UUID
    admin_user_id: uuid.UUID
    admin_created: bool
    credentials_file: Path | None  # written by this call (only when a password was generated)
    roles_changed: tuple[str, ...]  # built-in roles created or brought up to date by this call

    @property
    def changed(self) -> bool:
        return self.admin_created or bool(self.roles_changed)


@dataclass(frozen=True)
class _Admin:
    user_id: uuid.UUID
    created: bool
    generated_password: str | None


async def ensure_bootstrap(
    engine: AsyncEngine, settings: Settings, config: IdentitySettings
) -> BootstrapResult:
    """Create whatever of the default tenant, built-in roles and super-admin is missing."""
    credentials_path = _credentials_path(settings)
    async with engine.begin() as conn:
        await store.lock_bootstrap(conn)
        tenant_id = await store.tenant_id_by_slug(conn, DEFAULT_TENANT_SLUG)
        if tenant_id is None:
            tenant_id = await store.insert_tenant(conn, DEFAULT_TENANT_SLUG, DEFAULT_TENANT_NAME)
            logger.info("created the default tenant", extra={"tenant_id": str(tenant_id)})
        role_ids, roles_changed = await _ensure_roles(conn)
        admin = await _ensure_admin(conn, tenant_id, role_ids[SUPER_ADMIN], config)
        if admin.generated_password is not None:
            # Written before commit: an admin whose password nobody knows is worse
            # than a credentials file for an admin that a failed commit rolled back.
            _write_credentials(credentials_path, config.admin_email, admin.generated_password)
    if admin.generated_password is not None:
        _announce(config.admin_email, admin.generated_password, credentials_path)
    return BootstrapResult(
        tenant_id=tenant_id,
        admin_user_id=admin.user_id,
        admin_created=admin.created,
        credentials_file=credentials_path if admin.generated_password is not None else None,
        roles_changed=roles_changed,
    )


async def _ensure_roles(conn: AsyncConnection) -> tuple[dict[str, uuid.UUID], tuple[str, ...]]:
    """Create missing built-in roles and bring changed ones in line with the code."""
    existing = await store.built_in_roles(conn)
    ids = {name: row.id for name, row in existing.items()}
    changed: list[str] = []
    for spec in BUILT_IN_ROLES:
        parent_id = ids[spec.parent] if spec.parent else None
        row = existing.get(spec.name)
        if row is None:
            ids[spec.name] = await store.insert_built_in_role(
                conn, spec.name, spec.description, spec.permissions, parent_id
            )
            changed.append(spec.name)
        elif (row.permissions, row.parent_id, row.description) != (
            spec.permissions,
            parent_id,
            spec.description,
        ):
            await store.update_role(conn, row.id, spec.description, spec.permissions, parent_id)
            changed.append(spec.name)
    if changed:
        logger.info("built-in roles seeded", extra={"roles": changed})
    return ids, tuple(changed)


async def _ensure_admin(
    conn: AsyncConnection, tenant_id: uuid.UUID, super_admin_role: uuid.UUID, config: IdentitySettings
) -> _Admin:
    holders = await store.users_with_role(conn, super_admin_role)
    if holders:
        return _Admin(holders[0], created=False, generated_password=None)
    email = config.admin_email.strip()
    existing = await store.user_id_by_email(conn, tenant_id, email)
    if existing is not None:
        # A user with the admin address but no super-admin (say, the role was
        # revoked by mistake): restore the role, leave the password alone.
        await store.grant_role(conn, existing, super_admin_role)
        logger.warning("granted super_admin to the existing admin user", extra={"user_id": str(existing)})
        return _Admin(existing, created=False, generated_password=None)
    generated = None if config.admin_password else _generate_password()
    password = config.admin_password or generated
    assert password is not None
    password_hash = await asyncio.to_thread(hash_password, password)
    user_id = await store.insert_user(
        conn,
        tenant_id=tenant_id,
        email=email,
        username=email.partition("@")[0] or "admin",
        display_name="Administrator",
        password_hash=password_hash,
    )
    await store.grant_role(conn, user_id, super_admin_role)
    logger.info("created the super-admin", extra={"user_id": str(user_id), "email": email})
    return _Admin(user_id, created=True, generated_password=generated)


def _credentials_path(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser() / CREDENTIALS_FILE


def _generate_password() -> str:
    """24 URL-safe characters, 144 bits of entropy."""
    return secrets.token_urlsafe(18)


def _write_credentials(path: Path, email: str, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            f"# chatmesh super-admin of the default tenant, created {datetime.now(UTC):%Y-%m-%d %H:%M UTC}.\n"
            "# Change the password after the first login, then delete this file.\n"
            f"email={email}\npassword={password}\n"
        )
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def _announce(email: str, password: str, path: Path) -> None:
    logger.warning("generated a password for the super-admin", extra={"credentials_file": str(path)})
    print(
        "\n".join(
            [
                "",
                "=" * 64,
                " chatmesh super-admin created (shown once)",
                f"   email:    {email}",
                f"   password: {password}",
                f"   saved in: {path} (mode 0600)",
                "=" * 64,
                "",
            ]
        ),
        flush=True,
    )
