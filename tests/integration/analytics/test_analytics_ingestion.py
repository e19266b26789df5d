"""Ingestion: every aggregate changes exactly once per event, whatever the order or interruptions."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chatmesh.events.v1.identity_events_pb2 import UserRegistered
from sqlalchemy import func, select, text

from analytics.deps import AnalyticsDeps
from analytics.domain.facts import CUBES
from analytics.ingestion.consumer import usage_consumer
from analytics.store.tables import ROLLUPS, processed_events, usage_events
from mesh.events import EventEnvelope
from tests.integration.analytics.analytics_events import usage_envelope

NOW = datetime.now(UTC).replace(microsecond=0)


def _traffic(tenant: str, count: int = 40) -> list[EventEnvelope]:
    """Requests spread over three hours, two models, two users, some failures."""
    envelopes = []
    for i in range(count):
        envelopes.append(
            usage_envelope(
                NOW - timedelta(minutes=7 * i),
                tenant=tenant,
                user=f"u{i % 2}",
                model="m-a" if i % 3 else "m-b",
                status="failed" if i % 5 == 0 else "succeeded",
                error_code="UNAVAILABLE" if i % 5 == 0 else "",
                prompt=10 + i,
                completion=i,
                cost=100 + i,
                latency_ms=100 + 10 * i,
            )
        )
    return envelopes


async def _snapshot(deps: AnalyticsDeps, tenant: str) -> dict[str, Any]:
    """Every tier's rows of a tenant (counters and sketches) and the tenant's raw row count."""
    found: dict[str, Any] = {}
    async with deps.sessions() as session:
        for tier, table in ROLLUPS.items():
            rows = await session.execute(
                select(table).where(table.c.tenant_id == tenant).order_by(*table.primary_key.columns)
            )
            found[tier] = [tuple(row) for row in rows]
        found["raw"] = await session.scalar(
            select(func.count()).select_from(usage_events).where(usage_events.c.tenant_id == tenant)
        )
    return found


async def _sums(deps: AnalyticsDeps, tenant: str, tier: str, cube: int = 0) -> tuple[int, int, int, int]:
    table = ROLLUPS[tier]
    async with deps.sessions() as session:
        row = (
            await session.execute(
                select(
                    func.sum(table.c.requests),
                    func.sum(table.c.prompt_tokens + table.c.completion_tokens),
                    func.sum(table.c.cost),
                    func.sum(table.c.failed_requests),
                ).where(table.c.tenant_id == tenant, table.c.cube == cube)
            )
        ).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def _expected(envelopes: list[EventEnvelope]) -> tuple[int, int, int, int]:
    tokens = sum(10 + i + i for i in range(len(envelopes)))
    cost = sum(100 + i for i in range(len(envelopes)))
    failed = sum(1 for i in range(len(envelopes)) if i % 5 == 0)
    return len(envelopes), tokens, cost, failed


async def test_every_tier_counts_each_request_once(deps: AnalyticsDeps) -> None:
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    envelopes = _traffic(tenant)
    assert deps.ingestor is not None
    assert await deps.ingestor.apply(envelopes) == len(envelopes)
    for tier in ROLLUPS:
        for cube in CUBES:
            assert await _sums(deps, tenant, tier, cube) == _expected(envelopes), (tier, cube)
    assert (await _snapshot(deps, tenant))["raw"] == len(envelopes)


async def test_replayed_events_change_nothing(deps: AnalyticsDeps) -> None:
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    envelopes = _traffic(tenant)
    assert deps.ingestor is not None
    await deps.ingestor.apply(envelopes)
    before = await _snapshot(deps, tenant)
    assert await deps.ingestor.apply(envelopes) == 0
    for envelope in envelopes[::3]:
        await deps.ingestor.handle(envelope)
    assert await _snapshot(deps, tenant) == before


async def test_out_of_order_arrival_gives_the_same_rollups(deps: AnalyticsDeps) -> None:
    in_order, shuffled = f"t-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    assert deps.ingestor is not None
    await deps.ingestor.apply(_traffic(in_order))
    mixed = _traffic(shuffled)
    random.Random(7).shuffle(mixed)
    for start in range(0, len(mixed), 7):  # uneven batches, newest and oldest interleaved
        await deps.ingestor.apply(mixed[start : start + 7])

    def without_tenant(snapshot: dict[str, Any]) -> dict[str, Any]:
        return {
            k: [row[:2] + row[3:] for row in v] if isinstance(v, list) else v for k, v in snapshot.items()
        }

    assert without_tenant(await _snapshot(deps, shuffled)) == without_tenant(await _snapshot(deps, in_order))


async def test_concurrent_deliveries_of_one_event_count_once(deps: AnalyticsDeps) -> None:
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    envelopes = _traffic(tenant, 10)
    assert deps.ingestor is not None
    ingestor = deps.ingestor
    await asyncio.gather(*(ingestor.apply(envelopes) for _ in range(4)), return_exceptions=True)
    await ingestor.apply(envelopes)  # whichever batch lost a race is applied now, or skipped
    assert await _sums(deps, tenant, "hour") == _expected(envelopes)


async def _publish(deps: AnalyticsDeps, stream: str, envelopes: list[EventEnvelope]) -> None:
    assert deps.redis is not None
    for envelope in envelopes:
        fields: dict[Any, Any] = {
            "envelope": envelope.SerializeToString(),
            "type": envelope.type,
            "id": envelope.id,
            "subject": envelope.subject,
        }
        await deps.redis.xadd(stream, fields)


async def _until(condition: Any, seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_restart_mid_batch_loses_and_doubles_nothing(deps: AnalyticsDeps) -> None:
    """A consumer took a batch, applied part of it and died before acking: its restart finishes it."""
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    stream = f"events:test-{uuid.uuid4().hex[:8]}"
    envelopes = _traffic(tenant, 30)
    await _publish(deps, stream, envelopes)
    assert deps.redis is not None and deps.ingestor is not None
    group = deps.settings.consumer_group
    await deps.redis.xgroup_create(stream, group, id="0", mkstream=True)
    taken = await deps.redis.xreadgroup(group, "worker-1", {stream: ">"}, count=20)
    assert len(taken[0][1]) == 20
    await deps.ingestor.apply(envelopes[:12])  # committed, never acked: the crash came after

    consumer = usage_consumer(
        deps.redis, deps.ingestor, deps.settings, consumer_name="worker-1", streams=[stream]
    )
    await consumer.start()
    try:

        async def caught_up() -> bool:
            assert deps.redis is not None
            pending = await deps.redis.xpending(stream, group)
            requests = (await _sums(deps, tenant, "minute"))[0]
            return requests == len(envelopes) and int(pending["pending"]) == 0

        await _until(caught_up)
    finally:
        await consumer.stop()
    for tier in ROLLUPS:
        assert await _sums(deps, tenant, tier) == _expected(envelopes)
    async with deps.sessions() as session:
        ids = [e.id for e in envelopes]
        ledger = await session.scalar(
            select(func.count()).select_from(processed_events).where(processed_events.c.event_id.in_(ids))
        )
    assert ledger == len(envelopes)


async def test_events_older_than_the_ledger_window_are_not_counted(deps: AnalyticsDeps) -> None:
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    old = usage_envelope(NOW - timedelta(days=deps.settings.raw_retention_days + 2), tenant=tenant)
    assert deps.ingestor is not None
    assert await deps.ingestor.apply([old]) == 0
    assert await _sums(deps, tenant, "day") == (0, 0, 0, 0)


async def test_sketches_sum_per_bucket(deps: AnalyticsDeps) -> None:
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    at = NOW.replace(second=0) - timedelta(minutes=1)
    assert deps.ingestor is not None
    await deps.ingestor.apply([usage_envelope(at, tenant=tenant, latency_ms=ms) for ms in (10, 10, 1000)])
    async with deps.sessions() as session:
        hist = await session.scalar(
            text(
                "SELECT analytics.hist_sum(latency_hist) FROM analytics.usage_rollup_minute "
                "WHERE tenant_id = :t AND cube = 0"
            ),
            {"t": tenant},
        )
    assert sum(hist) == 3 and max(hist) == 2


async def test_a_poison_event_is_dead_lettered_alone_and_its_batch_counted_once(deps: AnalyticsDeps) -> None:
    """The consumer applies a read in one transaction; one undecodable event must not sink it."""
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    stream = f"events:test-{uuid.uuid4().hex[:8]}"
    envelopes = _traffic(tenant, 12)
    poison = EventEnvelope()
    poison.CopyFrom(envelopes[0])
    poison.id = f"poison-{uuid.uuid4().hex}"
    poison.payload.Pack(UserRegistered(user_id="not-a-usage-record"))
    await _publish(deps, stream, [*envelopes[:6], poison, *envelopes[6:]])
    assert deps.redis is not None and deps.ingestor is not None
    dead_before = await deps.redis.xlen("events:dead")

    consumer = usage_consumer(
        deps.redis, deps.ingestor, deps.settings, consumer_name="worker-p", streams=[stream]
    )
    await consumer.start()
    try:
        await asyncio.wait_for(consumer.ready.wait(), 30)

        async def settled() -> bool:
            assert deps.redis is not None
            pending = await deps.redis.xpending(stream, deps.settings.consumer_group)
            dead = await deps.redis.xlen("events:dead")
            return int(pending["pending"]) == 0 and dead > dead_before

        await _until(settled, 60.0)
    finally:
        await consumer.stop()
    for tier in ROLLUPS:
        assert await _sums(deps, tenant, tier) == _expected(envelopes)
    letters = await deps.redis.xrange("events:dead")
    ours = [fields for _, fields in letters if fields[b"stream"] == stream.encode()]
    assert [fields[b"id"] for fields in ours] == [poison.id.encode()]
