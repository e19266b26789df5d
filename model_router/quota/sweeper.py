"""Refunds reservations nobody settled (a crashed instance, a caller of ReserveQuota that vanished).

Every instance runs one; ``FOR UPDATE SKIP LOCKED`` in :meth:`QuotaEngine.expire_due` lets
them share the work without refunding anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from model_router.quota.engine import QuotaEngine

__all__ = ["DEFAULT_SWEEP_SECONDS", "ReservationSweeper"]

log = logging.getLogger(__name__)

DEFAULT_SWEEP_SECONDS = 15.0


class ReservationSweeper:
    def __init__(self, quota: QuotaEngine, *, interval: float = DEFAULT_SWEEP_SECONDS) -> None:
        self._quota = quota
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="model_router.reservation_sweeper")

    async def _run(self) -> None:
        while True:
            try:
                expired = await self._quota.expire_due()
                if expired:
                    log.info("expired reservations refunded", extra={"count": expired})
            except Exception:
                log.warning("reservation sweep failed; retrying next round", exc_info=True)
            await asyncio.sleep(self._interval)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
