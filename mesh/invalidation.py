"""Cache invalidation across processes over Redis pub/sub.

A process that changes something cached elsewhere (a role, an API key) publishes a
short message on a channel after its transaction commits; every process holding a
cache of that data listens and drops the affected entries. Pub/sub delivers only to
connected subscribers, so a subscriber that was disconnected may have missed
messages: after every (re)subscription the listener calls ``on_reset`` and the cache
drops everything. A short TTL on every cached entry bounds staleness further if Redis
is unreachable altogether.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["InvalidationListener", "publish"]

log = logging.getLogger(__name__)

_BACKOFF_INITIAL = 0.2
_BACKOFF_MAX = 5.0
_PUBLISH_SECONDS = 1.0

Handler = Callable[[str], None]


async def publish(redis: Redis | None, channel: str, message: str) -> None:
    """Announce a change; never raises (the change already committed, caches expire anyway)."""
    if redis is None:
        return
    try:
        async with asyncio.timeout(_PUBLISH_SECONDS):
            await redis.publish(channel, message)
    except (RedisError, OSError, TimeoutError):
        log.warning("could not publish cache invalidation", extra={"channel": channel}, exc_info=True)


class InvalidationListener:
    """Subscribes to ``handlers``' channels and calls the handler with each message's text."""

    def __init__(
        self, redis: Redis, handlers: Mapping[str, Handler], *, on_reset: Callable[[], None]
    ) -> None:
        self._redis = redis
        self._handlers = dict(handlers)
        self._on_reset = on_reset
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self, wait_seconds: float = 5.0) -> None:
        """Start listening and wait (up to ``wait_seconds``) until subscribed, so no later change is missed.

        Redis being down does not fail the start: the listener keeps retrying in the
        background and caches rely on their TTL meanwhile.
        """
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cache-invalidation")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait_seconds)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = _BACKOFF_INITIAL
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*self._handlers)
                self._on_reset()
                self._subscribed.set()
                backoff = _BACKOFF_INITIAL
                async for message in pubsub.listen():
                    self._dispatch(message)
            except (RedisError, OSError):
                log.warning("cache invalidation channel lost; retrying", exc_info=True)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            self._on_reset()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    def _dispatch(self, message: Mapping[str, object]) -> None:
        if message.get("type") != "message":
            return
        channel = _text(message.get("channel"))
        handler = self._handlers.get(channel)
        if handler is None:
            return
        try:
            handler(_text(message.get("data")))
        except Exception:
            log.exception("cache invalidation handler failed; resetting", extra={"channel": channel})
            self._on_reset()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
