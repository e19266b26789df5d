"""The HTTP/1.1 wire layer of the test Consul agent: just enough server for Consul's API.

A raw asyncio server (rather than uvicorn) so that it installs no signal handlers inside
pytest and can end long-polling requests at once on shutdown.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, status: int, message: str) -> Response:
        """Consul answers errors as plain text, not JSON."""
        return cls(
            status=status, body=message.encode(), headers={"Content-Type": "text/plain; charset=utf-8"}
        )

    def encode(self, keep_alive: bool) -> bytes:
        if isinstance(self.body, bytes):
            payload = self.body
        elif self.body is None:
            payload = b""
        else:
            payload = json.dumps(self.body).encode()
            self.headers.setdefault("Content-Type", "application/json")
        head = [f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}"]
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        head += [f"Content-Length: {len(payload)}", f"Connection: {'keep-alive' if keep_alive else 'close'}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload


Handler = Callable[[Request], Awaitable[Response]]


class HttpServer:
    """Serves ``handler`` on loopback with keep-alive; ``stop`` cancels requests still waiting."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = await asyncio.start_server(self._serve_connection, host, port)
        bound_port = self._server.sockets[0].getsockname()[1]
        return f"http://{host}:{bound_port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                keep_alive = request.headers.get("connection", "").lower() != "close"
                response = await self._handle(request)
                writer.write(response.encode(keep_alive))
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # stop() ends connections by cancelling them; finishing quietly keeps asyncio's
            # stream callback from logging the cancellation as an error.
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _handle(self, request: Request) -> Response:
        try:
            return await self._handler(request)
        except ValueError as exc:
            return Response.text(400, str(exc))


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY_BYTES:
        raise ConnectionError("request body too large")
    body = await reader.readexactly(length) if length else b""
    url = urlsplit(target)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    return Request(method=method.upper(), path=unquote(url.path), query=query, headers=headers, body=body)
