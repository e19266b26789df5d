"""InstanceLimiter: slots per instance, interactive before background, FIFO within a priority."""

from __future__ import annotations

import asyncio

import pytest

from mesh.errors import ResourceExhausted
from orchestrator.generation.limiter import InstanceLimiter

INTERACTIVE, BACKGROUND = 1, 2


async def test_waiters_start_by_priority_then_arrival() -> None:
    limiter = InstanceLimiter(1, queue_limit=10, queue_seconds=30)
    order: list[str] = []
    release = asyncio.Event()

    async def turn(name: str, priority: int) -> None:
        async with limiter.slot(priority):
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


async def test_queue_position_and_cancelled_waiter_leaves_the_queue() -> None:
    limiter = InstanceLimiter(1, queue_limit=10, queue_seconds=30)
    seqs: dict[str, int] = {}

    async def wait(name: str, priority: int) -> None:
        def queued(seq: int) -> None:
            seqs[name] = seq

        async with limiter.slot(priority, on_queued=queued):
            pass

    async with limiter.slot(INTERACTIVE):
        first = asyncio.create_task(wait("first", BACKGROUND))
        second = asyncio.create_task(wait("second", INTERACTIVE))
        await asyncio.sleep(0.01)
        assert limiter.queue_position(seqs["second"]) == 1
        assert limiter.queue_position(seqs["first"]) == 2
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
        assert limiter.queue_position(seqs["first"]) == 1
    await asyncio.wait_for(first, 1)
    assert limiter.running == 0


async def test_full_queue_is_resource_exhausted() -> None:
    limiter = InstanceLimiter(1, queue_limit=1, queue_seconds=30)
    async with limiter.slot(INTERACTIVE):
        waiting = asyncio.create_task(limiter.slot(INTERACTIVE).__aenter__())
        await asyncio.sleep(0.01)
        with pytest.raises(ResourceExhausted):
            async with limiter.slot(INTERACTIVE):
                pass
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
