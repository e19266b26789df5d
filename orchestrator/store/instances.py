"""Which orchestrator instances are alive, so turns of a crashed instance do not stay live forever.

Each instance refreshes a short-lived Redis key; a record still QUEUED or RUNNING whose
instance's key has expired belongs to an instance that is gone, and may be closed as
failed (then its id can be retried). Without Redis nothing can be known about other
instances, and they are assumed alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["InstanceHeartbeat"]

log = logging.getLogger(__name__)

KEY_PREFIX = "orchestrator:instance:"


class InstanceHeartbeat:
    def __init__(self, redis: Redis | None, instance_id: str, *, interval: float = 5.0) -> None:
        self._redis = redis
        self._instance_id = instance_id
        self._interval = interval
        self._ttl = max(int(interval * 3), 1)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._redis is None or self._task is not None:
            return
        await self._beat()
        self._task = asyncio.create_task(self._run(), name="orchestrator-heartbeat")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.delete(KEY_PREFIX + self._instance_id)

    async def alive(self, instance_id: str) -> bool:
        """False only when Redis says the instance's key is gone; any doubt counts as alive."""
        if instance_id == self._instance_id or self._redis is None:
            return True
        try:
            return bool(await self._redis.exists(KEY_PREFIX + instance_id))
        except (RedisError, OSError):
            return True

    async def _beat(self) -> None:
        assert self._redis is not None
        try:
            await self._redis.set(KEY_PREFIX + self._instance_id, "1", ex=self._ttl)
        except (RedisError, OSError):
            log.warning("could not refresh the orchestrator instance heartbeat", exc_info=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._beat()
