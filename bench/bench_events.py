"""What the event bus costs: outbox add + relay + consumer group, against raw Redis Streams.

Subject ("outbox"): a producer writes an event with ``mesh.events.add`` in its own
transaction and commits; the ``OutboxRelay`` (woken by NOTIFY) publishes it; an
``EventConsumer`` (lease, handler, done marker + ack) hands it over. Latency runs
from just before the producer's transaction to the handler call.
Baseline ("raw streams"): the same envelope bytes XADDed straight to a stream and
read by a bare XREADGROUP loop that acks each read batch: no database, no
durability before publication, no deduplication.

Levels: producer concurrency 1, 16 and 64, each level timing every event end to
end; then a burst (events written 50 per transaction by 4 producers as fast as
they go) for throughput at saturation. Embedded Postgres (default durability:
fsync on) and Redis run in a temporary directory; the producers, the relay and
the consumer share this process, whose CPU use is reported so a saturated load
generator shows up rather than hiding in the figures.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatmesh.events.v1.usage_events_pb2 import UsageRecorded
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bench.harness import Figures, Report, measure, peak_rss_mb, percentile
from mesh.config import load_settings
from mesh.db import create_engine, outbox_table, service_metadata, session_factory
from mesh.embedded.common import free_port
from mesh.events import EventConsumer, EventEnvelope, OutboxRelay, add, build_envelope
from mesh.infra import EmbeddedPostgres, EmbeddedRedis
from mesh.migrate import migrate

LEVELS = ((1, 300), (16, 1500), (64, 2500))
BURST_EVENTS = 3000
BURST_PRODUCERS = 4
BURST_PER_TX = 50
SERVICE = "analytics"
OUTBOX = "outbox"
RAW = "raw streams"
PRODUCER = "outbox add+commit only"


def _event(i: int) -> UsageRecorded:
    return UsageRecorded(request_id=f"req-{i}", user_id="u1", model="gpt-4o-mini", prompt_tokens=120)


@dataclass
class Waiters:
    """Futures the consumers resolve when an event id arrives."""

    pending: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def expect(self, event_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.pending[event_id] = future
        return future

    def arrived(self, event_id: str) -> None:
        future = self.pending.pop(event_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


@dataclass
class Stores:
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    redis: Redis


def _scratch_dir() -> Path:
    """Directly under /tmp and traversable, so the Postgres system user (as root) can reach it."""
    root = Path(tempfile.mkdtemp(prefix="chatmesh-bench-events-"))
    root.chmod(0o711)
    return root


@asynccontextmanager
async def _stores() -> AsyncIterator[Stores]:
    root = _scratch_dir()
    postgres = EmbeddedPostgres(root / "servers", free_port())
    redis_server = EmbeddedRedis(root / "servers", free_port())
    try:
        await asyncio.to_thread(postgres.start)
        await asyncio.to_thread(redis_server.start)
        settings = load_settings(
            _env_file=None, data_dir=root / "data", database_url=postgres.url, redis_url=redis_server.url
        )
        await migrate(settings, [SERVICE])
        engine = create_engine(settings, SERVICE)
        redis = Redis.from_url(redis_server.url)
        try:
            yield Stores(engine, session_factory(engine), redis)
        finally:
            await redis.aclose()
            await engine.dispose()
    finally:
        await asyncio.to_thread(redis_server.stop)
        await asyncio.to_thread(postgres.stop)
        shutil.rmtree(root, ignore_errors=True)


class OutboxPath:
    """add + commit → relay → consumer group, as a service would run it."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.table = outbox_table(service_metadata(SERVICE))
        self.waiters = Waiters()
        self.relay = OutboxRelay(stores.engine, self.table, stores.redis, stream_prefix="bench:")
        self.consumer = EventConsumer(
            stores.redis,
            group="bench",
            consumer_name="c1",
            streams=[f"bench:{SERVICE}"],
            handler=self._handle,
            dead_letter_stream="bench:dead",
        )
        self.counter = 0

    async def _handle(self, envelope: EventEnvelope) -> None:
        self.waiters.arrived(envelope.id)

    async def start(self) -> None:
        await self.relay.start()
        await self.consumer.start()
        await asyncio.wait_for(self.relay.listening.wait(), 10)
        await asyncio.wait_for(self.consumer.ready.wait(), 10)

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.relay.stop()

    async def write(self, count: int) -> list[asyncio.Future[float]]:
        futures = []
        async with self.stores.sessions() as session:
            for _ in range(count):
                self.counter += 1
                event_id = await add(session, self.table, source=SERVICE, event=_event(self.counter))
                futures.append(self.waiters.expect(event_id))
            await session.commit()
        return futures

    async def one(self) -> None:
        [future] = await self.write(1)
        await future

    async def add_only(self) -> None:
        """The producer's share: the transaction with one event, not waiting for delivery."""
        await self.write(1)


