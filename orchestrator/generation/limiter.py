"""This instance's capacity for running turns, with a short priority queue and load shedding.

At most ``capacity`` turns run at once on the instance. A turn that finds no room waits in
a small queue in priority order (interactive before background), first come first served
within a priority; a freed slot goes straight to the head waiter, so a newcomer cannot jump
the queue. The queue is bounded in length and in time: a turn that would make it longer
than ``queue_limit``, or that waits more than ``queue_seconds``, is shed with
RESOURCE_EXHAUSTED and a RetryInfo, so overload shows as a clear, retryable refusal rather
than latency growing silently. Fairness between tenants and users is not this class's job
(see domain/turn_limits.py and store/turn_leases.py).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from orchestrator.domain.turn_limits import shed

__all__ = ["InstanceLimiter"]


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    future: asyncio.Future[None] = field(compare=False)


class InstanceLimiter:
    def __init__(
        self, capacity: int, *, queue_limit: int, queue_seconds: float, retry_after: float = 1.0
    ) -> None:
        self._capacity = capacity
        self._queue_limit = queue_limit
        self._queue_seconds = queue_seconds
        self._retry_after = retry_after
        self._running = 0
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()

    @property
    def running(self) -> int:
        return self._running

    def queue_position(self, seq: int) -> int:
        """1-based position of a waiter (0 when it is not waiting)."""
        live = sorted(w for w in self._waiters if not w.future.done())
        for position, waiter in enumerate(live, start=1):
            if waiter.seq == seq:
                return position
        return 0

    def check(self) -> None:
        """Raises the shedding error when a new turn could neither run nor wait (checked before any write)."""
        if self._running >= self._capacity and len(self._waiters) >= self._queue_limit:
            raise shed(self._capacity, self._retry_after)

    @asynccontextmanager
    async def slot(
        self, priority: int, *, on_queued: Callable[[int], None] | None = None
    ) -> AsyncIterator[None]:
        """Holds one slot for the block; ``on_queued(seq)`` runs when the turn must wait.

        Lower ``priority`` numbers start first. Cancelling while queued leaves the queue cleanly.
        """
        if self._running < self._capacity and not self._waiters:
            self._running += 1
        else:
            self.check()
            waiter = _Waiter(priority, next(self._seq), asyncio.get_running_loop().create_future())
            heapq.heappush(self._waiters, waiter)
            if on_queued is not None:
                on_queued(waiter.seq)
            try:
                await asyncio.wait_for(asyncio.shield(waiter.future), self._queue_seconds)
            except BaseException as exc:
                if waiter.future.done() and not waiter.future.cancelled():
                    self._release()
                else:
                    waiter.future.cancel()
                    self._waiters.remove(waiter)
                    heapq.heapify(self._waiters)
                if isinstance(exc, TimeoutError):
                    raise shed(self._capacity, self._retry_after) from None
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        """Hands the slot to the head waiter, or frees it."""
        while self._waiters:
            waiter = heapq.heappop(self._waiters)
            if not waiter.future.done():
                waiter.future.set_result(None)
                return
        self._running -= 1
