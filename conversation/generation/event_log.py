"""One Redis Stream per generation holding every event it produced, for live reading and replay.

Event ids are ``<generation id>:<sequence>`` so an id alone finds its generation (the
gateway hands us nothing but ``Last-Event-ID``). Entries are stored under the Redis id
``0-<sequence>``, so replay after an event is an XREAD from that id. The stream is capped
(XADD MAXLEN) and expires: while the generation runs, appends push the expiry out by
``running_ttl`` (a writer that dies leaves nothing behind for long) — the first append and
then one every tenth of ``running_ttl``, not each of them, which would double the Redis
commands of every delta; after the last event it is kept ``finished_ttl`` for late
reconnects, then the stored message is the record.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from chatmesh.conversation.v1 import messages_pb2
from redis.asyncio import Redis

from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["EventLog", "event_id", "is_terminal", "parse_event_id"]

_FIELD = b"e"
_SEPARATOR = ":"
_EXPIRY_MEMORY = 10_000


def event_id(generation_id: str, sequence: int) -> str:
    return f"{generation_id}{_SEPARATOR}{sequence}"


def parse_event_id(value: str, field: str = "after_event_id") -> tuple[str, int]:
    """``(generation id, sequence)`` of an event id; InvalidArgument when it is not one of ours."""
    generation_id, _, sequence = value.rpartition(_SEPARATOR)
    if not generation_id or not sequence.isdigit():
        raise InvalidArgument("not an event id of this service", [FieldViolation(field, "unknown event id")])
    return generation_id, int(sequence)


def is_terminal(event: messages_pb2.GenerationEvent) -> bool:
    return event.WhichOneof("kind") in ("done", "error")


@dataclass(frozen=True)
class EventLogLimits:
    max_events: int = 50_000
    running_ttl_seconds: int = 600
    finished_ttl_seconds: int = 900
    block_ms: int = 5_000


class EventLog:
    """Append and read one generation's events; one writer per generation, any number of readers."""

    def __init__(
        self, redis: Redis, limits: EventLogLimits | None = None, *, prefix: str = "conversation"
    ) -> None:
        self._redis = redis
        self.limits = limits or EventLogLimits()
        self._prefix = prefix
        self._expiry_set: dict[str, float] = {}

    def key(self, generation_id: str) -> str:
        return f"{self._prefix}:generation:{generation_id}:events"

    async def append(self, sequence: int, event: messages_pb2.GenerationEvent) -> None:
        """Store ``event`` (its ``event_id`` set from ``sequence``); the last one starts the expiry."""
        key = self.key(event.generation_id)
        terminal = is_terminal(event)
        ttl = self.limits.finished_ttl_seconds if terminal else self.limits.running_ttl_seconds
        now = time.monotonic()
        if terminal:
            self._expiry_set.pop(event.generation_id, None)
        elif now - self._expiry_set.get(event.generation_id, -ttl) < ttl / 10:
            await self._redis.xadd(
                key,
                {_FIELD: event.SerializeToString()},
                id=f"0-{sequence}",
                maxlen=self.limits.max_events,
                approximate=True,
            )
            return
        else:
            if len(self._expiry_set) >= _EXPIRY_MEMORY:  # turns whose last event never came
                self._expiry_set.clear()
            self._expiry_set[event.generation_id] = now
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(
                key,
                {_FIELD: event.SerializeToString()},
                id=f"0-{sequence}",
                maxlen=self.limits.max_events,
                approximate=True,
            )
            pipe.expire(key, ttl)
            await pipe.execute()

    async def last_sequence(self, generation_id: str) -> int | None:
        """Sequence of the newest event stored for the generation; None when its log is gone."""
        found: Any = await self._redis.xrevrange(self.key(generation_id), count=1)
        if not found:
            return None
        entry_id = found[0][0]
        entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        return int(entry_id.partition("-")[2])

    async def read(self, generation_id: str, after: int = 0) -> AsyncIterator[messages_pb2.GenerationEvent]:
        """Events after sequence ``after``, then live ones, until the last event of the generation.

        Ends quietly when the stream is gone (expired, or never existed): the caller then falls
        back to the stored message.
        """
        key = self.key(generation_id)
        last = f"0-{after}"
        if not await self._redis.exists(key):
            return
        while True:
            found: Any = await self._redis.xread({key: last}, count=256, block=self.limits.block_ms)
            if not found:
                if not await self._redis.exists(key):
                    return
                continue
            for entry_id, fields in found[0][1]:
                last = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                event = messages_pb2.GenerationEvent.FromString(fields[_FIELD])
                yield event
                if is_terminal(event):
                    return
