"""Settlements that must finish even when the RPC that started them is cancelled.

A caller that disconnects cancels its handler; the settlement of what its request cost then
continues here, tracked (a task nobody references can be collected mid-flight), and
:meth:`Finishers.drain` waits for them at shutdown so no usage is lost on a clean stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Finishers"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Finishers:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("usage settlement failed", exc_info=task.exception())

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, seconds: float | None = None) -> None:
        """Wait for every settlement in flight (those started while waiting too), at most ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                while self._tasks:
                    await asyncio.wait(list(self._tasks))  # unlike gather, never cancels them
        except TimeoutError:
            # Their reservations expire and are refunded by the sweeper of a running instance.
            log.warning("settlements still running at shutdown", extra={"count": len(self._tasks)})
