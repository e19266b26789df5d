"""Sending an adapter's request over the shared httpx client: JSON answers and SSE streams.

Transport failures (refused connections, timeouts, a stream that drops) become retryable
:class:`UpstreamError`s; HTTP errors are read by the adapter, which knows the provider's
error body. A stream raises before its first event if the upstream refused the request, so
the relay can still fail over.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from model_router.adapters.base import Adapter, HttpRequest, SseEvent, UpstreamError

__all__ = ["SseSplitter", "post_json", "post_stream", "post_stream_batches", "retry_after_seconds"]

ERROR_BODY_LIMIT = 64 * 1024


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=4096)
def _url(url: str) -> httpx.URL:
    """Parsed once per endpoint: httpx validates a URL string character by character on every request."""
    return httpx.URL(url)


def _transport_error(exc: httpx.HTTPError) -> UpstreamError:
    reason = (
        "timeout"
        if isinstance(exc, httpx.TimeoutException)
        else "connect"
        if isinstance(exc, httpx.ConnectError)
        else "transport"
    )
    return UpstreamError(f"upstream {reason}: {type(exc).__name__}", retryable=True, reason=reason)


async def post_json(
    client: httpx.AsyncClient, adapter: Adapter, request: HttpRequest, read_timeout: float
) -> dict[str, Any]:
    try:
        response = await client.post(
            request.url, json=request.json, headers=request.headers, timeout=read_timeout
        )
    except httpx.HTTPError as exc:
        raise _transport_error(exc) from exc
    if response.status_code >= 400:
        raise adapter.error(
            response.status_code,
            response.content[:ERROR_BODY_LIMIT],
            retry_after_seconds(response.headers.get("retry-after")),
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise UpstreamError(
            "upstream sent a body that is not JSON",
            status=response.status_code,
            retryable=True,
            reason="bad_body",
        ) from exc
    if not isinstance(body, dict):
        raise UpstreamError(
            "upstream sent a JSON body that is not an object", retryable=True, reason="bad_body"
        )
    return body


async def post_stream(
    client: httpx.AsyncClient, adapter: Adapter, request: HttpRequest, read_timeout: float
) -> AsyncIterator[SseEvent]:
    """The upstream's SSE events one by one; HTTP errors raise before the first one is yielded."""
    async for batch in post_stream_batches(client, adapter, request, read_timeout):
        for event in batch:
            yield event


async def post_stream_batches(
    client: httpx.AsyncClient, adapter: Adapter, request: HttpRequest, read_timeout: float
) -> AsyncIterator[list[SseEvent]]:
    """The upstream's SSE events, as many as one network read brought at a time.

    The relay's hot path: bytes come straight from the connection (``aiter_raw``, or
    ``aiter_bytes`` when the upstream compressed the body) into :class:`SseSplitter`, with no
    text decoding or line iteration in between, and a caller that falls behind gets every
    event already received in one batch (which it may then send on as one message).
    """
    try:
        async with client.stream(
            "POST", _url(request.url), json=request.json, headers=request.headers, timeout=read_timeout
        ) as response:
            if response.status_code >= 400:
                body = await response.aread()
                raise adapter.error(
                    response.status_code,
                    body[:ERROR_BODY_LIMIT],
                    retry_after_seconds(response.headers.get("retry-after")),
                )
            encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
            splitter = SseSplitter()
            async for data in response.aiter_bytes() if encoded else response.aiter_raw():
                events = splitter.feed(data)
                if events:
                    yield events
            if tail := splitter.close():
                yield tail
    except httpx.HTTPError as exc:
        raise _transport_error(exc) from exc


class SseSplitter:
    """Server-sent events per the WHATWG rules used here: ``event:``, multi-line ``data:``, comments.

    Fed raw bytes as they arrive; line ends may be LF, CRLF or CR, split anywhere. The usual
    event (a single ``data: ...`` line) is cut out with one ``find`` and one slice.
    """

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[SseEvent]:
        buffer = self._buffer + data if self._buffer else data
        if b"\r" in buffer:
            held = buffer.endswith(b"\r")  # may be the first half of a CRLF split across reads
            body = buffer[:-1] if held else buffer
            buffer = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + (b"\r" if held else b"")
        events: list[SseEvent] = []
        start = 0
        while (end := buffer.find(b"\n\n", start)) >= 0:
            block = buffer[start:end]
            start = end + 2
            if block.startswith(b"data: ") and b"\n" not in block:
                events.append(SseEvent("message", block[6:].decode("utf-8", "replace")))
            elif (event := _event(block)) is not None:
                events.append(event)
        self._buffer = buffer[start:]
        return events

    def close(self) -> list[SseEvent]:
        """The last event when the stream ended without its blank line."""
        block, self._buffer = self._buffer.rstrip(b"\r\n"), b""
        event = _event(block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")) if block else None
        return [event] if event is not None else []


def _event(block: bytes) -> SseEvent | None:
    name = ""
    data: list[str] = []
    for raw in block.split(b"\n"):
        line = raw.decode("utf-8", "replace")
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return SseEvent(name or "message", "\n".join(data)) if data else None
