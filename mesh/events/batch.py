"""Handling one read batch of stream entries: once per event id and group, or dead-lettered.

Before a handler runs, its event id gets a lease in Redis (``SET NX PX``); a
successful handler's lease becomes a "done" marker kept for ``dedupe_ttl`` and
its entry is acked in the same MULTI. A duplicate entry (the relay retried) or
a redelivery after a lost ack finds "done" and is only acked; an id leased by
another consumer right now is retried later. Leases, done markers and acks go
out pipelined, one round trip per batch each, so the per-event cost stays
close to the handler's own.

While the handlers run, a heartbeat re-claims the batch's entries (JUSTID:
resets their idle time without counting a delivery) and extends the leases, so
a long handler is never mistaken for a dead consumer. A failed handler releases
its lease and its entry is retried; after ``max_attempts`` deliveries the entry
is copied to the dead-letter stream with the error, and acked.

With a ``batch_handler`` (opt in) the leased events of one read go to it together, as
one list, and are acked together after it returns: a consumer that writes them in one
transaction pays one commit per read instead of one per event. If the batch handler
raises, the batch falls back to one call per event (the single-event handler, or the
batch handler with a list of one), so a poison event is retried and dead-lettered alone
and the others are acked. A batch handler must therefore leave nothing behind when it
raises (one transaction) or be idempotent per event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError
from redis.asyncio import Redis

from mesh.events.envelope import EventEnvelope
from mesh.events.metrics import event_metrics

__all__ = ["BatchHandler", "BatchOfEventsHandler", "Handler", "RawEntry"]

log = logging.getLogger(__name__)

Handler = Callable[[EventEnvelope], Awaitable[None]]
BatchOfEventsHandler = Callable[[list[EventEnvelope]], Awaitable[None]]
RawEntry = tuple[bytes, "dict[bytes, bytes] | None"]
_DONE = b"done"
_MAX_ERROR_CHARS = 2000


@dataclass(slots=True)
class _Work:
    entry_id: bytes
    fields: dict[bytes, bytes]
    envelope: EventEnvelope
    deliveries: int
    key: str


class BatchHandler:
    """The per-batch protocol of :class:`mesh.events.EventConsumer` (one instance per consumer)."""

    def __init__(
        self,
        redis: Redis,
        *,
        group: str,
        consumer_name: str,
        handler: Handler | None,
        max_attempts: int,
        dead_letter_stream: str,
        lease_ms: int,
        dedupe_ttl_ms: int,
        retry: Callable[[str, bytes, int], None],
        stopping: Callable[[], bool],
        batch_handler: BatchOfEventsHandler | None = None,
    ) -> None:
        if handler is None and batch_handler is None:
            raise ValueError("give a handler, a batch_handler or both")
        self.redis = redis
        self.group = group
        self.consumer_name = consumer_name
        self.handler: Handler = handler or _one_at_a_time(batch_handler)
        self.batch_handler = batch_handler
        self.max_attempts = max_attempts
        self.dead_letter_stream = dead_letter_stream
        self.lease_ms = lease_ms
        self.dedupe_ttl_ms = dedupe_ttl_ms
        self._retry = retry
        self._stopping = stopping
        self.busy = False

    def dedupe_key(self, event_id: str) -> str:
        return f"events-seen:{self.group}:{event_id}"

    async def handle(self, stream: str, entries: list[RawEntry], deliveries: dict[bytes, int]) -> None:
        """Handle ``entries`` of ``stream``; ``deliveries`` defaults to 1 for entries not in it."""
        self.busy = True
        try:
            acks: list[bytes] = []
            work = await self._triage(stream, entries, deliveries, acks)
            leased = await self._lease(stream, work, acks)
            await self._run(stream, leased, acks)
        finally:
            self.busy = False

    async def _triage(
        self, stream: str, entries: list[RawEntry], deliveries: dict[bytes, int], acks: list[bytes]
    ) -> list[_Work]:
        work: list[_Work] = []
        for entry_id, fields in entries:
            if not fields:  # trimmed away while pending: nothing left to handle
                acks.append(entry_id)
                continue
            count = deliveries.get(entry_id, 1)
            try:
                envelope = EventEnvelope.FromString(fields.get(b"envelope", b""))
            except DecodeError as exc:
                await self._dead_letter(stream, entry_id, fields, f"undecodable envelope: {exc}", count)
                continue
            if count > self.max_attempts:
                reason = f"delivered {count} times without being acked (did its handler crash the consumer?)"
                await self._dead_letter(stream, entry_id, fields, reason, count)
                continue
            work.append(_Work(entry_id, fields, envelope, count, self.dedupe_key(envelope.id)))
        return work

    async def _lease(self, stream: str, work: list[_Work], acks: list[bytes]) -> list[_Work]:
        if not work:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for item in work:
                pipe.set(item.key, self.consumer_name.encode(), nx=True, px=self.lease_ms)
            granted: list[Any] = await pipe.execute()
        leased = [item for item, ok in zip(work, granted, strict=True) if ok]
        refused = [item for item, ok in zip(work, granted, strict=True) if not ok]
        if refused:
            states: list[Any] = await self.redis.mget([item.key for item in refused])
            for item, state in zip(refused, states, strict=True):
                if state == _DONE:
                    acks.append(item.entry_id)
                    event_metrics().handled.labels(self.group, "duplicate").inc()
                else:  # another consumer is handling the same event id right now
                    self._retry(stream, item.entry_id, item.deliveries)
        return leased

    async def _run(self, stream: str, leased: list[_Work], acks: list[bytes]) -> None:
        done: list[_Work] = []
        heartbeat = asyncio.create_task(self._heartbeat(stream, leased)) if leased else None
        try:
            if await self._call_batch(leased):
                done.extend(leased)
                leased = []
            for position, item in enumerate(leased):
                if self._stopping():
                    await self._release(leased[position:])
                    break
                if await self._call(stream, item):
                    done.append(item)
        except BaseException:
            # Cancelled mid-handler (stop's grace ran out): keep what finished, free the rest.
            finished = {item.entry_id for item in done}
            unfinished = [item for item in leased if item.entry_id not in finished]
            await asyncio.shield(self._wind_up(stream, done, acks, unfinished))
            raise
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
        await self._settle(stream, done, acks)

    async def _wind_up(
        self, stream: str, done: list[_Work], acks: list[bytes], unfinished: list[_Work]
    ) -> None:
        try:
            await self._release(unfinished)
            await self._settle(stream, done, acks)
        except Exception:
            log.debug("event consumer: could not settle a cancelled batch", exc_info=True)

    async def _call_batch(self, leased: list[_Work]) -> bool:
        """True if the batch handler took all of ``leased``; False means: handle them one by one."""
        if self.batch_handler is None or len(leased) < 2 or self._stopping():
            return False
        try:
            await self.batch_handler([item.envelope for item in leased])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "event batch handler failed on %d events (%s: %s); handling them one by one",
                len(leased),
                type(exc).__name__,
                exc,
                extra={"group": self.group},
            )
            event_metrics().handled.labels(self.group, "batch_fallback").inc(len(leased))
            return False
        return True

    async def _call(self, stream: str, item: _Work) -> bool:
        try:
            await self.handler(item.envelope)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self.redis.delete(item.key)
            error = f"{type(exc).__name__}: {exc}"
            if item.deliveries >= self.max_attempts:
                await self._dead_letter(stream, item.entry_id, item.fields, error, item.deliveries)
            else:
                log.warning(
                    "event handler failed (attempt %d of %d): %s",
                    item.deliveries,
                    self.max_attempts,
                    error,
                    extra={"group": self.group, "event_id": item.envelope.id, "type": item.envelope.type},
                    exc_info=True,
                )
                self._retry(stream, item.entry_id, item.deliveries)
                event_metrics().handled.labels(self.group, "retry").inc()
            return False
        return True

    async def _settle(self, stream: str, done: list[_Work], acks: list[bytes]) -> None:
        """Done markers and acks in one MULTI: an acked entry is always remembered as done."""
        ids = acks + [item.entry_id for item in done]
        if not ids:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            for item in done:
                pipe.set(item.key, _DONE, px=self.dedupe_ttl_ms)
            pipe.xack(stream, self.group, *ids)
            await pipe.execute()
        if done:
            event_metrics().handled.labels(self.group, "ok").inc(len(done))

    async def _release(self, items: list[_Work]) -> None:
        if items:
            await self.redis.delete(*[item.key for item in items])

    async def _heartbeat(self, stream: str, items: list[_Work]) -> None:
        interval = self.lease_ms / 3000
        ids: list[Any] = [item.entry_id for item in items]
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.xclaim(stream, self.group, self.consumer_name, 0, ids, justid=True)
                    for item in items:
                        pipe.pexpire(item.key, self.lease_ms)
                    await pipe.execute()
            except Exception:
                log.debug("event consumer: heartbeat failed", exc_info=True)

    async def _dead_letter(
        self, stream: str, entry_id: bytes, fields: dict[bytes, bytes], error: str, deliveries: int
    ) -> None:
        record: dict[Any, Any] = {
            "envelope": fields.get(b"envelope", b""),
            "id": fields.get(b"id", b""),
            "type": fields.get(b"type", b""),
            "stream": stream,
            "entry_id": entry_id,
            "group": self.group,
            "consumer": self.consumer_name,
            "attempts": str(deliveries),
            "error": error[:_MAX_ERROR_CHARS],
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.dead_letter_stream, record)
            pipe.xack(stream, self.group, entry_id)
            await pipe.execute()
        event_metrics().handled.labels(self.group, "dead_letter").inc()
        log.error(
            "event dead-lettered after %d attempts: %s",
            deliveries,
            error,
            extra={"group": self.group, "stream": stream, "entry": entry_id.decode()},
        )


def _one_at_a_time(batch_handler: BatchOfEventsHandler | None) -> Handler:
    """The per-event fallback when only a batch handler was given: a batch of one."""
    assert batch_handler is not None

    async def handle(envelope: EventEnvelope) -> None:
        await batch_handler([envelope])

    return handle
