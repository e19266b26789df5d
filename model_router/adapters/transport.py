"""Sending an adapter's request over the shared httpx client: JSON answers and SSE streams.

Transport failures (refused connections, timeouts, a stream that drops) become retryable
:class:`UpstreamError`s; HTTP errors are read by the adapter, which knows the provider's
error body. A stream raises before its first event if the upstream refused the request, so
the relay can still fail over.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from model_router.adapters.base import Adapter, HttpRequest, SseEvent, UpstreamError

__all__ = ["post_json", "post_stream", "retry_after_seconds"]

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
    """The upstream's SSE events; HTTP errors raise before the first one is yielded."""
    try:
        async with client.stream(
            "POST", request.url, json=request.json, headers=request.headers, timeout=read_timeout
        ) as response:
            if response.status_code >= 400:
                body = await response.aread()
                raise adapter.error(
                    response.status_code,
                    body[:ERROR_BODY_LIMIT],
                    retry_after_seconds(response.headers.get("retry-after")),
                )
            async for event in _sse_events(response.aiter_lines()):
                yield event
    except httpx.HTTPError as exc:
        raise _transport_error(exc) from exc


async def _sse_events(lines: AsyncIterator[str]) -> AsyncIterator[SseEvent]:
    """Server-sent events per the WHATWG rules used here: ``event:``, multi-line ``data:``, comments."""
    event = ""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield SseEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield SseEvent(event or "message", "\n".join(data))
