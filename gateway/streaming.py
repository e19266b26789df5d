"""Server-streaming RPCs over HTTP: Server-Sent Events, or newline-delimited JSON.

SSE: one ``id:`` + ``data:`` event per message (the id is the message's own ``event_id``
when it has one, so ``Last-Event-ID`` can resume, else its position), ``event: error``
with the status as ``{code, message, details}`` when the RPC fails mid-stream, and a final
``event: done``. A ``: ping`` comment goes out whenever nothing else did for a heartbeat
interval, so proxies keep the connection and clients notice a dead one.

``?stream=ndjson`` gives grpc-gateway's format instead: ``{"result": ...}`` per line and
``{"error": ...}`` on failure.

Headers wait for the first message (or the first heartbeat): an RPC that fails before it
says anything is answered with a plain HTTP error and its real status code, as
grpc-gateway does. A client that goes away cancels the RPC at once, and with it
everything the service started downstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from enum import Enum
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import status_pb2
from starlette.types import Receive, Scope, Send

from gateway.errors import error_response, internal_error_status, status_from_rpc_error, status_json
from gateway.transcoding.bindings import HttpBinding
from gateway.transcoding.response import dumps, event_id, response_value

__all__ = ["NDJSON", "SSE", "ServerStream", "StreamFormat", "sse_frame"]

log = logging.getLogger(__name__)

SSE = "text/event-stream"
NDJSON = "application/x-ndjson"
QUEUE_DEPTH = 16


class StreamFormat(Enum):
    SSE = "sse"
    NDJSON = "ndjson"


class _Item(Enum):
    MESSAGE = 1
    ERROR = 2
    END = 3


def sse_frame(data: bytes, *, event: str = "", event_id: str = "") -> bytes:
    lines = []
    if event:
        lines.append(b"event: " + event.encode())
    if event_id:
        lines.append(b"id: " + event_id.replace("\n", " ").replace("\r", " ").encode())
    lines.append(b"data: " + data)
    return b"\n".join(lines) + b"\n\n"


PING = b": ping\n\n"
DONE = sse_frame(b"{}", event="done")


class ServerStream:
    """An ASGI response that relays one server-streaming call."""

    def __init__(
        self,
        call: Any,
        binding: HttpBinding,
        *,
        fmt: StreamFormat,
        heartbeat: float,
        request_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._call = call
        self._binding = binding
        self._fmt = fmt
        self._heartbeat = heartbeat
        self._request_id = request_id
        self._headers = dict(headers or {})
        self._started = False
        self._gone = False
        self._count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        queue: asyncio.Queue[tuple[_Item, Any]] = asyncio.Queue(QUEUE_DEPTH)
        main = asyncio.current_task()
        assert main is not None
        reader = asyncio.create_task(self._read(queue))
        watcher = asyncio.create_task(self._watch(receive, main))
        try:
            await self._relay(queue, scope, receive, send)
        except asyncio.CancelledError:
            if not self._gone:
                raise
            main.uncancel()
        except OSError:
            self._gone = True
        finally:
            self._call.cancel()
            for task in (reader, watcher):
                task.cancel()
            try:
                await asyncio.gather(reader, watcher, return_exceptions=True)
            except asyncio.CancelledError:
                # The watcher may cancel us once more between the relay's end and here.
                if not self._gone:
                    raise
                main.uncancel()

    async def _read(self, queue: asyncio.Queue[tuple[_Item, Any]]) -> None:
        try:
            async for message in self._call:
                await queue.put((_Item.MESSAGE, message))
            await queue.put((_Item.END, None))
        except grpc.aio.AioRpcError as exc:
            await queue.put((_Item.ERROR, status_from_rpc_error(exc)))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("relaying %s failed", self._binding.rpc_name)
            await queue.put((_Item.ERROR, internal_error_status(self._request_id)))

    async def _watch(self, receive: Receive, main: asyncio.Task[Any]) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self._gone = True
                self._call.cancel()
                main.cancel()
                return

    async def _relay(
        self, queue: asyncio.Queue[tuple[_Item, Any]], scope: Scope, receive: Receive, send: Send
    ) -> None:
        while True:
            try:
                # A queued message needs no timer: arming and cancelling one per event
                # cost more than relaying the event when the upstream is quick.
                kind, item = queue.get_nowait() if not queue.empty() else await self._next(queue)
            except TimeoutError:
                await self._start(send)
                if self._fmt is StreamFormat.SSE:
                    await self._body(send, PING)
                continue
            if kind is _Item.ERROR and not self._started:
                await error_response(item)(scope, receive, send)
                return
            await self._start(send)
            if kind is _Item.MESSAGE:
                await self._body(send, self._message_frame(item))
            elif kind is _Item.ERROR:
                await self._body(send, self._error_frame(item))
            if kind is not _Item.MESSAGE:
                await self._finish(send)
                return

    async def _next(self, queue: asyncio.Queue[tuple[_Item, Any]]) -> tuple[_Item, Any]:
        async with asyncio.timeout(self._heartbeat):
            return await queue.get()

    def _message_frame(self, message: Message) -> bytes:
        self._count += 1
        data = dumps(response_value(self._binding, message))
        if self._fmt is StreamFormat.NDJSON:
            return b'{"result":' + data + b"}\n"
        return sse_frame(data, event_id=event_id(self._binding, message) or str(self._count))

    def _error_frame(self, status: status_pb2.Status) -> bytes:
        data = dumps(status_json(status))
        if self._fmt is StreamFormat.NDJSON:
            return b'{"error":' + data + b"}\n"
        return sse_frame(data, event="error")

    async def _start(self, send: Send) -> None:
        if self._started:
            return
        self._started = True
        content_type = SSE if self._fmt is StreamFormat.SSE else NDJSON
        headers = {
            **self._headers,
            "content-type": content_type,
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
        }
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": 200, "headers": raw})

    async def _body(self, send: Send, data: bytes) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": True})

    async def _finish(self, send: Send) -> None:
        if self._fmt is StreamFormat.SSE:
            await self._body(send, DONE)
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
