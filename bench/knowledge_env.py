"""Embedded Postgres + Redis with the knowledge schema, for the knowledge benches.

Everything lives in a temporary directory removed afterwards; the servers are the same
embedded ones `make run` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mesh.config import Settings, load_settings
from mesh.embedded.common import free_port
from mesh.infra import EmbeddedPostgres, EmbeddedRedis

__all__ = ["BenchInfra", "embedded_knowledge"]


@dataclass
class BenchInfra:
    settings: Settings
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis


@contextlib.asynccontextmanager
async def embedded_knowledge(prefix: str) -> AsyncIterator[BenchInfra]:
    from mesh.migrate import migrate

    root = Path(tempfile.mkdtemp(prefix=f"kbench-{prefix}-"))
    await asyncio.to_thread(root.chmod, 0o711)
    postgres = EmbeddedPostgres(root / "servers", free_port())
    redis = EmbeddedRedis(root / "servers", free_port())
    try:
        await asyncio.to_thread(postgres.start)
        await asyncio.to_thread(redis.start)
        settings = load_settings(
            _env_file=None, database_url=postgres.url, redis_url=redis.url, data_dir=root / "data"
        )
        await migrate(settings, ["knowledge"])
        yield BenchInfra(settings, postgres, redis)
    finally:
        await asyncio.to_thread(redis.stop)
        await asyncio.to_thread(postgres.stop)
        shutil.rmtree(root, ignore_errors=True)


def psql(infra: BenchInfra, statement: str) -> Any:
    return infra.postgres.psql(statement)
