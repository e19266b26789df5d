"""Stopping a generation from any instance.

StopGeneration may land on an instance other than the one running the turn. It sets a
short-lived key (so a runner that has not subscribed yet, or missed the message while its
pub/sub connection was down, still sees it) and publishes the generation id; every instance
listens (mesh.invalidation's listener) and stops the turn if it runs it. The local case
skips Redis altogether.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from mesh.invalidation import InvalidationListener, publish

__all__ = ["StopSignals"]

log = logging.getLogger(__name__)

KEY_TTL_SECONDS = 900


class StopSignals:
    """Local registry of running turns plus the Redis side of Stop."""

    def __init__(self, redis: Redis | None, *, prefix: str = "conversation") -> None:
        self._redis = redis
        self._prefix = prefix
        self._channel = f"{prefix}:generation:stop"
        self._local: dict[str, Callable[[], None]] = {}
        self._listener: InvalidationListener | None = None
        self._checks: set[asyncio.Task[None]] = set()

    def key(self, generation_id: str) -> str:
        return f"{self._prefix}:generation:{generation_id}:stop"

    async def start(self) -> None:
        if self._redis is None or self._listener is not None:
            return
        self._listener = InvalidationListener(
            self._redis, {self._channel: self._deliver}, on_reset=self._recheck
        )
        await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        for task in list(self._checks):
            task.cancel()
        await asyncio.gather(*self._checks, return_exceptions=True)

    def register(self, generation_id: str, on_stop: Callable[[], None]) -> None:
        self._local[generation_id] = on_stop

    def unregister(self, generation_id: str) -> None:
        self._local.pop(generation_id, None)

    async def request(self, generation_id: str) -> None:
        """Ask whichever instance runs ``generation_id`` to stop it."""
        self._deliver(generation_id)
        if self._redis is None:
            return
        try:
            await self._redis.set(self.key(generation_id), b"1", ex=KEY_TTL_SECONDS)
        except (RedisError, OSError):
            log.warning(
                "could not record a stop request", extra={"generation_id": generation_id}, exc_info=True
            )
        await publish(self._redis, self._channel, generation_id)

    async def requested(self, generation_id: str) -> bool:
        """Whether a stop was asked before this instance started listening for it."""
        if self._redis is None:
            return False
        try:
            return bool(await self._redis.exists(self.key(generation_id)))
        except (RedisError, OSError):
            return False

    def _deliver(self, generation_id: str) -> None:
        on_stop = self._local.get(generation_id)
        if on_stop is not None:
            on_stop()

    def _recheck(self) -> None:
        """After a (re)subscription: stop messages may have been missed, so look at the keys."""
        if not self._local:
            return
        task = asyncio.get_running_loop().create_task(self._check_keys(list(self._local)))
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _check_keys(self, generation_ids: list[str]) -> None:
        for generation_id in generation_ids:
            if await self.requested(generation_id):
                self._deliver(generation_id)
