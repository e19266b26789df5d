"""Alembic migrations, one environment per service, run from code (no alembic.ini).

Every ``<service>/migrations/env.py`` is two lines that call ``run_env``, so the
environment logic lives here once: the service's schema is created if
missing, its version table lives inside that schema, autogenerate only sees
that schema, and an advisory lock keeps two starting processes from
migrating the same service at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import weakref
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from mesh import db
from mesh.config import SERVICES, exit_on_bad_settings
from mesh.db import async_url, schema_for

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from mesh.config import Settings

__all__ = ["alembic_config", "create_outbox", "drop_outbox", "main", "migrate", "new_revision", "run_env"]

logger = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"


def alembic_config(service: str, *, url: str | None = None) -> Config:
    """Alembic Config built in code; ``script_location`` is the service package's migrations dir."""
    cfg = Config()
    cfg.set_main_option("script_location", f"{schema_for(service)}:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def _lock_key(service: str) -> int:
    return zlib.crc32(f"chatmesh.migrate.{service}".encode())


def run_env(service: str, target_metadata: MetaData | None = None) -> None:
    """The whole of a service's env.py: run its migrations online, on a shared connection or a new one."""
    config = context.config
    schema = schema_for(service)

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return name == schema if type_ == "schema" else True

    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "version_table": VERSION_TABLE,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": include_name,
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
        with context.begin_transaction():
            context.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(service)})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    shared = config.attributes.get("connection")
    if shared is not None:
        run(shared)
        return

    async def run_own() -> None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError(
                "alembic config has no sqlalchemy.url; use mesh.migrate.alembic_config(url=...)"
            )
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(run_own())


def create_outbox(schema: str) -> None:
    """The outbox table as every service's first revision creates it (frozen; change it in new revisions)."""
    op.create_table(
        "outbox",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("aggregate_type", sa.Text(), nullable=False),
        sa.Column("aggregate_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["created_at"],
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_outbox(schema: str) -> None:
    op.drop_table("outbox", schema=schema)


def _with_connection(connection: Connection, cfg: Config, action: str, kwargs: dict[str, Any]) -> None:
    cfg.attributes["connection"] = connection
    getattr(command, action)(cfg, **kwargs)


_loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _in_process_lock() -> asyncio.Lock:
    """Alembic's ``context`` is module-global, so two runs in one process must take turns.

    Across processes the advisory lock in ``run_env`` does the same job.
    """
    loop = asyncio.get_running_loop()
    lock = _loop_locks.get(loop)
    if lock is None:
        lock = _loop_locks[loop] = asyncio.Lock()
    return lock


async def _run_command(url: str, service: str, action: str, **kwargs: Any) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with _in_process_lock(), engine.begin() as connection:
            await connection.run_sync(_with_connection, alembic_config(service, url=url), action, kwargs)
    finally:
        await engine.dispose()


async def migrate(
    settings: Settings,
    services: Sequence[str] = SERVICES,
    *,
    database_url: str | None = None,
    revision: str = "head",
) -> None:
    """Upgrade each service's schema to ``revision``, each service in its own transaction."""
    url = async_url(database_url) if database_url else db.database_url(settings)
    for service in services:
        schema_for(service)
    for service in services:
        await _run_command(url, service, "upgrade", revision=revision)
        logger.info("migrated", extra={"service": service, "revision": revision})


def new_revision(
    settings: Settings,
    service: str,
    message: str,
    *,
    autogenerate: bool = False,
    database_url: str | None = None,
) -> str:
    """Write the next numbered revision file for ``service`` (``0002_<slug>.py``) and return its path.

    With ``autogenerate`` the database must be at head; the diff is taken against
    the service's store metadata.
    """
    script = ScriptDirectory.from_config(alembic_config(service))
    heads = script.get_heads()
    numbers = [int(rev.revision) for rev in script.walk_revisions() if rev.revision.isdigit()]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    kwargs: dict[str, Any] = {"message": message, "rev_id": rev_id, "head": heads[0] if heads else "base"}
    if autogenerate:
        url = async_url(database_url) if database_url else db.database_url(settings)
        asyncio.run(_run_command(url, service, "revision", autogenerate=True, **kwargs))
    else:
        command.revision(alembic_config(service), **kwargs)
    created = ScriptDirectory.from_config(alembic_config(service)).get_revision(rev_id)
    assert created is not None
    return str(created.path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mesh migrate",
        description="Upgrade services' Postgres schemas to the newest revision "
        "(the embedded Postgres is started for the run unless CHATMESH_DATABASE_URL is set).",
    )
    parser.add_argument(
        "services", nargs="*", metavar="SERVICE", help=f"default: all of {', '.join(SERVICES)}"
    )
    parser.add_argument("--database-url", help="migrate this database instead of the configured one")
    parser.add_argument("--new", metavar="MESSAGE", help="write a new revision for the one SERVICE given")
    parser.add_argument(
        "--autogenerate", action="store_true", help="with --new: diff the store against the db"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mesh migrate [SERVICE ...]``: returns the process exit code."""
    from mesh.infra import ensure_infrastructure

    parser = _parser()
    args = parser.parse_args(argv)
    unknown = [s for s in args.services if s not in SERVICES]
    if unknown:
        parser.error(f"unknown service(s) {unknown}; known: {', '.join(SERVICES)}")
    if args.new and len(args.services) != 1:
        parser.error("--new needs exactly one SERVICE")
    settings = exit_on_bad_settings()
    if args.new and not args.autogenerate:
        print(new_revision(settings, args.services[0], args.new))
        return 0
    infra = None
    url = args.database_url or settings.database_url
    if not url:
        infra = ensure_infrastructure(settings)
        url = infra.database_url
    try:
        if args.new:
            print(new_revision(settings, args.services[0], args.new, autogenerate=True, database_url=url))
            return 0
        services = tuple(args.services) or SERVICES
        asyncio.run(migrate(settings, services, database_url=url))
        print(f"migrated: {', '.join(services)}", file=sys.stdout)
        return 0
    finally:
        if infra is not None:
            infra.stop()
