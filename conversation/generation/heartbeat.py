"""A heartbeat per running turn, so a turn lost with its process is known within seconds.

Every turn running on this instance has a short-lived Redis key; one task refreshes all of
them in a single pipelined round trip every ``interval`` seconds (nothing is added to a
turn's own path). When the process dies the keys expire after ``ttl`` seconds, and the
sweep (recovery.py) closes the turns whose key is gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from mesh.tasks import cancel_and_wait

__all__ = ["TurnHeartbeats"]

log = logging.getLogger(__name__)


class TurnHeartbeats:
    def __init__(
        self, redis: Redis, *, interval: float = 3.0, ttl: float = 10.0, prefix: str = "conversation"
    ) -> None:
        self._redis = redis
        self._interval = interval
        self._ttl_ms = max(int(ttl * 1000), 1)
        self._prefix = prefix
        self._running: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def key(self, generation_id: str) -> str:
        return f"{self._prefix}:generation:{generation_id}:alive"

    def add(self, generation_id: str) -> None:
        self._running.add(generation_id)

    def remove(self, generation_id: str) -> None:
        self._running.discard(generation_id)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._beating(), name="conversation-turn-heartbeats")

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def beat(self) -> None:
        """Refresh the key of every running turn of this instance (one round trip)."""
        if not self._running:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for generation_id in list(self._running):
                pipe.set(self.key(generation_id), b"1", px=self._ttl_ms)
            await pipe.execute()

    async def alive(self, generation_ids: Iterable[str]) -> set[str]:
        """Which of ``generation_ids`` have a live heartbeat (one round trip)."""
        ids = list(generation_ids)
        if not ids:
            return set()
        async with self._redis.pipeline(transaction=False) as pipe:
            for generation_id in ids:
                pipe.exists(self.key(generation_id))
            found = await pipe.execute()
        return {generation_id for generation_id, hit in zip(ids, found, strict=True) if hit}

    async def _beating(self) -> None:
        while True:
            try:
                await self.beat()
            except (RedisError, OSError):
                log.warning("could not refresh the turn heartbeats", exc_info=True)
            await asyncio.sleep(self._interval)
