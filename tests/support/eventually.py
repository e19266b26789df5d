"""Poll until a condition holds: the one waiting helper tests share.

Work done in the background (consumers, relays, watches, other instances' caches) shows up
a little later than the call that caused it; tests wait for it here instead of sleeping a
guessed amount, and fail with ``what`` and the last value seen when it never shows up.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

__all__ = ["eventually", "eventually_sync"]


async def eventually(
    check: Callable[[], Any], *, within: float = 10.0, what: str = "condition", interval: float = 0.05
) -> Any:
    """Call ``check`` (sync, or returning an awaitable) until it returns something truthy; return that.

    The deadline also cuts a check that hangs, so a stuck call fails the test instead of the run.
    """
    last: Any = None
    try:
        async with asyncio.timeout(within):
            while True:
                last = check()
                if inspect.isawaitable(last):
                    last = await last
                if last:
                    return last
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(f"{what} did not hold within {within}s (last: {last!r})") from None


def eventually_sync(
    check: Callable[[], Any], *, within: float = 10.0, what: str = "condition", interval: float = 0.05
) -> Any:
    """Blocking twin of `eventually` for tests that drive processes from plain threads."""
    deadline = time.monotonic() + within
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {within}s (last: {last!r})")
        time.sleep(interval)
