"""Per-tenant concurrency slots with a priority queue for the turns that must wait.

A tenant runs at most ``limit`` turns at once on this instance. Waiting turns start in
priority order (interactive before background), first come first served within a
priority; a freed slot goes straight to the head waiter, so a newcomer cannot jump
the queue between a release and the waiter waking up.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from mesh.errors import ResourceExhausted

__all__ = ["TenantLimiter"]


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    future: asyncio.Future[None] = field(compare=False)


@dataclass
class _Tenant:
    running: int = 0
    waiters: list[_Waiter] = field(default_factory=list)


class TenantLimiter:
    def __init__(self, limit: int, *, queue_limit: int) -> None:
        self._limit = limit
        self._queue_limit = queue_limit
        self._tenants: dict[str, _Tenant] = {}
        self._seq = itertools.count()

    def queue_position(self, tenant_id: str, seq: int) -> int:
        """1-based position of a waiter (0 when it is not waiting)."""
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            return 0
        live = sorted(w for w in tenant.waiters if not w.future.done())
        for position, waiter in enumerate(live, start=1):
            if waiter.seq == seq:
                return position
        return 0

    def running(self, tenant_id: str) -> int:
        tenant = self._tenants.get(tenant_id)
        return 0 if tenant is None else tenant.running

    @asynccontextmanager
    async def slot(
        self, tenant_id: str, priority: int, *, on_queued: Callable[[int], None] | None = None
    ) -> AsyncIterator[None]:
        """Holds one of the tenant's slots for the block; ``on_queued(seq)`` runs when the turn must wait.

        Lower ``priority`` numbers start first. Cancelling while queued leaves the queue cleanly.
        """
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        if tenant.running < self._limit and not tenant.waiters:
            tenant.running += 1
        else:
            if len(tenant.waiters) >= self._queue_limit:
                raise ResourceExhausted(
                    f"tenant {tenant_id} has too many queued generations", reason="GENERATION_QUEUE_FULL"
                )
            waiter = _Waiter(priority, next(self._seq), asyncio.get_running_loop().create_future())
            heapq.heappush(tenant.waiters, waiter)
            if on_queued is not None:
                on_queued(waiter.seq)
            try:
                await waiter.future
            except BaseException:
                if waiter.future.done() and not waiter.future.cancelled():
                    self._release(tenant_id)
                else:
                    tenant.waiters.remove(waiter)
                    heapq.heapify(tenant.waiters)
                    self._forget_if_idle(tenant_id)
                raise
        try:
            yield
        finally:
            self._release(tenant_id)

    def _release(self, tenant_id: str) -> None:
        """Hands the slot to the head waiter, or frees it."""
        tenant = self._tenants[tenant_id]
        while tenant.waiters:
            waiter = heapq.heappop(tenant.waiters)
            if not waiter.future.done():
                waiter.future.set_result(None)
                return
        tenant.running -= 1
        self._forget_if_idle(tenant_id)

    def _forget_if_idle(self, tenant_id: str) -> None:
        tenant = self._tenants.get(tenant_id)
        if tenant is not None and tenant.running == 0 and not tenant.waiters:
            del self._tenants[tenant_id]
