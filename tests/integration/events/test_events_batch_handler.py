"""The opt-in batch handler: one call per read, acked together; a poison event falls out alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from mesh.events import EventConsumer, EventEnvelope, OutboxRelay
from tests.integration.events.events_support import Bus, entries
from tests.support.eventually import eventually


class BatchRecorder:
    """All or nothing, like one transaction: a batch holding a refused id raises and records nothing."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.batches: list[list[str]] = []
        self.failed_batches: list[list[str]] = []
        self.refuse = refuse

    async def __call__(self, envelopes: list[EventEnvelope]) -> None:
        ids = [e.id for e in envelopes]
        if self.refuse.intersection(ids):
            self.failed_batches.append(ids)
            raise RuntimeError(f"batch refused: holds one of {sorted(self.refuse)}")
        self.batches.append(ids)

    def applied(self) -> list[str]:
        return [event_id for batch in self.batches for event_id in batch]


def _consumer(bus: Bus, handler: BatchRecorder, **options: Any) -> EventConsumer:
    return EventConsumer(
        bus.redis,
        batch_handler=handler,
        group=f"{bus.prefix}group",
        consumer_name="c1",
        streams=[bus.stream],
        dead_letter_stream=bus.dead,
        block_ms=100,
        retry_backoff=0.05,
        **options,
    )


@asynccontextmanager
async def _running(consumer: EventConsumer) -> AsyncIterator[None]:
    await consumer.start()
    await asyncio.wait_for(consumer.ready.wait(), 10)
    try:
        yield
    finally:
        await consumer.stop(grace=2)


async def _published(bus: Bus, names: list[str]) -> list[str]:
    ids = await bus.add_users(names)
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    return ids


async def _pending(bus: Bus) -> int:
    return int((await bus.redis.xpending(bus.stream, f"{bus.prefix}group"))["pending"])


async def test_events_read_together_go_to_one_call_and_are_acked_together(bus: Bus) -> None:
    ids = await _published(bus, [f"u{i}" for i in range(12)])
    recorder = BatchRecorder()

    async with _running(_consumer(bus, recorder, count=64)):
        await eventually(lambda: _applied(recorder, 12), what="12 applied events")
        await eventually(lambda: _no_pending(bus), what="every entry acked")

    assert recorder.batches == [ids]
    # Redelivering the same entries (a lost ack) finds them done: the handler is not called again.
    for _entry_id, fields in await entries(bus.redis, bus.stream):
        await bus.redis.xadd(bus.stream, fields)
    async with _running(_consumer(bus, recorder, count=64)):
        await eventually(lambda: _no_pending_after(bus, 24), what="the duplicates acked")
    assert recorder.batches == [ids]


async def test_a_poison_event_is_dead_lettered_alone_and_the_rest_of_its_batch_applied(bus: Bus) -> None:
    ids = await _published(bus, [f"u{i}" for i in range(8)])
    poison = ids[3]
    recorder = BatchRecorder(refuse=frozenset({poison}))

    async with _running(_consumer(bus, recorder, count=64, max_attempts=3)):
        await eventually(lambda: _dead_letters(bus, 1), what="a dead letter")
        await eventually(lambda: _no_pending(bus), what="every entry settled")

    assert recorder.failed_batches[0] == ids
    assert sorted(recorder.applied()) == sorted(i for i in ids if i != poison)
    assert len(recorder.applied()) == 7
    [(_, letter)] = await entries(bus.redis, bus.dead)
    assert letter[b"id"] == poison.encode()
    assert letter[b"attempts"] == b"3"
    assert b"batch refused" in letter[b"error"]


async def test_a_consumer_needs_some_handler(bus: Bus) -> None:
    with pytest.raises(ValueError, match="handler"):
        EventConsumer(bus.redis, group="g", consumer_name="c", streams=[bus.stream])


async def _applied(recorder: BatchRecorder, count: int) -> bool:
    return len(recorder.applied()) >= count


async def _no_pending(bus: Bus) -> bool:
    return await _pending(bus) == 0


async def _no_pending_after(bus: Bus, length: int) -> bool:
    info: Any = await bus.redis.xinfo_groups(bus.stream)
    delivered = info[0].get("last-delivered-id") or info[0].get(b"last-delivered-id")
    last: Any = await bus.redis.xrevrange(bus.stream, count=1)
    caught_up = int(await bus.redis.xlen(bus.stream)) == length and delivered == last[0][0]
    return caught_up and await _no_pending(bus)


async def _dead_letters(bus: Bus, count: int) -> bool:
    return int(await bus.redis.xlen(bus.dead)) >= count
