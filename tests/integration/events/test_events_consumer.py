"""Consumer groups end to end: once per event, retries, dead letters, crashed consumers, duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from chatmesh.events.v1.identity_events_pb2 import UserRegistered

from mesh.events import EventConsumer, EventEnvelope, OutboxRelay, unpack
from tests.integration.events.events_support import Bus, Recorder, entries
from tests.support.eventually import eventually


def _consumer(
    bus: Bus, handler: Callable[[EventEnvelope], Any], name: str = "c1", **options: Any
) -> EventConsumer:
    settings: dict[str, Any] = {
        "group": f"{bus.prefix}group",
        "consumer_name": name,
        "streams": [bus.stream],
        "dead_letter_stream": bus.dead,
        "block_ms": 100,
        "retry_backoff": 0.05,
        **options,
    }
    return EventConsumer(bus.redis, handler=handler, **settings)


@asynccontextmanager
async def _running(*workers: OutboxRelay | EventConsumer) -> AsyncIterator[None]:
    for worker in workers:
        await worker.start()
        if isinstance(worker, EventConsumer):
            await asyncio.wait_for(worker.ready.wait(), 10)
    try:
        yield
    finally:
        for worker in workers:
            await worker.stop(grace=2)


async def _pending(bus: Bus) -> int:
    return int((await bus.redis.xpending(bus.stream, f"{bus.prefix}group"))["pending"])


async def test_committed_events_are_consumed_once_in_order_and_acked(bus: Bus) -> None:
    names = [f"u{i}" for i in range(20)]
    await bus.add_users(names[:5], commit=False)
    ids = await bus.add_users(names)
    recorder = Recorder()
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, poll_interval=0.05)
    async with _running(relay, _consumer(bus, recorder)):
        await eventually(lambda: _seen(recorder, 20), what="20 handled events")
        await asyncio.sleep(0.3)

    assert [unpack(e, UserRegistered).user_id for e in recorder.seen] == names
    assert [e.id for e in recorder.seen] == ids
    assert set(recorder.calls.values()) == {1}
    assert await _pending(bus) == 0


async def _seen(recorder: Recorder, count: int) -> bool:
    return len(recorder.seen) >= count


async def test_a_failing_handler_is_retried_until_it_succeeds(bus: Bus) -> None:
    [event_id] = await bus.add_users(["flaky"])
    recorder = Recorder(fail=lambda _e, call: call < 3)
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, poll_interval=0.05)
    async with _running(relay, _consumer(bus, recorder)):
        await eventually(lambda: _seen(recorder, 1), what="the third attempt to succeed")
        await asyncio.sleep(0.3)

    assert recorder.calls == {event_id: 3}
    assert await _pending(bus) == 0
    assert int(await bus.redis.xlen(bus.dead)) == 0


async def test_an_event_that_keeps_failing_is_dead_lettered_and_the_rest_flow_on(bus: Bus) -> None:
    [poison, fine] = await bus.add_users(["poison", "fine"])
    recorder = Recorder(fail=lambda envelope, _call: envelope.id == poison)
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, poll_interval=0.05)
    async with _running(relay, _consumer(bus, recorder, max_attempts=3)):
        await eventually(lambda: _stream_has(bus, bus.dead, 1), what="a dead letter")
        await asyncio.sleep(0.2)

    assert [e.id for e in recorder.seen] == [fine]
    assert recorder.calls[poison] == 3
    [(_, letter)] = await entries(bus.redis, bus.dead)
    assert letter[b"id"] == poison.encode()
    assert letter[b"attempts"] == b"3"
    assert letter[b"stream"] == bus.stream.encode()
    assert letter[b"group"] == f"{bus.prefix}group".encode()
    assert b"handler refused" in letter[b"error"]
    assert EventEnvelope.FromString(letter[b"envelope"]).id == poison
    [(original_id, _), _] = await entries(bus.redis, bus.stream)
    assert letter[b"entry_id"] == original_id
    assert await _pending(bus) == 0


async def _stream_has(bus: Bus, stream: str, count: int) -> bool:
    return int(await bus.redis.xlen(stream)) >= count


async def test_entries_of_a_crashed_consumer_are_claimed_by_another(bus: Bus) -> None:
    [event_id] = await bus.add_users(["orphan"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    stuck = asyncio.Event()

    async def hang(_envelope: EventEnvelope) -> None:
        stuck.set()
        await asyncio.Event().wait()

    crashing = _consumer(bus, hang, "doomed", claim_idle_ms=300)
    await crashing.start()
    await asyncio.wait_for(stuck.wait(), 10)
    await crashing.stop(grace=0.1)
    assert await _pending(bus) == 1
    # A hard crash (kill -9) would also leave the handling lease behind until it expires.
    await bus.redis.set(crashing.dedupe_key(event_id), b"doomed", px=300)

    recorder = Recorder()
    async with _running(_consumer(bus, recorder, "rescuer", claim_idle_ms=300)):
        await eventually(lambda: _seen(recorder, 1), what="the rescuer to handle the orphan")
        await asyncio.sleep(0.1)

    assert recorder.calls == {event_id: 1}
    assert await _pending(bus) == 0


async def test_a_restarted_consumer_resumes_its_own_pending_entries_at_once(bus: Bus) -> None:
    [event_id] = await bus.add_users(["interrupted"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    stuck = asyncio.Event()

    async def hang(_envelope: EventEnvelope) -> None:
        stuck.set()
        await asyncio.Event().wait()

    first_life = _consumer(bus, hang, "worker-0", claim_idle_ms=60_000)
    await first_life.start()
    await asyncio.wait_for(stuck.wait(), 10)
    await first_life.stop(grace=0.1)

    recorder = Recorder()
    async with _running(_consumer(bus, recorder, "worker-0", claim_idle_ms=60_000)):
        await eventually(lambda: _seen(recorder, 1), within=3, what="the restarted consumer to resume")
    assert recorder.calls == {event_id: 1}
    assert await _pending(bus) == 0


async def test_an_entry_that_keeps_killing_its_consumers_is_dead_lettered_unhandled(bus: Bus) -> None:
    [event_id] = await bus.add_users(["killer"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    group = f"{bus.prefix}group"
    await bus.redis.xgroup_create(bus.stream, group, id="0")
    # Three consumers took it and died without a word (say the handler ran them out of memory).
    await bus.redis.xreadgroup(group, "victim-1", {bus.stream: ">"})
    [(entry_id, _)] = await entries(bus.redis, bus.stream)
    for victim in ("victim-2", "victim-3"):
        await bus.redis.xclaim(bus.stream, group, victim, 0, [entry_id])

    recorder = Recorder()
    async with _running(_consumer(bus, recorder, "survivor", claim_idle_ms=100, max_attempts=3)):
        await eventually(lambda: _stream_has(bus, bus.dead, 1), what="a dead letter")
    assert recorder.calls == {}
    [(_, letter)] = await entries(bus.redis, bus.dead)
    assert letter[b"id"] == event_id.encode()
    assert b"without being acked" in letter[b"error"]
    assert await _pending(bus) == 0


async def test_a_long_handler_keeps_its_entry_from_being_stolen(bus: Bus) -> None:
    await bus.add_users(["slow"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    calls: list[str] = []

    async def slow(envelope: EventEnvelope) -> None:
        calls.append(envelope.id)
        await asyncio.sleep(1.0)

    first = _consumer(bus, slow, "first", claim_idle_ms=300)
    second = _consumer(bus, slow, "second", claim_idle_ms=300)
    async with _running(first):
        await eventually(lambda: _called(calls), what="the first consumer to start")
        async with _running(second):
            await eventually(lambda: _no_pending(bus), what="the slow handler to finish")
    assert len(calls) == 1


async def _called(calls: list[str]) -> bool:
    return bool(calls)


async def _no_pending(bus: Bus) -> bool:
    return await _pending(bus) == 0


async def test_duplicate_entries_run_the_handler_once_per_group(bus: Bus) -> None:
    ids = await bus.add_users(["alice", "bob"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    # The relay republishes (say it crashed before marking the rows): every event twice.
    for _, fields in await entries(bus.redis, bus.stream):
        again: dict[Any, Any] = dict(fields)
        await bus.redis.xadd(bus.stream, again)

    recorder = Recorder()
    other_group = Recorder()
    consumers = [
        _consumer(bus, recorder, "c1"),
        _consumer(bus, recorder, "c2"),
        _consumer(bus, other_group, "x1", group=f"{bus.prefix}other"),
    ]
    async with _running(*consumers):
        await eventually(lambda: _no_pending(bus), what="all four entries acked")
        await eventually(lambda: _seen(other_group, 2), what="the other group to get both events")
        await asyncio.sleep(0.3)

    assert recorder.calls == dict.fromkeys(ids, 1)
    assert other_group.calls == dict.fromkeys(ids, 1)


async def test_consumer_started_after_publication_still_gets_earlier_events(bus: Bus) -> None:
    ids = await bus.add_users(["early"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    recorder = Recorder()
    async with _running(_consumer(bus, recorder)):
        await eventually(lambda: _seen(recorder, 1), what="the early event")
    assert [e.id for e in recorder.seen] == ids


async def test_a_recreated_stream_gets_its_group_back(bus: Bus) -> None:
    recorder = Recorder()
    consumer = _consumer(bus, recorder)
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    async with _running(consumer):
        await bus.redis.delete(bus.stream)
        await bus.add_users(["after"])
        await relay.publish_pending()
        await eventually(lambda: _seen(recorder, 1), what="the event on the recreated stream")
