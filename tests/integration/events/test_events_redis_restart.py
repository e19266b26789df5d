"""A Redis restart loses nothing: streams, groups and pending work survive, relay and consumers reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from redis.asyncio import Redis

from mesh.embedded.common import free_port
from mesh.events import EventConsumer, OutboxRelay
from mesh.infra import EmbeddedRedis
from tests.integration.events.events_support import Bus, Recorder
from tests.support.eventually import eventually


@pytest_asyncio.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[EmbeddedRedis]:
    """A Redis of this test's own, so stopping it disturbs nobody else."""
    server = EmbeddedRedis(tmp_path / "redis-data", free_port())
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


def _consumer(redis: Redis, bus: Bus, group: str, recorder: Recorder) -> EventConsumer:
    return EventConsumer(
        redis,
        group=group,
        consumer_name="c1",
        streams=[bus.stream],
        handler=recorder,
        dead_letter_stream=bus.dead,
        block_ms=100,
    )


async def _seen(recorder: Recorder, count: int) -> bool:
    return len(recorder.seen) >= count


async def test_nothing_is_lost_when_redis_restarts(bus: Bus, private_redis: EmbeddedRedis) -> None:
    redis = Redis.from_url(private_redis.url, socket_connect_timeout=1)
    relay = OutboxRelay(
        bus.engine, bus.table, redis, stream_prefix=bus.prefix, poll_interval=0.05, max_backoff=0.5
    )
    through = Recorder()
    steady = _consumer(redis, bus, "through-restart", through)
    await relay.start()
    await steady.start()
    try:
        before = await bus.add_users([f"before{i}" for i in range(5)])
        await eventually(lambda: _seen(through, 5), what="the first five events")

        await asyncio.to_thread(private_redis.stop)
        during = await bus.add_users([f"during{i}" for i in range(5)])
        await asyncio.sleep(0.5)
        assert await bus.unpublished() == 5
        await asyncio.to_thread(private_redis.start)

        after = await bus.add_users([f"after{i}" for i in range(5)])
        await eventually(lambda: _seen(through, 15), within=20, what="every event after the restart")
        late = Recorder()
        newcomer = _consumer(redis, bus, "after-restart", late)
        await newcomer.start()
        try:
            await eventually(lambda: _seen(late, 15), what="a new group to read the whole stream")
        finally:
            await newcomer.stop()
    finally:
        await steady.stop()
        await relay.stop()
        await redis.aclose()

    everything = before + during + after
    assert [e.id for e in through.seen] == everything
    assert through.calls == dict.fromkeys(everything, 1)
    assert [e.id for e in late.seen] == everything
