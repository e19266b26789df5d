"""Every service's migrations against a real Postgres: schemas, outbox, idempotence, store parity."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import analytics.store.tables
import conversation.store.generations
import conversation.store.tables
import identity.store
import knowledge.store.tables
import mesh.migrate
import model_router.store.tables
import notification.store.tables
import orchestrator.store.tables
from mesh.config import SERVICES, Settings
from mesh.db import create_engine
from mesh.migrate import alembic_config, main, migrate, new_revision

ROOT = Path(__file__).resolve().parents[3]


async def _scalars(url: str, sql: str) -> list[object]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).scalars())
    finally:
        await engine.dispose()


def _head(service: str) -> str:
    """The newest revision of a service's chain (services gain revisions as they are built)."""
    head = ScriptDirectory.from_config(alembic_config(service)).get_current_head()
    assert head is not None
    return head


async def test_migrations_create_every_schema_with_outbox_and_are_idempotent(
    fresh_settings: Settings, fresh_database: str
) -> None:
    await migrate(fresh_settings)
    await migrate(fresh_settings)

    schemas = await _scalars(fresh_database, "SELECT schema_name FROM information_schema.schemata")
    assert set(SERVICES) <= set(schemas)
    for service in SERVICES:
        versions = await _scalars(fresh_database, f'SELECT version_num FROM "{service}".alembic_version')
        assert versions == [_head(service)], service
        outbox_index = await _scalars(
            fresh_database,
            "SELECT indexdef FROM pg_indexes "
            f"WHERE schemaname = '{service}' AND indexname = 'ix_outbox_unpublished'",
        )
        assert outbox_index and "WHERE (published_at IS NULL)" in str(outbox_index[0])
    assert "alembic_version" not in await _scalars(
        fresh_database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    identity_tables = await _scalars(
        fresh_database, "SELECT tablename FROM pg_tables WHERE schemaname = 'identity'"
    )
    assert {"tenants", "users", "roles", "user_roles", "outbox"} <= set(identity_tables)
    router_tables = await _scalars(
        fresh_database, "SELECT tablename FROM pg_tables WHERE schemaname = 'model_router'"
    )
    assert {"channels", "channel_keys", "outbox"} <= set(router_tables)


async def test_concurrent_migrations_in_one_process_take_turns(fresh_settings: Settings) -> None:
    await asyncio.gather(migrate(fresh_settings), migrate(fresh_settings), migrate(fresh_settings))


def test_concurrent_migrations_in_separate_processes_do_not_collide(fresh_database: str) -> None:
    """Services or launchers starting together: the advisory lock makes one wait for the other."""
    code = "import sys; from mesh.migrate import main; sys.exit(main(sys.argv[1:]))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, "--database-url", fresh_database],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    versions = asyncio.run(_scalars(fresh_database, "SELECT version_num FROM identity.alembic_version"))
    assert versions == [_head("identity")]


def _diff(connection: Connection, metadata: MetaData, schema: str) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, _: name == schema if type_ == "schema" else True,
            "compare_type": True,
            "version_table_schema": schema,
        },
    )
    return list(compare_metadata(context, metadata))


# Importing a service's table modules registers every table on its one MetaData.
REGISTERED = (conversation.store.generations,)


@pytest.mark.parametrize(
    ("service", "metadata"),
    [
        ("identity", identity.store.metadata),
        ("model_router", model_router.store.tables.metadata),
        ("conversation", conversation.store.tables.metadata),
        ("orchestrator", orchestrator.store.tables.metadata),
        ("analytics", analytics.store.tables.metadata),
        ("notification", notification.store.tables.metadata),
        ("knowledge", knowledge.store.tables.metadata),
    ],
)
async def test_store_tables_match_migrations(
    settings: Settings, migrated_database: str, service: str, metadata: MetaData
) -> None:
    engine = create_async_engine(migrated_database, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff, metadata, service)
    finally:
        await engine.dispose()
    assert diff == [], "\n".join(repr(item)[:300] for item in diff)


