"""Queues notifications whose send time came (scheduled sends, quiet hours, digests) in periodic sweeps.

Due rows are locked with SKIP LOCKED, so several instances sweep without queueing one
row twice; the row's ``enqueued`` flag and its NotificationQueued event commit together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification.delivery.digests import collapse
from notification.store import notifications as store
from notification.store import queue

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)
_SWEEP = 500


class Scheduler:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
        self._sessions = sessions
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> int:
        """Queue what is due now; returns how many were queued."""
        total = 0
        while True:
            async with self._sessions.begin() as db:
                due = await store.due_unqueued(db, datetime.now(UTC), _SWEEP)
                ready = [row for row in due if row.digest_key is None]
                for key in sorted({row.digest_key for row in due if row.digest_key is not None}):
                    carrier = await collapse(db, key)
                    if carrier is not None:
                        ready.append(carrier)
                await queue.enqueue(db, ready)
                await store.set_enqueued(db, [row.id for row in ready])
            total += len(due)
            if len(due) < _SWEEP:
                return total

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="notification-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.warning("scheduled notifications: sweep failed", exc_info=True)
            await asyncio.sleep(self._interval)
