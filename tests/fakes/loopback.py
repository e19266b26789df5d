"""An ASGI app served by uvicorn on 127.0.0.1 with a free port: how every HTTP fake runs in tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn

__all__ = ["LoopbackServer"]


class _QuietServer(uvicorn.Server):
    """No signal handlers inside pytest: the test stops the server itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LoopbackServer:
    """Start an app on a free loopback port, and stop it (``force``: without waiting for open streams)."""

    def __init__(self) -> None:
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: Any, what: str) -> str:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False)
        server = _QuietServer(config)
        self._server = server
        self._task = asyncio.create_task(server.serve())
        while not server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"{what} did not start")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self, *, force: bool = False) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            self._server.force_exit = force
            await self._task
        self._server = self._task = None
