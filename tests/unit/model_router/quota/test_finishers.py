"""Settlements outlive the RPC that started them, and shutdown waits for them (within a bound)."""

from __future__ import annotations

import asyncio

from model_router.usage.background import Finishers


async def test_drain_waits_for_work_started_meanwhile() -> None:
    finishers = Finishers()
    done: list[str] = []

    async def later(name: str, then: str | None = None) -> None:
        await asyncio.sleep(0.01)
        done.append(name)
        if then:
            finishers.spawn(later(then))

    finishers.spawn(later("first", then="second"))
    await finishers.drain(5)
    assert done == ["first", "second"] and finishers.pending == 0


async def test_drain_gives_up_after_its_bound() -> None:
    finishers = Finishers()
    task = finishers.spawn(asyncio.sleep(60))
    await finishers.drain(0.05)
    assert finishers.pending == 1
    task.cancel()
