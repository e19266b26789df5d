"""Responses tied to their upstream RPC: a client that goes away cancels the call it started.

A model call is expensive and billed; when the HTTP client disconnects (a closed browser
tab, a cancelled SDK stream) the RPC to model_router must end at once, not when the model
finishes. Starlette's own streaming response notices a disconnect only on its next write,
which may be many seconds away while a model thinks; so the exchange here runs in a task
raced against the connection's ``http.disconnect`` and is cancelled when that comes first.
The producers cancel their gRPC call in a ``finally`` block, which the cancellation runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from gateway.compat.sse import SSE_HEADERS

log = logging.getLogger(__name__)

Exchange = Callable[[], Awaitable[Response]]


async def until_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class RelayResponse(Response):
    """Runs ``exchange`` (which calls upstream and builds the response) and sends its response,
    all of it abandoned and cancelled if the client disconnects first."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(status_code=200)
        self._exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        work = asyncio.ensure_future(self._respond(scope, receive, send))
        watch = asyncio.ensure_future(until_disconnect(receive))
        try:
            await asyncio.wait({work, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watch.cancel()
            if not work.done():
                work.cancel()
            await asyncio.gather(watch, work, return_exceptions=True)
        if not work.cancelled() and (error := work.exception()) is not None:
            raise error

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._exchange()
        await response(scope, receive, send)


class EventStream(StreamingResponse):
    """``200 text/event-stream``: a frame already produced, then the rest as the producer yields them.

    The first frame is awaited before the response starts so that an upstream failure before
    any output still gets a proper HTTP error status (as OpenAI and Anthropic answer it).
    """

    def __init__(
        self, first: bytes, rest: AsyncGenerator[bytes, None], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(rest, status_code=200, headers={**SSE_HEADERS, **(headers or {})})
        self._first = first
        self._rest = rest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            start = {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            await send(start)
            await send({"type": "http.response.body", "body": self._first, "more_body": True})
            async for frame in self._rest:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            log.debug("client went away during an event stream")
        finally:
            await close_quietly(self._rest)


async def close_quietly(frames: AsyncGenerator[bytes, None]) -> None:
    """Close a producer even from a cancelled task, so its ``finally`` (cancelling the RPC) runs."""
    with contextlib.suppress(Exception):
        await asyncio.shield(frames.aclose())


async def start_stream(
    frames: AsyncGenerator[bytes, None], headers: Mapping[str, str] | None = None
) -> EventStream:
    """Wait for the first frame (errors before it propagate), then stream; an empty producer ends at once."""
    try:
        first = await frames.__anext__()
    except StopAsyncIteration:
        first = b""
    return EventStream(first, frames, headers)