async def test_service_engine_sees_its_schema_first_then_public(
    settings: Settings, migrated_database: str
) -> None:
    engine = create_engine(settings, "identity")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW search_path"))).scalar_one() == '"identity", public'
            assert (await conn.execute(text("SELECT count(*) >= 0 FROM tenants"))).scalar_one() is True
            distance = (await conn.execute(text("SELECT '[0,0]'::vector <-> '[3,4]'::vector"))).scalar_one()
            assert distance == 5
            name = (await conn.execute(text("SELECT current_setting('application_name')"))).scalar_one()
            assert name == "chatmesh-identity"
    finally:
        await engine.dispose()


async def test_outbox_keeps_insertion_order_within_a_transaction(
    settings: Settings, migrated_database: str
) -> None:
    engine = create_engine(settings, "notification")
    try:
        async with engine.begin() as conn:
            for n in range(5):
                await conn.execute(
                    text(
                        "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload) "
                        "VALUES ('t', :agg, 'E', '\\x00')"
                    ),
                    {"agg": f"order-{n}"},
                )
            rows = await conn.execute(
                text("SELECT aggregate_id FROM outbox WHERE aggregate_id LIKE 'order-%' ORDER BY created_at")
            )
            assert list(rows.scalars()) == [f"order-{n}" for n in range(5)]
            unpublished = await conn.execute(
                text("SELECT attempts, headers, published_at FROM outbox WHERE aggregate_id = 'order-0'")
            )
            assert tuple(unpublished.one()) == (0, {}, None)
            await conn.rollback()
    finally:
        await engine.dispose()


def test_cli_migrates_named_services_and_rejects_unknown(fresh_database: str) -> None:
    with pytest.raises(SystemExit) as bad:
        main(["no_such_service", "--database-url", fresh_database])
    assert bad.value.code == 2
    assert main(["identity", "--database-url", fresh_database]) == 0
    versions = asyncio.run(_scalars(fresh_database, "SELECT version_num FROM identity.alembic_version"))
    assert versions == [_head("identity")]
    schemas = asyncio.run(_scalars(fresh_database, "SELECT schema_name FROM information_schema.schemata"))
    assert "conversation" not in schemas


def test_alembic_commands_work_without_a_shared_connection(fresh_database: str) -> None:
    """Plain ``alembic.command`` calls (no connection handed in) open their own engine."""
    command.upgrade(alembic_config("analytics", url=fresh_database), "head")
    versions = asyncio.run(_scalars(fresh_database, "SELECT version_num FROM analytics.alembic_version"))
    assert versions == [_head("analytics")]


def test_offline_mode_prints_the_sql(capsys: pytest.CaptureFixture[str]) -> None:
    command.upgrade(alembic_config("identity", url="postgresql://u@127.0.0.1:1/x"), "head", sql=True)
    sql = capsys.readouterr().out
    assert 'CREATE SCHEMA IF NOT EXISTS "identity"' in sql
    assert "CREATE TABLE identity.alembic_version" in sql
    assert "CREATE TABLE identity.tenants" in sql
    assert (
        "CREATE UNIQUE INDEX uq_users_tenant_id_lower_email ON identity.users (tenant_id, lower(email))"
        in sql
    )


def test_new_revision_numbers_the_next_file(
    fresh_settings: Settings, fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written into a copy of identity's migrations, so the repository is never touched."""
    copy = tmp_path / "migrations"
    shutil.copytree(ROOT / "identity" / "migrations", copy, ignore=shutil.ignore_patterns("__pycache__"))

    def config_for_copy(service: str, *, url: str | None = None) -> Config:
        cfg = real_config(service, url=url)
        cfg.set_main_option("script_location", str(copy))
        return cfg

    real_config = mesh.migrate.alembic_config
    monkeypatch.setattr(mesh.migrate, "alembic_config", config_for_copy)

    head = _head("identity")
    following = f"{int(head) + 1:04d}"
    plain = Path(new_revision(fresh_settings, "identity", "add api keys"))
    assert plain.name == f"{following}_add_api_keys.py"
    assert f"down_revision: str | Sequence[str] | None = '{head}'" in plain.read_text()
    plain.unlink()

    asyncio.run(migrate(fresh_settings, ["identity"]))
    generated = Path(
        new_revision(
            fresh_settings, "identity", "nothing changed", autogenerate=True, database_url=fresh_database
        )
    )
    assert generated.name == f"{following}_nothing_changed.py"
    body = generated.read_text()
    upgrade = body[body.index("def upgrade") : body.index("def downgrade")]
    assert "op." not in upgrade, "store and migrations agree, so there is nothing to generate"
