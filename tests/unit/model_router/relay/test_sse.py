"""The SSE reader: named events, multi-line data, comments, a last event without a blank line."""

from __future__ import annotations

from collections.abc import AsyncIterator

from model_router.adapters.base import SseEvent
from model_router.adapters.transport import _sse_events, retry_after_seconds


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


async def test_events_are_split_on_blank_lines() -> None:
    source = lines(": keep-alive", "event: message_start", 'data: {"a":', "data: 1}", "", "data: [DONE]")
    events = [event async for event in _sse_events(source)]
    assert events == [SseEvent("message_start", '{"a":\n1}'), SseEvent("message", "[DONE]")]


def test_retry_after_forms() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
