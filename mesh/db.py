"""Async SQLAlchemy engines, one Postgres schema per service.

A service's engine puts its own schema first on ``search_path`` (then
``public``, where the ``vector`` extension lives), so its SQL never needs to
spell the schema and can never wander into another service's tables by
accident. Tables declare their schema explicitly too (``service_metadata``),
which keeps migrations and autogenerate honest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from mesh.config import SERVICES

if TYPE_CHECKING:
    from mesh.config import Settings

__all__ = [
    "NAMING_CONVENTION",
    "DatabaseNotConfigured",
    "async_url",
    "create_engine",
    "database_url",
    "outbox_table",
    "schema_for",
    "service_metadata",
    "session_factory",
]

# Deterministic constraint names, so a migration written by hand and the
# store's Table objects agree, and Alembic can drop what it created.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DatabaseNotConfigured(RuntimeError):
    """No database URL: neither CHATMESH_DATABASE_URL nor a started embedded Postgres."""


def schema_for(service: str) -> str:
    """The Postgres schema that holds ``service``'s tables (its name; validated)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {list(SERVICES)}")
    return service


def service_metadata(service: str) -> MetaData:
    """The ``MetaData`` a service's store.py declares its tables on."""
    return MetaData(schema=schema_for(service), naming_convention=NAMING_CONVENTION)


def outbox_table(metadata: MetaData) -> Table:
    """The transactional outbox every service has (created by each service's first migration).

    ``created_at`` defaults to ``clock_timestamp()`` rather than ``now()`` so
    several events written in one transaction keep their order.
    """
    return Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
        Column("aggregate_type", Text, nullable=False),
        Column("aggregate_id", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column(
            "created_at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")
        ),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Index(
            "ix_outbox_unpublished",
            "created_at",
            postgresql_where=text("published_at IS NULL"),
        ),
    )


def async_url(url: str) -> str:
    """Accept ``postgres://`` / ``postgresql://`` URLs too; the engine always speaks asyncpg."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"only PostgreSQL is supported, got {parsed.get_backend_name()!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def database_url(settings: Settings) -> str:
    if not settings.database_url:
        raise DatabaseNotConfigured(
            "no database configured: set CHATMESH_DATABASE_URL, or start the embedded Postgres "
            "first (mesh.infra.ensure_infrastructure, which `python -m mesh up` does)"
        )
    return async_url(settings.database_url)


def create_engine(settings: Settings, service: str, *, url: str | None = None) -> AsyncEngine:
    """An asyncpg engine whose connections see ``service``'s schema first.

    Create it in ``__main__`` (never at import) and ``await engine.dispose()`` on shutdown.
    """
    schema = schema_for(service)
    return create_async_engine(
        async_url(url) if url else database_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=max(1, settings.db_pool_size // 2),
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "server_settings": {
                "search_path": f'"{schema}", public',
                "application_name": f"chatmesh-{service}",
            }
        },
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy reload in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)
