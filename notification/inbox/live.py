"""Live inbox events: a short Redis stream per user, and one pub/sub wake-up per process.

Each user's changes (a new notification, something read or deleted) are appended to
``notification:live:<tenant>:<user>``; the entry id is the SSE event id, so a client that
reconnects with ``Last-Event-ID`` gets exactly what it missed (within the stream's length
and TTL). Subscribers do not block a Redis connection each: one pub/sub subscription per
process wakes the local subscribers of the user that changed, which then read their
stream without blocking; a periodic look covers a lost wake-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from mesh.invalidation import InvalidationListener, publish

__all__ = ["WAKE_CHANNEL", "LiveFeed", "valid_event_id"]

log = logging.getLogger(__name__)

WAKE_CHANNEL = "notification:live"
_EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
_FIELD = b"m"
_MAX_CONCURRENT_READS = 64


def valid_event_id(text: str) -> bool:
    return bool(_EVENT_ID.match(text))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class LiveFeed:
    def __init__(self, redis: Redis, *, maxlen: int, ttl_seconds: int, poll_seconds: float) -> None:
        self._redis = redis
        self._maxlen = maxlen
        self._ttl = ttl_seconds
        self._poll = poll_seconds
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        # A broadcast wakes every subscriber at once; reads queue here rather than drain the
        # Redis connection pool (which the rest of the service needs too).
        self._reads = asyncio.Semaphore(_MAX_CONCURRENT_READS)
        self._listener: InvalidationListener | None = None

    @staticmethod
    def key(tenant_id: str, user_id: str) -> str:
        return f"notification:live:{tenant_id}:{user_id}"

    async def start(self) -> None:
        self._listener = InvalidationListener(
            self._redis, {WAKE_CHANNEL: self._wake}, on_reset=self._wake_all
        )
        await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
        self._wake_all()

    def _wake(self, who: str) -> None:
        for event in self._waiters.get(who, ()):
            event.set()

    def _wake_all(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()

    async def append(self, tenant_id: str, user_id: str, payload: bytes) -> str:
        """Add one event to the user's stream and wake its subscribers; returns the event id."""
        key = self.key(tenant_id, user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {_FIELD: payload}, maxlen=self._maxlen, approximate=True)
            pipe.expire(key, self._ttl)
            entry_id, _ = await pipe.execute()
        await publish(self._redis, WAKE_CHANNEL, f"{tenant_id}:{user_id}")
        return _text(entry_id)

    async def append_many(self, events: list[tuple[str, str, bytes]]) -> None:
        """Many (tenant, user, payload) events in one pipeline, then one wake-up per user."""
        if not events:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for tenant_id, user_id, payload in events:
                key = self.key(tenant_id, user_id)
                pipe.xadd(key, {_FIELD: payload}, maxlen=self._maxlen, approximate=True)
                pipe.expire(key, self._ttl)
            await pipe.execute()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for who in dict.fromkeys(f"{t}:{u}" for t, u, _ in events):
                    pipe.publish(WAKE_CHANNEL, who)
                await pipe.execute()
        except (RedisError, OSError):
            # The events are stored; subscribers find them at their next periodic look.
            log.warning("live inbox wake-ups not published", exc_info=True)

    async def last_id(self, tenant_id: str, user_id: str) -> str:
        entries: Any = await self._redis.xrevrange(self.key(tenant_id, user_id), count=1)
        return _text(entries[0][0]) if entries else "0-0"

    async def read_after(
        self, tenant_id: str, user_id: str, after: str, count: int = 100
    ) -> list[tuple[str, bytes]]:
        async with self._reads:
            entries: Any = await self._redis.xrange(
                self.key(tenant_id, user_id), min=f"({after}", max="+", count=count
            )
        return [(_text(entry_id), fields[_FIELD]) for entry_id, fields in entries]

    async def follow(self, tenant_id: str, user_id: str, after: str) -> AsyncIterator[tuple[str, bytes]]:
        """Every event after ``after``, as they come, until the caller stops iterating."""
        who = f"{tenant_id}:{user_id}"
        wake = asyncio.Event()
        self._waiters[who].add(wake)
        try:
            while True:
                wake.clear()
                entries = await self.read_after(tenant_id, user_id, after)
                for entry_id, payload in entries:
                    after = entry_id
                    yield entry_id, payload
                if entries:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._poll)
        finally:
            waiters = self._waiters.get(who)
            if waiters is not None:
                waiters.discard(wake)
                if not waiters:
                    del self._waiters[who]
