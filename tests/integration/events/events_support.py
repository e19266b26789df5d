"""What the event bus tests share: the ``Bus`` a test runs against, a recording handler, polling.

The ``bus`` fixture (conftest.py) gives a fresh database with analytics' real
migrations (so the relay runs against the outbox exactly as a service's first
revision creates it), an engine on it, the outbox ``Table``, a bytes Redis client
on the session Redis, and a stream prefix of its own so tests never see each
other's streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chatmesh.events.v1.identity_events_pb2 import UserRegistered
from redis.asyncio import Redis
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.config import Settings
from mesh.db import create_engine, session_factory
from mesh.events import EventEnvelope, add

SERVICE = "analytics"


@dataclass
class Bus:
    settings: Settings
    engine: AsyncEngine
    table: Table
    redis: Redis
    prefix: str
    dead: str
    engines: list[AsyncEngine] = field(default_factory=list)

    @property
    def stream(self) -> str:
        """The stream events with source ``analytics`` go to."""
        return f"{self.prefix}{SERVICE}"

    def new_engine(self) -> AsyncEngine:
        """Another engine on the same database (a second relay replica), disposed after the test."""
        engine = create_engine(self.settings, SERVICE)
        self.engines.append(engine)
        return engine

    async def add_users(self, names: list[str], *, subject: str = "", commit: bool = True) -> list[str]:
        """Add one UserRegistered per name in one transaction; returns the event ids."""
        async with session_factory(self.engine)() as session:
            ids = [
                await add(
                    session,
                    self.table,
                    source=SERVICE,
                    event=UserRegistered(user_id=name, username=name),
                    tenant_id="t1",
                    subject=subject or name,
                    headers={"kind": "user"},
                )
                for name in names
            ]
            if commit:
                await session.commit()
            else:
                await session.rollback()
        return ids

    async def unpublished(self) -> int:
        async with self.engine.connect() as conn:
            query = select(func.count()).select_from(self.table).where(self.table.c.published_at.is_(None))
            return int((await conn.execute(query)).scalar_one())


Entry = tuple[bytes, dict[bytes, bytes]]


async def entries(redis: Redis, stream: str) -> list[Entry]:
    """Every entry of ``stream`` (XRANGE), typed for bytes clients."""
    found: Any = await redis.xrange(stream)
    return list(found)


class Recorder:
    """A handler that records what it saw; ``fail`` decides per envelope whether to raise."""

    def __init__(self, fail: Callable[[EventEnvelope, int], bool] | None = None) -> None:
        self.seen: list[EventEnvelope] = []
        self.calls: dict[str, int] = {}
        self.fail = fail
        self.changed = asyncio.Event()

    async def __call__(self, envelope: EventEnvelope) -> None:
        self.calls[envelope.id] = self.calls.get(envelope.id, 0) + 1
        self.changed.set()
        if self.fail is not None and self.fail(envelope, self.calls[envelope.id]):
            raise RuntimeError(f"handler refused {envelope.id} (call {self.calls[envelope.id]})")
        self.seen.append(envelope)
