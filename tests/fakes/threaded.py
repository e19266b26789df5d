"""Run an async fake server (``start()``/``stop()`` coroutines) on its own loop in a thread.

Synchronous tests (the e2e suite drives whole processes with blocking clients) still need
the fakes' real HTTP servers; a private event loop in a daemon thread hosts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

__all__ = ["LoopThread", "serving"]

T = TypeVar("T")


class _Server(Protocol):
    async def start(self) -> Any: ...
    async def stop(self) -> None: ...


class LoopThread:
    """An event loop running forever in a daemon thread until :meth:`close`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-loop", daemon=True)
        self._thread.start()

    def run(self, factory: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
        async def runner() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(runner(), self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what the servers left behind (e.g. uvicorn's lifespan task), then stop the loop."""

        async def cancel_leftovers() -> None:
            current = asyncio.current_task()
            leftovers = [t for t in asyncio.all_tasks() if t is not current]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)

        self.run(cancel_leftovers)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextlib.contextmanager
def serving(server: _Server) -> Iterator[Any]:
    """Start ``server`` on a loop thread; yields what ``start()`` returned (usually its base URL)."""
    thread = LoopThread()
    try:
        started = thread.run(server.start)
        try:
            yield started
        finally:
            thread.run(server.stop)
    finally:
        thread.close()
