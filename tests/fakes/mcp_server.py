"""A small real MCP server (the official SDK) for orchestrator's MCP tests.

Tools: ``add`` (two integers), ``echo`` (text, with the value of the FAKE_MCP_GREETING
environment variable when set, so tests see env secrets arrive), ``sleep`` (waits, for
timeouts) and ``explode`` (reports a tool error).

- stdio: run this file as a script (``[sys.executable, STDIO_SCRIPT]``).
- streamable HTTP: ``async with serve_http(token=...) as url`` runs it on a free loopback
  port; with a token, requests without ``Authorization: Bearer <token>`` get 401.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

STDIO_SCRIPT = str(Path(__file__).resolve())

server = MCPServer("fake-tools", log_level="WARNING")


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Repeats the text back."""
    greeting = os.environ.get("FAKE_MCP_GREETING", "")
    return f"{greeting}{text}"


@server.tool()
async def sleep(seconds: float) -> str:
    """Waits before answering."""
    await asyncio.sleep(seconds)
    return "awake"


@server.tool()
def explode() -> str:
    """Always fails."""
    raise ToolError("boom")


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class _BearerGate:
    """Answers 401 unless the request carries the expected bearer token."""

    def __init__(self, app: Any, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != self._expected:
            await send(
                {"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]}
            )
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await self._app(scope, receive, send)


@asynccontextmanager
async def serve_http(token: str | None = None) -> AsyncIterator[str]:
    """The fake on a free loopback port; yields its MCP endpoint URL."""
    app: Any = server.streamable_http_app()
    if token is not None:
        app = _BearerGate(app, token)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(runner.serve(sockets=[sock]))
    try:
        while not runner.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        runner.should_exit = True
        await task
        sock.close()


if __name__ == "__main__":
    server.run("stdio")
