"""The job queue: a Redis stream read by one consumer group inside the service.

A stream entry only says "look at job X"; the job row in Postgres is the truth (state,
lease, attempt). Entries may therefore be lost or repeated without harm: a repeated one
finds the job claimed or finished and is dropped, and a lost one is made up for by the
sweep, which re-announces open jobs nobody touched for a while (queue entry lost, worker
killed, retry delay over). Every instance runs the sweep; the claim decides who works.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.config import KnowledgeSettings
from knowledge.store import jobs as job_store

__all__ = ["GROUP", "STREAM", "JobQueue"]

STREAM = "knowledge:ingest"
GROUP = "knowledge-ingest"
_MAXLEN = 100_000

log = logging.getLogger(__name__)


class JobQueue:
    def __init__(
        self,
        redis: Redis,
        sessions: async_sessionmaker[AsyncSession],
        config: KnowledgeSettings,
        run: Callable[[uuid.UUID], Awaitable[None]],
        *,
        consumer: str | None = None,
    ) -> None:
        self._redis = redis
        self._sessions = sessions
        self._config = config
        self._run = run
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._tasks: list[asyncio.Task[None]] = []
        self._delayed: set[asyncio.Task[None]] = set()

    async def kick(self, job_id: uuid.UUID, delay: float = 0.0) -> None:
        """Announce a job now, or after ``delay`` seconds (lost on a restart; the sweep covers that)."""
        if delay <= 0:
            await self._redis.xadd(STREAM, {"job_id": str(job_id)}, maxlen=_MAXLEN, approximate=True)
            return
        task = asyncio.create_task(self._kick_later(job_id, delay))
        self._delayed.add(task)
        task.add_done_callback(self._delayed.discard)

    async def _kick_later(self, job_id: uuid.UUID, delay: float) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(Exception):
            await self.kick(job_id)

    async def start(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        self._tasks = [
            asyncio.create_task(self._work(), name=f"ingest-{i}") for i in range(self._config.ingest_workers)
        ]
        if self._config.ingest_workers:
            self._tasks.append(asyncio.create_task(self._sweep_forever(), name="ingest-sweep"))

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._delayed]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    async def _work(self) -> None:
        while True:
            try:
                answer = await self._redis.xreadgroup(
                    GROUP, self.consumer, {STREAM: ">"}, count=1, block=2000
                )
            except asyncio.CancelledError:
                raise
            except RedisTimeout:
                continue  # a blocking read outlived the client's socket timeout: read again
            except Exception:  # Redis restarting: wait and read again
                log.warning("reading the ingestion queue failed", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            streams: list[Any] = list(answer or [])
            for _stream, entries in streams:
                for entry_id, fields in entries:
                    await self._handle(entry_id, fields)

    async def _handle(self, entry_id: Any, fields: dict[Any, Any]) -> None:
        raw = fields.get(b"job_id") or fields.get("job_id")
        try:
            job_id = uuid.UUID(raw.decode() if isinstance(raw, bytes) else str(raw))
        except ValueError:
            job_id = None
        if job_id is not None:
            try:
                await self._run(job_id)
            except asyncio.CancelledError:
                raise  # not acknowledged: the sweep announces the job again after the lease
            except Exception:
                log.exception("ingestion job crashed", extra={"job_id": str(job_id)})
        await self._redis.xack(STREAM, GROUP, entry_id)
        await self._redis.xdel(STREAM, entry_id)

    async def sweep(self) -> int:
        """Announce open jobs left idle (lost entry, dead worker); returns how many."""
        # Queued jobs are only missing from the stream once the workers have drained it.
        backlog = int(await self._redis.xlen(STREAM))
        async with self._sessions() as session:
            lost = await job_store.lost_jobs(
                session,
                idle_seconds=self._config.sweep_interval_seconds,
                include_queued=backlog <= self._config.ingest_workers,
            )
        for job_id in lost:
            await self.kick(job_id)
        with contextlib.suppress(ResponseError):
            # Entries a dead consumer read but never acknowledged: their jobs are re-announced above.
            idle_ms = int(self._config.job_lease_seconds * 2000)
            _, claimed, *_ = await self._redis.xautoclaim(STREAM, GROUP, self.consumer, idle_ms, count=100)
            for entry_id, _fields in claimed:
                await self._redis.xack(STREAM, GROUP, entry_id)
        return len(lost)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("ingestion sweep failed", exc_info=True)
            await asyncio.sleep(self._config.sweep_interval_seconds)