class RawPath:
    """XADD and a bare XREADGROUP/XACK loop on the same Redis."""

    def __init__(self, stores: Stores) -> None:
        self.redis = stores.redis
        self.waiters = Waiters()
        self.stream = "bench:raw"
        self.payload = build_envelope(_event(0), source=SERVICE).SerializeToString()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.redis.xgroup_create(self.stream, "raw", id="0", mkstream=True)
        self.task = asyncio.create_task(self._consume())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _consume(self) -> None:
        while True:
            replies: Any = await self.redis.xreadgroup("raw", "c1", {self.stream: ">"}, count=64, block=1000)
            for _, entries in replies or ():
                for _, fields in entries:
                    self.waiters.arrived(fields[b"id"].decode())
                await self.redis.xack(self.stream, "raw", *[entry_id for entry_id, _ in entries])

    async def write(self, count: int) -> list[asyncio.Future[float]]:
        futures = []
        async with self.redis.pipeline(transaction=False) as pipe:
            for _ in range(count):
                event_id = str(uuid.uuid4())
                futures.append(self.waiters.expect(event_id))
                pipe.xadd(self.stream, {"id": event_id, "envelope": self.payload})
            await pipe.execute()
        return futures

    async def one(self) -> None:
        [future] = await self.write(1)
        await future


async def _level(
    subject: str, call: Callable[[], Awaitable[None]], concurrency: int, requests: int, report: Report
) -> None:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    row = await measure(subject, call, concurrency=concurrency, requests=requests, warmup=30)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    report.rows.append(row)
    report.notes.append(f"  process CPU during {subject} c={concurrency}: {cpu:.0%} of one core")


async def _burst(subject: str, path: OutboxPath | RawPath, report: Report) -> None:
    """Producers write as fast as they can; latency per event from its batch's start to its handling."""
    latencies: list[float] = []
    per_producer = BURST_EVENTS // BURST_PRODUCERS

    async def producer() -> None:
        waiting: list[tuple[float, asyncio.Future[float]]] = []
        for _ in range(per_producer // BURST_PER_TX):
            started = time.perf_counter()
            waiting += [(started, f) for f in await path.write(BURST_PER_TX)]
        for started, future in waiting:
            latencies.append(await future - started)

    began = time.perf_counter()
    await asyncio.gather(*(producer() for _ in range(BURST_PRODUCERS)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    report.rows.append(
        Figures(
            subject=f"{subject} burst",
            concurrency=BURST_PRODUCERS,
            requests=len(latencies),
            p50_ms=percentile(latencies, 0.5) * 1000,
            p99_ms=percentile(latencies, 0.99) * 1000,
            rps=len(latencies) / elapsed,
        )
    )


async def run() -> Report:
    report = Report(name="events")
    async with _stores() as stores:
        outbox, raw = OutboxPath(stores), RawPath(stores)
        await outbox.start()
        await raw.start()
        try:
            for concurrency, requests in LEVELS:
                await _level(RAW, raw.one, concurrency, requests, report)
                await _level(OUTBOX, outbox.one, concurrency, requests, report)
                await _level(PRODUCER, outbox.add_only, concurrency, requests, report)
            await _burst(RAW, raw, report)
            await _burst(OUTBOX, outbox, report)
        finally:
            await outbox.stop()
            await raw.stop()
    report.peak_rss_mb = peak_rss_mb()
    for concurrency, _ in LEVELS:
        row, base = report.row(OUTBOX, concurrency), report.row(RAW, concurrency)
        producer = report.row(PRODUCER, concurrency)
        report.notes.append(
            f"  c={concurrency}: outbox adds {row.p50_ms - base.p50_ms:+.2f} ms to P50 "
            f"(x{report.ratio(OUTBOX, RAW, concurrency):.1f}), of which the producer's own transaction "
            f"{producer.p50_ms:.2f} ms; throughput {row.rps:.0f}/s vs {base.rps:.0f}/s"
        )
    burst, base = (
        report.row(f"{OUTBOX} burst", BURST_PRODUCERS),
        report.row(f"{RAW} burst", BURST_PRODUCERS),
    )
    report.notes.append(
        f"  saturation: outbox {burst.rps:.0f} events/s vs raw {base.rps:.0f} events/s "
        f"({BURST_PER_TX} events per transaction, {BURST_PRODUCERS} producers)"
    )
    return report


if __name__ == "__main__":
    from bench.harness import render

    print(render(asyncio.run(run())))
