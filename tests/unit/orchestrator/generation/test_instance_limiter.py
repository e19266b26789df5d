"""TenantLimiter: slots per tenant, interactive before background, FIFO within a priority."""

from __future__ import annotations

import asyncio

import pytest

from mesh.errors import ResourceExhausted
from orchestrator.generation.limiter import TenantLimiter

INTERACTIVE, BACKGROUND = 1, 2


async def test_waiters_start_by_priority_then_arrival() -> None:
    limiter = TenantLimiter(1, queue_limit=10)
    order: list[str] = []
    release = asyncio.Event()

    async def turn(name: str, priority: int) -> None:
        async with limiter.slot("t", priority):
            order.append(name)
            await release.wait()

    holder = asyncio.create_task(turn("holder", INTERACTIVE))
    await asyncio.sleep(0)
    waiters = []
    for name, priority in (
        ("bg1", BACKGROUND),
        ("bg2", BACKGROUND),
        ("i1", INTERACTIVE),
        ("i2", INTERACTIVE),
    ):
        waiters.append(asyncio.create_task(turn(name, priority)))
        await asyncio.sleep(0)
    assert order == ["holder"]
    release.set()
    await asyncio.gather(holder, *waiters)
    assert order == ["holder", "i1", "i2", "bg1", "bg2"]


async def test_other_tenants_are_not_held_up() -> None:
    limiter = TenantLimiter(1, queue_limit=10)
    async with limiter.slot("a", INTERACTIVE):
        async with asyncio.timeout(1):
            async with limiter.slot("b", INTERACTIVE):
                assert limiter.running("b") == 1


async def test_queue_position_and_cancelled_waiter_leaves_the_queue() -> None:
    limiter = TenantLimiter(1, queue_limit=10)
    seqs: dict[str, int] = {}

    async def wait(name: str, priority: int) -> None:
        def queued(seq: int) -> None:
            seqs[name] = seq

        async with limiter.slot("t", priority, on_queued=queued):
            pass

    async with limiter.slot("t", INTERACTIVE):
        first = asyncio.create_task(wait("first", BACKGROUND))
        second = asyncio.create_task(wait("second", INTERACTIVE))
        await asyncio.sleep(0.01)
        assert limiter.queue_position("t", seqs["second"]) == 1
        assert limiter.queue_position("t", seqs["first"]) == 2
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
        assert limiter.queue_position("t", seqs["first"]) == 1
    await asyncio.wait_for(first, 1)
    assert limiter.running("t") == 0


async def test_full_queue_is_resource_exhausted() -> None:
    limiter = TenantLimiter(1, queue_limit=1)
    async with limiter.slot("t", INTERACTIVE):
        waiting = asyncio.create_task(limiter.slot("t", INTERACTIVE).__aenter__())
        await asyncio.sleep(0.01)
        with pytest.raises(ResourceExhausted):
            async with limiter.slot("t", INTERACTIVE):
                pass
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
