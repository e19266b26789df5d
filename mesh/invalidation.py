"""Cache invalidation across processes over Redis pub/sub.

A process that changes something cached elsewhere (a role, an API key) publishes a
short message on a channel after its transaction commits; every process holding a
cache of that data listens and drops the affected entries. Pub/sub delivers only to
connected subscribers, so a subscriber that was disconnected may have missed
messages: after every (re)subscription the listener calls ``on_reset`` and the cache
drops everything. A short TTL on every cached entry bounds staleness further if Redis
is unreachable altogether.

:class:`RefreshLoop` is the other half for views that are reloaded whole rather than
evicted entry by entry: a message (or a resubscription) triggers a full reload, and
a periodic check reloads when the caller's cheap fingerprint moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["InvalidationListener", "RefreshLoop", "Reload", "publish"]

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


class Reload(Protocol):
    """Reload the view; with ``only_if_changed`` skip the load when its fingerprint did not move."""

    def __call__(self, *, only_if_changed: bool = False) -> Awaitable[None]: ...


class RefreshLoop:
    """Keeps a whole in-memory view fresh across instances: on change messages and on a timer.

    A message on ``channel`` (or a resubscription, after which messages may have been
    missed) wakes the loop for a full reload; otherwise every ``interval`` seconds it
    calls ``reload(only_if_changed=True)``, so a missed message costs at most one
    interval. Reload failures are logged and the last view kept. ``what`` names the
    view in the logs ("channel registry"), ``kept`` what stays in use ("snapshot").
    """

    def __init__(
        self,
        redis: Redis | None,
        channel: str,
        reload: Reload,
        *,
        interval: float,
        name: str,
        what: str,
        kept: str,
        logger: logging.Logger | None = None,
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._reload = reload
        self._interval = interval
        self._name = name
        self._what = what
        self._kept = kept
        self._log = logger or log
        self._wake = asyncio.Event()
        self._listener: InvalidationListener | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen for change messages (when Redis is given), then start the periodic check."""
        if self._redis is not None:
            self._listener = InvalidationListener(
                self._redis, {self._channel: self._on_message}, on_reset=self._wake.set
            )
            await self._listener.start()
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Ask for a full reload soon (from the loop, not the caller's task)."""
        self._wake.set()

    async def changed(self) -> None:
        """After a committed change: reload here at once and tell the other instances.

        Never raises: the change is committed already, and the loop retries a failed
        reload right away.
        """
        try:
            await self._reload()
        except Exception:
            self._log.warning("%s reload after a change failed", self._what, exc_info=True)
            self._wake.set()
        await publish(self._redis, self._channel, "changed")

    def _on_message(self, message: str) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            woken = self._wake.is_set()
            self._wake.clear()
            try:
                await self._reload(only_if_changed=not woken)
            except Exception:
                self._log.warning(
                    "%s reload failed; keeping the last %s", self._what, self._kept, exc_info=True
                )
