"""The event log (order, expiry, a refused append) and the in-process feed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from chatmesh.conversation.v1 import messages_pb2
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from conversation.generation.event_log import EventLog, EventLogLimits, event_id
from conversation.generation.feed import TurnFeed
from mesh.infra import Infra

pytestmark = pytest.mark.timeout(60)


@pytest_asyncio.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url or "")
    try:
        yield client
    finally:
        await client.aclose()


def _delta(generation_id: str, sequence: int, text: str) -> messages_pb2.GenerationEvent:
    return messages_pb2.GenerationEvent(
        generation_id=generation_id,
        event_id=event_id(generation_id, sequence),
        delta=messages_pb2.ContentDelta(text=text),
    )


def _done(generation_id: str, sequence: int) -> messages_pb2.GenerationEvent:
    return messages_pb2.GenerationEvent(
        generation_id=generation_id,
        event_id=event_id(generation_id, sequence),
        done=messages_pb2.GenerationDone(),
    )


async def _turn(log: EventLog, generation_id: str, count: int) -> None:
    for sequence in range(1, count + 1):
        await log.append(sequence, _delta(generation_id, sequence, f"t{sequence}"))
    await log.append(count + 1, _done(generation_id, count + 1))


async def test_concurrent_turns_are_stored_in_order_with_their_expiry(redis: Redis) -> None:
    log = EventLog(redis, EventLogLimits(running_ttl_seconds=600, finished_ttl_seconds=900))
    turns = [f"gen-{uuid.uuid4().hex}" for _ in range(20)]
    await asyncio.gather(*(_turn(log, generation_id, 15) for generation_id in turns))
    for generation_id in turns:
        read = [event async for event in log.read(generation_id)]
        assert [e.delta.text for e in read[:-1]] == [f"t{i}" for i in range(1, 16)]
        assert read[-1].WhichOneof("kind") == "done"
        assert 600 < await redis.ttl(log.key(generation_id)) <= 900


async def test_a_refused_append_fails_only_its_own_caller(redis: Redis) -> None:
    log = EventLog(redis)
    first, second = f"gen-{uuid.uuid4().hex}", f"gen-{uuid.uuid4().hex}"
    await log.append(2, _delta(first, 2, "a"))
    results = await asyncio.gather(
        log.append(1, _delta(first, 1, "out of order")),
        log.append(1, _delta(second, 1, "fine")),
        return_exceptions=True,
    )
    assert isinstance(results[0], ResponseError)
    assert results[1] is None
    assert await redis.xlen(log.key(second)) == 1
    assert await redis.ttl(log.key(second)) > 0


async def test_the_feed_hands_events_to_readers_that_join_late_and_ends_with_the_last() -> None:
    feed = TurnFeed()
    generation_id = "gen-feed"
    feed.publish(1, _delta(generation_id, 1, "a"))
    early = asyncio.create_task(_collect(feed.read(0)))
    await asyncio.sleep(0)
    feed.publish(2, _delta(generation_id, 2, "b"))
    late = asyncio.create_task(_collect(feed.read(1)))
    await asyncio.sleep(0)
    feed.publish(3, _done(generation_id, 3))
    assert [e.event_id for e in await early] == [event_id(generation_id, n) for n in (1, 2, 3)]
    assert [e.event_id for e in await late] == [event_id(generation_id, n) for n in (2, 3)]


async def test_a_feed_closed_early_or_out_of_order_lets_its_readers_go() -> None:
    feed = TurnFeed()
    feed.publish(1, _delta("gen-x", 1, "a"))
    reader = asyncio.create_task(_collect(feed.read(0)))
    await asyncio.sleep(0)
    feed.publish(3, _delta("gen-x", 3, "skipped one"))
    assert [e.event_id for e in await asyncio.wait_for(reader, 1)] == [event_id("gen-x", 1)]
    assert feed.closed


async def _collect(events: AsyncIterator[messages_pb2.GenerationEvent]) -> list[messages_pb2.GenerationEvent]:
    return [event async for event in events]
