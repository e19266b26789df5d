"""The outbox relay against a real Postgres and Redis: transactional, ordered, exactly one publish per row."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from chatmesh.events.v1.identity_events_pb2 import UserRegistered
from sqlalchemy import func, select, update

from mesh.events import EventEnvelope, OutboxRelay, PublishFailed, unpack
from tests.integration.events.events_support import Bus, Entry, entries
from tests.support.eventually import eventually


async def _entries(bus: Bus) -> list[Entry]:
    return await entries(bus.redis, bus.stream)


def _envelopes(found: list[Entry]) -> list[EventEnvelope]:
    return [EventEnvelope.FromString(fields[b"envelope"]) for _, fields in found]


async def test_rolled_back_events_are_never_relayed(bus: Bus) -> None:
    await bus.add_users(["ghost"], commit=False)
    [kept] = await bus.add_users(["alice"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)

    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0

    [envelope] = _envelopes(await _entries(bus))
    assert envelope.id == kept
    assert unpack(envelope, UserRegistered).user_id == "alice"


async def test_stream_entry_carries_envelope_type_id_subject_and_headers(bus: Bus) -> None:
    [event_id] = await bus.add_users(["alice"], subject="user-1")
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()

    [(_, fields)] = await _entries(bus)
    assert fields[b"type"] == b"chatmesh.events.v1.UserRegistered"
    assert fields[b"id"] == event_id.encode()
    assert fields[b"subject"] == b"user-1"
    assert fields[b"h:kind"] == b"user"
    envelope = EventEnvelope.FromString(fields[b"envelope"])
    assert (envelope.source, envelope.tenant_id, envelope.subject) == ("analytics", "t1", "user-1")
    async with bus.engine.connect() as conn:
        row = (await conn.execute(select(bus.table))).one()
    assert row.published_at is not None and row.attempts == 0
    assert row.event_type == envelope.type and row.aggregate_type == "analytics"


async def test_events_keep_commit_order_across_batches(bus: Bus) -> None:
    names = [f"u{i:03}" for i in range(25)]
    for chunk in (names[:10], names[10:]):
        await bus.add_users(chunk, subject="same-user")
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, batch=7, listen=False)

    while await relay.publish_pending():
        pass

    published = [unpack(e, UserRegistered).user_id for e in _envelopes(await _entries(bus))]
    assert published == names
    assert await bus.unpublished() == 0


async def test_notify_wakes_the_relay_long_before_its_next_poll(bus: Bus) -> None:
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, poll_interval=30)
    await relay.start()
    try:
        await asyncio.wait_for(relay.listening.wait(), 10)
        await asyncio.sleep(0.1)
        started = asyncio.get_running_loop().time()
        await bus.add_users(["alice"])
        await eventually(lambda: _has_entries(bus, 1), within=5, what="the event on the stream")
        assert asyncio.get_running_loop().time() - started < 2
    finally:
        await relay.stop()


async def _has_entries(bus: Bus, count: int) -> bool:
    return int(await bus.redis.xlen(bus.stream)) >= count


async def test_parallel_relays_publish_every_event_exactly_once_in_subject_order(bus: Bus) -> None:
    subjects = [f"s{i}" for i in range(6)]
    expected: dict[str, list[str]] = {s: [] for s in subjects}
    for round_ in range(10):
        names = [f"{s}-{round_}" for s in subjects]
        async with asyncio.TaskGroup() as group:
            for name, subject in zip(names, subjects, strict=True):
                group.create_task(bus.add_users([name], subject=subject))
        for name, subject in zip(names, subjects, strict=True):
            expected[subject].append(name)
    relays = [
        OutboxRelay(engine, bus.table, bus.redis, stream_prefix=bus.prefix, batch=3, poll_interval=0.02)
        for engine in (bus.engine, bus.new_engine(), bus.new_engine())
    ]
    for relay in relays:
        await relay.start()
    try:
        await eventually(lambda: _has_entries(bus, 60), what="60 events on the stream")
        await eventually(lambda: _none_unpublished(bus), what="an empty outbox")
        await asyncio.sleep(0.3)
    finally:
        for relay in relays:
            await relay.stop()

    envelopes = _envelopes(await _entries(bus))
    assert len(envelopes) == 60
    assert len({e.id for e in envelopes}) == 60
    by_subject: dict[str, list[str]] = {s: [] for s in subjects}
    for envelope in envelopes:
        by_subject[envelope.subject].append(unpack(envelope, UserRegistered).user_id)
    assert by_subject == expected


async def test_a_subject_waits_while_another_relay_holds_its_older_event(bus: Bus) -> None:
    [first, _] = await bus.add_users(["a1", "a2"], subject="a")
    await bus.add_users(["b1"], subject="b")
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    other = bus.new_engine()
    async with other.begin() as held:
        # Another replica has claimed a1 and not committed yet.
        await held.execute(select(bus.table.c.id).where(bus.table.c.id == first).with_for_update())
        assert await relay.publish_pending() == 1
        assert [e.subject for e in _envelopes(await _entries(bus))] == ["b"]
    assert await relay.publish_pending() == 2
    published = [unpack(e, UserRegistered).user_id for e in _envelopes(await _entries(bus))]
    assert published == ["b1", "a1", "a2"]


async def _none_unpublished(bus: Bus) -> bool:
    return await bus.unpublished() == 0


async def test_a_failed_publish_keeps_the_rows_and_counts_the_attempt(bus: Bus) -> None:
    await bus.add_users(["alice", "bob"])
    # A WRONGTYPE error from Redis stands in for any publish failure.
    await bus.redis.set(bus.stream, b"not a stream")
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)

    try:
        await relay.publish_pending()
    except PublishFailed:
        pass
    else:
        raise AssertionError("publishing onto a string key must fail")

    async with bus.engine.connect() as conn:
        attempts = (await conn.execute(select(bus.table.c.attempts))).scalars().all()
    assert attempts == [1, 1]
    assert await bus.unpublished() == 2
    await bus.redis.delete(bus.stream)
    assert await relay.publish_pending() == 2


async def test_the_loop_survives_publish_failures_and_catches_up(bus: Bus) -> None:
    await bus.redis.set(bus.stream, b"not a stream")
    relay = OutboxRelay(
        bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, poll_interval=0.05, max_backoff=0.2
    )
    await relay.start()
    try:
        await bus.add_users(["alice"])
        await eventually(lambda: _attempts_at_least(bus, 2), what="repeated publish attempts")
        await bus.redis.delete(bus.stream)
        await eventually(lambda: _has_entries(bus, 1), what="the event after Redis recovered")
    finally:
        await relay.stop()


async def _attempts_at_least(bus: Bus, count: int) -> bool:
    async with bus.engine.connect() as conn:
        return int((await conn.execute(select(func.max(bus.table.c.attempts)))).scalar_one() or 0) >= count


async def test_relay_on_an_unreachable_database_keeps_running_until_stopped(bus: Bus) -> None:
    from mesh.db import create_engine
    from mesh.embedded.common import free_port

    engine = create_engine(bus.settings, "analytics", url=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    bus.engines.append(engine)
    relay = OutboxRelay(
        engine, bus.table, bus.redis, stream_prefix=bus.prefix, poll_interval=0.05, max_backoff=0.1
    )
    await relay.start()
    await asyncio.sleep(0.5)
    assert relay._task is not None and not relay._task.done()
    await asyncio.wait_for(relay.stop(), 5)


async def test_streams_are_trimmed_and_old_published_rows_cleaned_up(bus: Bus) -> None:
    await bus.add_users([f"u{i}" for i in range(300)])
    relay = OutboxRelay(
        bus.engine,
        bus.table,
        bus.redis,
        stream_prefix=bus.prefix,
        maxlen=10,
        retention=timedelta(0),
        cleanup_interval=0,
        poll_interval=0.05,
    )
    await relay.start()
    try:
        await eventually(lambda: _outbox_empty(bus), what="published rows deleted")
    finally:
        await relay.stop()
    assert 10 <= int(await bus.redis.xlen(bus.stream)) < 300


async def _outbox_empty(bus: Bus) -> bool:
    async with bus.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(bus.table))).scalar_one()) == 0


async def test_republishing_after_a_crash_before_commit_duplicates_but_loses_nothing(bus: Bus) -> None:
    ids = await bus.add_users(["alice", "bob"])
    relay = OutboxRelay(bus.engine, bus.table, bus.redis, stream_prefix=bus.prefix, listen=False)
    await relay.publish_pending()
    # As if the relay died after XADD but before its UPDATE committed.
    async with bus.engine.begin() as conn:
        await conn.execute(update(bus.table).values(published_at=None))
    await relay.publish_pending()

    assert [e.id for e in _envelopes(await _entries(bus))] == ids + ids
