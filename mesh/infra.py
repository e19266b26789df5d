"""The embedded PostgreSQL and Redis that `make run` and the tests use.

Both servers keep their data under ``settings.data_dir`` so a second start finds
what the first wrote, and both listen on loopback TCP so every service process
connects with a plain URL. Production sets ``CHATMESH_DATABASE_URL`` /
``CHATMESH_REDIS_URL`` instead, and then nothing here starts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mesh.embedded.common import InfraError, PortInUseError
from mesh.embedded.postgres import EmbeddedPostgres, postgres_url
from mesh.embedded.redis import EmbeddedRedis, redis_url

if TYPE_CHECKING:
    from mesh.config import Settings

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "Infra",
    "InfraError",
    "PortInUseError",
    "ensure_infrastructure",
    "ensure_infrastructure_async",
    "postgres_url",
    "redis_url",
]

logger = logging.getLogger(__name__)


@dataclass
class Infra:
    """Where the databases are, and which of them this process is responsible for stopping."""

    database_url: str
    redis_url: str
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    owned: list[EmbeddedPostgres | EmbeddedRedis] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Stop only the servers this process started (or adopted), Redis first.

        A server that was already running for the same data dir belongs to
        whoever started it (say, the launcher while `mesh migrate` runs), so it
        is left alone unless it was adopted.
        """
        errors: list[BaseException] = []
        for server in reversed(self.owned):
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                logger.exception("failed to stop %s", type(server).__name__)
                errors.append(exc)
        self.owned.clear()
        if errors:
            raise InfraError(f"could not stop every embedded server: {errors}")


def ensure_infrastructure(settings: Settings, *, adopt_running: bool = False) -> Infra:
    """Start the embedded servers that settings do not point elsewhere, and say where everything is.

    ``adopt_running`` makes servers left running for the same data dir (say, by a
    crashed launcher) count as started here, so ``stop()`` shuts them down too.
    Blocking: async callers use ``ensure_infrastructure_async``.
    """
    data_dir = settings.data_dir.expanduser().resolve()
    infra_postgres: EmbeddedPostgres | None = None
    infra_redis: EmbeddedRedis | None = None
    owned: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        if settings.database_url:
            database = settings.database_url
        else:
            infra_postgres = EmbeddedPostgres(data_dir, settings.embedded_postgres_port)
            if infra_postgres.start() or adopt_running:
                owned.append(infra_postgres)
            database = infra_postgres.url
        if settings.redis_url:
            redis = settings.redis_url
        else:
            infra_redis = EmbeddedRedis(data_dir, settings.embedded_redis_port)
            if infra_redis.start() or adopt_running:
                owned.append(infra_redis)
            redis = infra_redis.url
    except BaseException:
        for server in reversed(owned):
            server.stop()
        raise
    return Infra(database, redis, infra_postgres, infra_redis, owned)


async def ensure_infrastructure_async(settings: Settings, *, adopt_running: bool = False) -> Infra:
    """``ensure_infrastructure`` off the event loop (starting Postgres blocks for about a second)."""
    return await asyncio.to_thread(ensure_infrastructure, settings, adopt_running=adopt_running)
