"""Reading event streams with a consumer group: once per event, retried, dead-lettered.

Delivery from the relay is at least once, so the consumer makes handling
effectively once per (group, event id); see ``mesh.events.batch`` for the
lease / done-marker protocol. This module is the loop around it: which entries
to handle next.

- New entries come from XREADGROUP ``>`` (blocking up to ``block_ms``).
- On start, entries this consumer name left pending last time (a restart) are
  handled first, so they do not wait for ``claim_idle_ms``.
- A failed handler leaves its entry pending; this consumer retries it with
  exponential backoff by XCLAIMing it to itself, which counts the delivery.
- Entries of a consumer that died stay pending until they are idle for
  ``claim_idle_ms``; then XAUTOCLAIM hands them to a live consumer.

Entries are handled one at a time, in stream order, except that a failing
entry steps aside for its retries. A ``batch_handler`` (opt in) instead gets the
events of one read (up to ``count``) as one list, acked together once it returns;
if it raises, those events are handled one at a time, so only a poison event is
retried and dead-lettered (see :mod:`mesh.events.batch`).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from mesh.events.batch import BatchHandler, BatchOfEventsHandler, Handler, RawEntry
from mesh.events.relay import backoff_delay

__all__ = ["BatchOfEventsHandler", "EventConsumer", "Handler"]

log = logging.getLogger(__name__)


class EventConsumer:
    """One member of consumer group ``group`` reading ``streams`` (e.g. ``["events:identity"]``).

    ``redis`` must return bytes (``decode_responses=False``): envelopes are binary.
    A new group starts at ``start_id`` ("0": everything the stream still holds, so
    events published before the consumer's first start are not missed).
    ``claim_idle_ms`` is how long a silent consumer's entries wait before another
    takes them over; a running handler keeps its entries fresh, however long it takes.
    Give ``handler`` (one event per call), ``batch_handler`` (the events of one read per
    call, falling back to ``handler``, or to batches of one, when it raises) or both.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        group: str,
        consumer_name: str,
        streams: list[str],
        handler: Handler | None = None,
        batch_handler: BatchOfEventsHandler | None = None,
        max_attempts: int = 5,
        dead_letter_stream: str = "events:dead",
        claim_idle_ms: int = 30_000,
        block_ms: int = 1_000,
        count: int = 64,
        retry_backoff: float = 0.5,
        dedupe_ttl: timedelta = timedelta(days=7),
        start_id: str = "0",
    ) -> None:
        if not streams:
            raise ValueError("streams must name at least one stream")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("the consumer needs a Redis client with decode_responses=False")
        self.redis = redis
        self.group = group
        self.consumer_name = consumer_name
        self.streams = list(streams)
        self.claim_idle_ms = claim_idle_ms
        self.block_ms = block_ms
        self.count = count
        self.retry_backoff = retry_backoff
        self.start_id = start_id
        self._batch = BatchHandler(
            redis,
            group=group,
            consumer_name=consumer_name,
            handler=handler,
            max_attempts=max_attempts,
            dead_letter_stream=dead_letter_stream,
            lease_ms=claim_idle_ms,
            dedupe_ttl_ms=int(dedupe_ttl.total_seconds() * 1000),
            retry=self._schedule_retry,
            stopping=self._stopping,
            batch_handler=batch_handler,
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._retries: list[tuple[float, str, bytes]] = []
        self._next_claim = 0.0
        self.ready = asyncio.Event()

    def dedupe_key(self, event_id: str) -> str:
        """Where this group remembers that it handled ``event_id``."""
        return self._batch.dedupe_key(event_id)

    async def start(self) -> None:
        """Create the groups (MKSTREAM) and start consuming in the background (idempotent)."""
        if self._task is not None:
            return
        self._stop.clear()
        name = f"event-consumer-{self.group}-{self.consumer_name}"
        self._task = asyncio.create_task(self._run(), name=name)

    async def stop(self, grace: float = 10.0) -> None:
        """Let the handler in flight finish (for up to ``grace`` s); unacked entries stay pending."""
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        if not self._batch.busy:
            task.cancel()
        try:
            await asyncio.wait_for(task, grace)
        except (TimeoutError, asyncio.CancelledError):
            pass
        self.ready.clear()

    def _stopping(self) -> bool:
        return self._stop.is_set()

    async def _run(self) -> None:
        failures = 0
        groups_ready = False
        while not self._stop.is_set():
            try:
                if not groups_ready:
                    await self._ensure_groups()
                    groups_ready = True
                    await self._recover_own()
                    self.ready.set()
                await self._poll()
                if failures:
                    log.info("event consumer: reading again", extra={"group": self.group})
                failures = 0
            except ResponseError as exc:
                if "NOGROUP" in str(exc):
                    groups_ready = False
                    continue
                failures += 1
                await self._pause(exc, failures)
            except Exception as exc:  # Redis down, or a bug outside the handler: never end the loop
                failures += 1
                await self._pause(exc, failures)

    async def _pause(self, exc: Exception, failures: int) -> None:
        delay = backoff_delay(failures, cap=10.0)
        log.warning(
            "event consumer: %s: %s; retrying in %.1fs",
            type(exc).__name__,
            exc,
            delay,
            extra={"group": self.group, "consumer": self.consumer_name, "failures": failures},
            exc_info=failures == 1,
        )
        try:
            await asyncio.wait_for(self._stop.wait(), delay)
        except TimeoutError:
            pass

    async def _ensure_groups(self) -> None:
        for stream in self.streams:
            try:
                await self.redis.xgroup_create(stream, self.group, id=self.start_id, mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _recover_own(self) -> None:
        """Handle what this consumer name was given before a restart and never acked."""
        cursors: dict[Any, Any] = dict.fromkeys(self.streams, "0")
        while cursors and not self._stop.is_set():
            replies: Any = await self.redis.xreadgroup(
                self.group, self.consumer_name, cursors, count=self.count
            )
            found = dict(_stream_entries(replies))
            for stream in list(cursors):
                entries = found.get(stream, [])
                if not entries:
                    del cursors[stream]
                    continue
                cursors[stream] = _text(entries[-1][0])
                await self._handle(stream, entries, await self._deliveries(stream, entries))

    async def _poll(self) -> None:
        """One round: due retries, stale entries of dead consumers, then new entries."""
        loop = asyncio.get_running_loop()
        await self._retry_due(loop.time())
        if loop.time() >= self._next_claim:
            await self._claim_stale()
            self._next_claim = loop.time() + min(self.claim_idle_ms / 2000, 5.0)
        block = self.block_ms
        if self._retries:
            block = min(block, int((self._retries[0][0] - loop.time()) * 1000))
        block = max(1, min(block, int((self._next_claim - loop.time()) * 1000)))
        replies: Any = await self.redis.xreadgroup(
            self.group, self.consumer_name, dict.fromkeys(self.streams, ">"), count=self.count, block=block
        )
        for stream, entries in _stream_entries(replies):
            if self._stop.is_set():
                return
            await self._handle(stream, entries, {})

    async def _retry_due(self, now: float) -> None:
        while self._retries and self._retries[0][0] <= now and not self._stop.is_set():
            _, stream, entry_id = heapq.heappop(self._retries)
            claimed: Any = await self.redis.xclaim(stream, self.group, self.consumer_name, 0, [entry_id])
            if claimed:
                await self._handle(stream, claimed, await self._deliveries(stream, claimed))

    async def _claim_stale(self) -> None:
        for stream in self.streams:
            reply: Any = await self.redis.xautoclaim(
                stream, self.group, self.consumer_name, self.claim_idle_ms, "0-0", count=self.count
            )
            entries: list[RawEntry] = list(reply[1]) if len(reply) > 1 else []
            if entries and not self._stop.is_set():
                log.info(
                    "event consumer: claimed %d entries other consumers left pending",
                    len(entries),
                    extra={"group": self.group, "stream": stream},
                )
                await self._handle(stream, entries, await self._deliveries(stream, entries))

    async def _deliveries(self, stream: str, entries: list[RawEntry]) -> dict[bytes, int]:
        """How often each entry was delivered (the group's count survives crashes and restarts)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id, _ in entries:
                pipe.xpending_range(stream, self.group, entry_id, entry_id, 1)
            replies: list[Any] = await pipe.execute()
        return {
            entry_id: int(pending[0]["times_delivered"])
            for (entry_id, _), pending in zip(entries, replies, strict=True)
            if pending
        }

    async def _handle(self, stream: str, entries: list[RawEntry], deliveries: dict[bytes, int]) -> None:
        await self._batch.handle(stream, entries, deliveries)

    def _schedule_retry(self, stream: str, entry_id: bytes, deliveries: int) -> None:
        ceiling = max(self.claim_idle_ms / 1000, self.retry_backoff)
        delay = min(self.retry_backoff * 2 ** (deliveries - 1), ceiling)
        heapq.heappush(self._retries, (asyncio.get_running_loop().time() + delay, stream, entry_id))


def _stream_entries(replies: Any) -> list[tuple[str, list[RawEntry]]]:
    """XREADGROUP's answer as (stream, entries): RESP2 sends pairs, RESP3 a mapping."""
    pairs = replies.items() if isinstance(replies, dict) else (replies or ())
    return [(_text(stream), list(entries)) for stream, entries in pairs]


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
