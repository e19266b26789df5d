"""Hard deletion of conversations that stayed in the trash past the retention period.

Runs in every instance; rows are claimed with ``FOR UPDATE SKIP LOCKED`` so instances
share the work instead of colliding. Each batch is its own short transaction and writes
ConversationDeleted(permanent=true) for every conversation it removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation.config import ConversationConfig
from conversation.store.conversations import purge_deleted

__all__ = ["PurgeTask"]

log = logging.getLogger(__name__)


class PurgeTask:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], config: ConversationConfig) -> None:
        self._sessions = sessions
        self._config = config
        self._task: asyncio.Task[None] | None = None

    async def run_once(self, now: datetime | None = None) -> int:
        """Purges everything due at ``now``; returns how many conversations were removed."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self._config.retention_days)
        total = 0
        while True:
            async with self._sessions.begin() as session:
                removed = await purge_deleted(session, older_than=cutoff, limit=self._config.purge_batch_size)
            total += removed
            if removed < self._config.purge_batch_size:
                return total

    async def _loop(self) -> None:
        while True:
            try:
                removed = await self.run_once()
                if removed:
                    log.info("purged %d conversations past retention", removed)
            except Exception:
                log.exception("purging deleted conversations failed; retrying at the next interval")
            await asyncio.sleep(self._config.purge_interval_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="conversation-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
