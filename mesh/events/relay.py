"""The outbox relay: committed outbox rows to Redis Streams, at least once.

Each service runs one relay per replica. A batch is claimed with
``FOR UPDATE SKIP LOCKED``, so replicas never publish the same row concurrently;
the rows are XADDed (one pipelined round trip) and marked published in the same
transaction. A crash between XADD and commit republishes the batch, which the
consumers' deduplication absorbs. Events of one subject keep their order even
across replicas: a row is held back while an older row of its subject is still
unpublished in someone else's hands.

A LISTEN on the outbox's NOTIFY channel wakes the relay as soon as a producer
commits; polling every ``poll_interval`` covers a lost listener connection. Redis
or Postgres outages are retried with capped exponential backoff and logged; the
loop never ends on an error, only on ``stop()``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Row, Table, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mesh.events.envelope import STREAM_PREFIX
from mesh.events.metrics import event_metrics
from mesh.events.outbox import notify_channel

__all__ = ["OutboxRelay", "PublishFailed", "backoff_delay"]

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
CLEANUP_BATCH = 10_000


class PublishFailed(RuntimeError):
    """Redis refused a batch; the rows stay unpublished (their ``attempts`` went up)."""


def backoff_delay(failures: int, *, base: float = 0.2, cap: float = 30.0) -> float:
    """Capped exponential backoff with full jitter on the top half (no thundering replicas)."""
    ceiling = min(cap, base * 2 ** max(0, failures - 1))
    return ceiling / 2 + random.random() * ceiling / 2


@dataclass(frozen=True, slots=True)
class _Batch:
    rows: Sequence[Row[Any]]
    full: bool


class OutboxRelay:
    """Publishes one service's outbox table to ``<stream_prefix><source>`` streams.

    Stream entries carry ``envelope`` (the serialized EventEnvelope), ``type``,
    ``id`` and ``subject``, plus the outbox headers as ``h:<name>`` fields. Streams
    are trimmed to about ``maxlen`` entries; published rows older than
    ``retention`` are deleted from the outbox.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        redis: Redis,
        *,
        stream_prefix: str = STREAM_PREFIX,
        batch: int = 100,
        poll_interval: float = 0.2,
        maxlen: int = 100_000,
        max_backoff: float = 30.0,
        retention: timedelta = timedelta(days=7),
        cleanup_interval: float = 300.0,
        listen: bool = True,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.engine = engine
        self.table = table
        self.redis = redis
        self.stream_prefix = stream_prefix
        self.batch = batch
        self.poll_interval = poll_interval
        self.maxlen = maxlen
        self.max_backoff = max_backoff
        self.retention = retention
        self.cleanup_interval = cleanup_interval
        self.listen = listen
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        """Start relaying in the background (idempotent)."""
        if self._task is not None:
            return
        self._stop.clear()
        self._wake.set()
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.table.fullname}")
        if self.listen:
            self._listener = asyncio.create_task(self._listen(), name=f"outbox-listen-{self.table.fullname}")

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the batch in flight, then stop; cancel it if it takes longer than ``grace`` seconds."""
        self._stop.set()
        self._wake.set()
        for task in (self._task, self._listener):
            if task is None:
                continue
            try:
                await asyncio.wait_for(task, grace)
            except TimeoutError:
                log.warning("outbox relay did not stop within %.1fs; cancelled", grace)
        self._task = self._listener = None
        self.listening.clear()

    async def publish_pending(self) -> int:
        """Publish one batch now; returns how many events went out. Raises on outages."""
        published, _ = await self._publish_batch()
        return published

    async def _run(self) -> None:
        failures = 0
        last_cleanup = asyncio.get_running_loop().time()
        while not self._stop.is_set():
            self._wake.clear()
            try:
                published, more = await self._publish_batch()
            except Exception as exc:  # an outage must never end the loop
                failures += 1
                event_metrics().publish_failures.inc()
                delay = backoff_delay(failures, cap=self.max_backoff)
                log.warning(
                    "outbox relay: publish failed (%s: %s); retrying in %.1fs",
                    type(exc).__name__,
                    exc,
                    delay,
                    extra={"table": self.table.fullname, "failures": failures},
                    exc_info=failures == 1,
                )
                await self._sleep(self._stop, delay)
                continue
            if failures:
                log.info("outbox relay: publishing again", extra={"table": self.table.fullname})
                failures = 0
            if more and published:
                continue
            now = asyncio.get_running_loop().time()
            if now - last_cleanup >= self.cleanup_interval:
                last_cleanup = now
                await self._cleanup()
            await self._sleep(self._wake, self.poll_interval)

    @staticmethod
    async def _sleep(event: asyncio.Event, seconds: float) -> None:
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            pass

    async def _publish_batch(self) -> tuple[int, bool]:
        failure: Exception | None = None
        async with self.engine.begin() as conn:
            batch = await self._claim(conn)
            if not batch.rows:
                return 0, False
            # Losing this commit in a crash only republishes the batch (consumers deduplicate),
            # so it need not wait for the WAL flush.
            await conn.execute(text("SET LOCAL synchronous_commit = off"))
            ids = [row.id for row in batch.rows]
            try:
                await self._xadd(batch.rows)
            except Exception as exc:
                failure = exc
                await conn.execute(
                    update(self.table)
                    .where(self.table.c.id.in_(ids))
                    .values(attempts=self.table.c.attempts + 1)
                )
            else:
                await conn.execute(
                    update(self.table)
                    .where(self.table.c.id.in_(ids))
                    .values(published_at=func.clock_timestamp())
                )
        if failure is not None:
            raise PublishFailed(f"{type(failure).__name__}: {failure}") from failure
        self._observe(batch.rows)
        return len(batch.rows), batch.full

    async def _claim(self, conn: AsyncConnection) -> _Batch:
        t = self.table
        claimed = (
            await conn.execute(
                select(t.c.id, t.c.aggregate_type, t.c.aggregate_id, t.c.event_type, t.c.payload)
                .add_columns(t.c.headers, t.c.created_at)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.created_at, t.c.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        full = len(claimed) == self.batch
        subjects = {row.aggregate_id for row in claimed if row.aggregate_id}
        if not subjects:
            return _Batch(claimed, full)
        # Older rows of our subjects that we could not lock belong to another relay (or
        # committed late): publishing ours first would reorder the subject's events.
        older = (
            await conn.execute(
                select(t.c.aggregate_id, func.min(t.c.created_at))
                .where(
                    t.c.published_at.is_(None),
                    t.c.created_at <= max(row.created_at for row in claimed),
                    t.c.aggregate_id.in_(subjects),
                    t.c.id.not_in([row.id for row in claimed]),
                )
                .group_by(t.c.aggregate_id)
            )
        ).all()
        first_elsewhere = {subject: created for subject, created in older}
        ready = [
            row
            for row in claimed
            if row.aggregate_id not in first_elsewhere or row.created_at < first_elsewhere[row.aggregate_id]
        ]
        return _Batch(ready, full)

    async def _xadd(self, rows: Sequence[Row[Any]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for row in rows:
                fields: dict[Any, Any] = {
                    "envelope": row.payload,
                    "type": row.event_type,
                    "id": str(row.id),
                    "subject": row.aggregate_id,
                }
                for key, value in (row.headers or {}).items():
                    fields[f"h:{key}"] = str(value)
                pipe.xadd(
                    self.stream_prefix + row.aggregate_type, fields, maxlen=self.maxlen, approximate=True
                )
            await pipe.execute()

    def _observe(self, rows: Sequence[Row[Any]]) -> None:
        metrics = event_metrics()
        now = datetime.now(UTC)
        for row in rows:
            stream = self.stream_prefix + row.aggregate_type
            metrics.published.labels(stream).inc()
            metrics.publish_lag.labels(stream).observe(max(0.0, (now - row.created_at).total_seconds()))

    async def _cleanup(self) -> None:
        """Forget rows published longer than ``retention`` ago, a bounded chunk at a time."""
        t = self.table
        doomed = (
            select(t.c.id)
            .where(t.c.published_at < func.now() - self.retention)
            .limit(CLEANUP_BATCH)
            .scalar_subquery()
        )
        try:
            async with self.engine.begin() as conn:
                await conn.execute(delete(t).where(t.c.id.in_(doomed)))
        except Exception:
            log.warning("outbox relay: cleanup failed", exc_info=True, extra={"table": self.table.fullname})

    async def _listen(self) -> None:
        """Keep a LISTEN open on the outbox channel; reconnect after losing it."""
        failures = 0
        while not self._stop.is_set():
            try:
                await self._listen_once()
                failures = 0
            except Exception as exc:
                failures += 1
                self.listening.clear()
                log.debug("outbox relay: LISTEN connection lost (%s); polling meanwhile", exc)
            await self._sleep(self._stop, backoff_delay(failures, cap=self.max_backoff) if failures else 0)

    async def _listen_once(self) -> None:
        channel = notify_channel(self.table)
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            lost = asyncio.Event()
            try:
                driver.add_termination_listener(lambda _conn: lost.set())
                await driver.add_listener(channel, self._on_notify)
                self.listening.set()
                # Anything committed while nobody listened is picked up by this wake-up.
                self._wake.set()
                while not self._stop.is_set() and not lost.is_set():
                    await self._sleep(self._stop, HEARTBEAT_SECONDS)
                    if not self._stop.is_set():
                        await asyncio.wait_for(driver.fetchval("SELECT 1"), HEARTBEAT_SECONDS)
                if lost.is_set():
                    raise ConnectionError("LISTEN connection closed by the server")
            finally:
                self.listening.clear()
                await conn.invalidate()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()
