"""mesh.invalidation.RefreshLoop without Redis: the timer, wake-ups and failed reloads."""

from __future__ import annotations

import asyncio
import logging

import pytest

from mesh.invalidation import RefreshLoop


class View:
    """Records each reload's ``only_if_changed``; fails the next ``failures`` reloads."""

    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.failures = 0
        self.reloaded = asyncio.Event()

    async def reload(self, *, only_if_changed: bool = False) -> None:
        self.calls.append(only_if_changed)
        self.reloaded.set()
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database away")


def _loop(view: View, interval: float) -> RefreshLoop:
    return RefreshLoop(
        None, "test:changed", view.reload, interval=interval, name="test-view", what="test view", kept="view"
    )


async def _next_reload(view: View) -> None:
    view.reloaded.clear()
    await asyncio.wait_for(view.reloaded.wait(), 2)


async def test_the_timer_only_reloads_if_the_fingerprint_moved() -> None:
    view = View()
    loop = _loop(view, 0.02)
    await loop.start()
    try:
        await _next_reload(view)
        await _next_reload(view)
    finally:
        await loop.close()
    assert view.calls[:2] == [True, True]


async def test_a_wake_up_reloads_in_full() -> None:
    view = View()
    loop = _loop(view, 30)
    await loop.start()
    try:
        loop.wake()
        await _next_reload(view)
    finally:
        await loop.close()
    assert view.calls == [False]


async def test_changed_reloads_now_and_a_failure_is_retried_by_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    view = View()
    view.failures = 1
    loop = _loop(view, 30)
    await loop.start()
    try:
        with caplog.at_level(logging.WARNING, logger="mesh.invalidation"):
            await loop.changed()
            await _next_reload(view)
    finally:
        await loop.close()
    assert view.calls == [False, False]
    assert "test view reload after a change failed" in caplog.text


async def test_a_failing_reload_keeps_the_loop_running(caplog: pytest.LogCaptureFixture) -> None:
    view = View()
    view.failures = 1
    loop = _loop(view, 0.02)
    await loop.start()
    try:
        with caplog.at_level(logging.WARNING, logger="mesh.invalidation"):
            await _next_reload(view)
            await _next_reload(view)
    finally:
        await loop.close()
    assert len(view.calls) >= 2
    assert "test view reload failed; keeping the last view" in caplog.text


async def test_close_stops_the_loop() -> None:
    view = View()
    loop = _loop(view, 0.01)
    await loop.start()
    await loop.close()
    count = len(view.calls)
    await asyncio.sleep(0.05)
    assert len(view.calls) == count
