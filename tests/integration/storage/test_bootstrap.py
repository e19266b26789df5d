"""First-start seeding against a fresh, migrated database: created once, then left alone."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from identity import store
from identity.config import IdentitySettings
from identity.domain import BUILT_IN_ROLES, SUPER_ADMIN, verify_password
from identity.tenants.bootstrap import CREDENTIALS_FILE, ensure_bootstrap
from mesh.config import Settings
from mesh.db import create_engine
from mesh.migrate import migrate


@pytest_asyncio.fixture(loop_scope="session")
async def engine(fresh_settings: Settings) -> AsyncIterator[AsyncEngine]:
    await migrate(fresh_settings, ["identity"])
    engine = create_engine(fresh_settings, "identity")
    yield engine
    await engine.dispose()


async def _admin_hash(engine: AsyncEngine, email: str) -> str:
    async with engine.connect() as conn:
        stmt = select(store.users.c.password_hash).where(store.users.c.email == email)
        return str((await conn.execute(stmt)).scalar_one())


async def _count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_generated_password_is_shown_once_and_saved_0600(
    engine: AsyncEngine, fresh_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    config = IdentitySettings(admin_password=None)
    first = await ensure_bootstrap(engine, fresh_settings, config)
    shown = capsys.readouterr().out

    path = fresh_settings.data_dir / CREDENTIALS_FILE
    assert first.admin_created and first.credentials_file == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = dict(line.split("=", 1) for line in path.read_text().splitlines() if not line.startswith("#"))
    assert saved["email"] == config.admin_email
    password = saved["password"]
    assert len(password) >= 20
    assert password in shown
    stored_hash = await _admin_hash(engine, config.admin_email)
    assert stored_hash.startswith("$argon2id$") and password not in stored_hash
    assert verify_password(stored_hash, password)
    assert set(first.roles_changed) == {spec.name for spec in BUILT_IN_ROLES}

    second = await ensure_bootstrap(engine, fresh_settings, config)
    assert capsys.readouterr().out == ""
    assert not second.changed and second.credentials_file is None
    assert second.admin_user_id == first.admin_user_id and second.tenant_id == first.tenant_id
    assert path.read_text().count(password) == 1
    assert await _admin_hash(engine, config.admin_email) == stored_hash
    assert await _count(engine, "tenants") == 1
    assert await _count(engine, "users") == 1
    assert await _count(engine, "roles") == len(BUILT_IN_ROLES)


async def test_configured_password_is_used_and_nothing_is_written(
    engine: AsyncEngine, fresh_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    config = IdentitySettings(admin_email="Root@Example.com", admin_password="s3cret-Pass!")
    result = await ensure_bootstrap(engine, fresh_settings, config)
    assert result.admin_created and result.credentials_file is None
    assert not (fresh_settings.data_dir / CREDENTIALS_FILE).exists()
    assert "s3cret-Pass!" not in capsys.readouterr().out
    assert verify_password(await _admin_hash(engine, "Root@Example.com"), "s3cret-Pass!")

    async with engine.connect() as conn:
        tenant_slug = (await conn.execute(select(store.tenants.c.slug))).scalar_one()
        roles = await store.built_in_roles(conn)
        holders = await store.users_with_role(conn, roles[SUPER_ADMIN].id)
    assert tenant_slug == "default"
    assert holders == [result.admin_user_id]
    assert roles[SUPER_ADMIN].permissions == ("*:*",)
    assert roles["tenant_admin"].parent_id == roles["developer"].id
    assert roles["developer"].parent_id == roles["user"].id


async def test_concurrent_first_starts_create_one_admin(
    engine: AsyncEngine, fresh_settings: Settings
) -> None:
    config = IdentitySettings(admin_password="another-Pass-1")
    results = await asyncio.gather(*(ensure_bootstrap(engine, fresh_settings, config) for _ in range(3)))
    assert sum(r.admin_created for r in results) == 1
    assert len({r.admin_user_id for r in results}) == 1
    assert await _count(engine, "users") == 1
    assert await _count(engine, "tenants") == 1


async def test_drifted_built_in_role_is_restored(engine: AsyncEngine, fresh_settings: Settings) -> None:
    config = IdentitySettings(admin_password="yet-another-Pass-1")
    await ensure_bootstrap(engine, fresh_settings, config)
    async with engine.begin() as conn:
        await conn.execute(
            update(store.roles).where(store.roles.c.name == "developer").values(permissions=["api_keys:read"])
        )
    repaired = await ensure_bootstrap(engine, fresh_settings, config)
    assert repaired.roles_changed == ("developer",) and not repaired.admin_created
    async with engine.connect() as conn:
        perms = (
            await conn.execute(select(store.roles.c.permissions).where(store.roles.c.name == "developer"))
        ).scalar_one()
    assert "api_keys:*" in perms


async def test_email_is_unique_per_tenant_ignoring_case(
    engine: AsyncEngine, fresh_settings: Settings
) -> None:
    config = IdentitySettings(admin_password="unique-Pass-1")
    result = await ensure_bootstrap(engine, fresh_settings, config)
    with pytest.raises(Exception, match="uq_users_tenant_id_lower_email"):
        async with engine.begin() as conn:
            await store.insert_user(
                conn,
                tenant_id=result.tenant_id,
                email=config.admin_email.upper(),
                username="dup",
                display_name="",
                password_hash=None,
            )
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(store.users))).scalar_one()
    assert count == 1
