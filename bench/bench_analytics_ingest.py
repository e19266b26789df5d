"""Ingestion throughput: UsageRecorded events into the ledger, raw partitions and every rollup.

Subjects (analytics's Ingestor, in this process, against embedded Postgres):

- "ingest 1/tx": one event per transaction (ledger insert, raw row, 3 tiers x 3 cubes of
  upserts), what a consumer handing over one envelope at a time pays.
- "ingest 500/tx": a batch of 500 events per transaction (pre-folded, one upsert per row).
- "consumer group": events XADDed to a Redis stream, read by the real EventConsumer
  (lease, handler, done marker, ack) into the Ingestor; events/s from first XADD to last ack.
  Twice: as analytics runs it (the batch handler: each read of up to ``consumer_batch``
  events in one transaction) and with the per-event handler alone (one transaction each).

Baseline ("raw insert 1/tx"): the same events as plain INSERTs into an unpartitioned log
table with no rollups, what a spend-log design pays per request (and then pays again at
every dashboard load). Rows report calls; events/s are in the notes.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.config import AnalyticsSettings
from analytics.ingestion.consumer import usage_consumer
from analytics.ingestion.ingestor import Ingestor
from bench.harness import Report, measure, peak_rss_mb
from mesh.config import load_settings
from mesh.db import create_engine, session_factory
from mesh.embedded.common import free_port
from mesh.events import EventConsumer, EventEnvelope, build_envelope
from mesh.infra import EmbeddedPostgres, EmbeddedRedis
from mesh.migrate import migrate

LEVELS = ((1, 1000), (16, 2000))
BATCH = 500
BATCHES = 10
CONSUMED = 3000
SINGLE = "ingest 1/tx"
BATCHED = f"ingest {BATCH}/tx"
RAW = "raw insert 1/tx (baseline)"


def _envelope(i: int, now: datetime) -> EventEnvelope:
    from chatmesh.events.v1 import usage_events_pb2

    event = usage_events_pb2.UsageRecorded(
        request_id=f"req-{uuid.uuid4().hex}",
        user_id=f"user-{i % 200}",
        api_key_id=f"key-{i % 400}",
        model=("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "qwen-max")[i % 4],
        channel_id=f"channel-{i % 3}",
        prompt_tokens=100 + i % 900,
        completion_tokens=20 + i % 300,
        quota_units=500 + i % 1000,
        status=usage_events_pb2.USAGE_STATUS_FAILED
        if i % 25 == 0
        else usage_events_pb2.USAGE_STATUS_SUCCEEDED,
    )
    event.latency.FromMilliseconds(300 + i % 2500)
    event.time_to_first_token.FromMilliseconds(80 + i % 400)
    at = now - timedelta(seconds=i % 3600)
    return build_envelope(
        event, source="model_router", tenant_id=f"tenant-{i % 5}", actor_id="", occurred_at=at
    )


class Source:
    """Fresh envelopes on demand (every call a new event id)."""

    def __init__(self) -> None:
        self.count = 0
        self.now = datetime.now(UTC)

    def take(self, n: int) -> list[EventEnvelope]:
        start, self.count = self.count, self.count + n
        return [_envelope(i, self.now) for i in range(start, start + n)]


async def run() -> Report:
    report = Report(name="analytics_ingest")
    root = Path(tempfile.mkdtemp(prefix="chatmesh-bench-ingest-"))
    await asyncio.to_thread(root.chmod, 0o711)
    postgres = EmbeddedPostgres(root / "servers", free_port())
    redis_server = EmbeddedRedis(root / "servers", free_port())
    try:
        await asyncio.to_thread(postgres.start)
        await asyncio.to_thread(redis_server.start)
        settings = load_settings(_env_file=None, database_url=postgres.url, data_dir=root / "data")
        await migrate(settings, ["analytics"])
        engine = create_engine(settings, "analytics")
        config = AnalyticsSettings()
        ingestor = Ingestor(engine, session_factory(engine), config)
        source = Source()
        async with engine.begin() as conn:
            await conn.execute(
                text("CREATE TABLE analytics.bench_log (LIKE analytics.usage_events INCLUDING DEFAULTS)")
            )

        async def single() -> None:
            await ingestor.apply(source.take(1))

        async def batched() -> None:
            await ingestor.apply(source.take(BATCH))

        async def raw_insert() -> None:
            envelope = source.take(1)[0]
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO analytics.bench_log (occurred_at, event_id, request_id, tenant_id, "
                        "model, prompt_tokens, completion_tokens, cost, latency_ms) "
                        "VALUES (now(), :id, :id, :tenant, 'gpt-4o', 100, 20, 500, 300)"
                    ),
                    {"id": envelope.id, "tenant": envelope.tenant_id},
                )

        for concurrency, requests in LEVELS:
            report.rows.append(
                await measure(RAW, raw_insert, concurrency=concurrency, requests=requests, warmup=20)
            )
            report.rows.append(
                await measure(SINGLE, single, concurrency=concurrency, requests=requests, warmup=20)
            )
        report.rows.append(await measure(BATCHED, batched, concurrency=1, requests=BATCHES, warmup=1))
        for row in report.rows:
            events = row.rps * (BATCH if row.subject == BATCHED else 1)
            report.notes.append(f"  {row.subject} c={row.concurrency}: {events:,.0f} events/s")
        redis = Redis.from_url(redis_server.url)
        try:
            for batched_reads in (False, True):
                rate = await _consumer_group(engine, redis, ingestor, config, source, batched_reads)
                how = (
                    f"batch handler, reads of {config.consumer_batch}"
                    if batched_reads
                    else "1 event per call"
                )
                report.notes.append(
                    f"  consumer group (XADD -> EventConsumer -> Ingestor, {how}): {rate:,.0f} events/s"
                )
        finally:
            await redis.aclose()
        await engine.dispose()
    finally:
        await asyncio.to_thread(redis_server.stop)
        await asyncio.to_thread(postgres.stop)
        shutil.rmtree(root, ignore_errors=True)
    report.peak_rss_mb = peak_rss_mb()
    return report


async def _ledger(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM analytics.processed_events"))).scalar_one())


async def _consumer_group(
    engine: AsyncEngine,
    redis: Redis,
    ingestor: Ingestor,
    config: AnalyticsSettings,
    source: Source,
    batched_reads: bool,
) -> float:
    """Events/s from the first XADD until the ledger holds every event."""
    stream = "events:bench-analytics"
    before = await _ledger(engine)
    envelopes = source.take(CONSUMED)
    consumer = usage_consumer(redis, ingestor, config, consumer_name="bench", streams=[stream])
    if not batched_reads:
        consumer = EventConsumer(
            redis,
            group=config.consumer_group,
            consumer_name="bench",
            streams=[stream],
            handler=ingestor.handle,
            count=config.consumer_batch,
        )
    started = time.perf_counter()
    async with redis.pipeline(transaction=False) as pipe:
        for envelope in envelopes:
            pipe.xadd(
                stream, {"envelope": envelope.SerializeToString(), "id": envelope.id, "type": envelope.type}
            )
        await pipe.execute()
    await consumer.start()
    try:
        while await _ledger(engine) < before + CONSUMED:  # noqa: ASYNC110 (polling another system)
            await asyncio.sleep(0.05)
    finally:
        await consumer.stop()
    return CONSUMED / (time.perf_counter() - started)


if __name__ == "__main__":
    from bench.harness import render

    print(render(asyncio.run(run())))
