"""The SSE reader: named events, multi-line data, comments, line ends of every kind split anywhere."""

from __future__ import annotations

from model_router.adapters.base import SseEvent
from model_router.adapters.transport import SseSplitter, retry_after_seconds

STREAM = ': keep-alive\n\nevent: message_start\ndata: {"a":\ndata: 1}\n\ndata: {"b": "é"}\n\ndata: [DONE]'
EXPECTED = [
    SseEvent("message_start", '{"a":\n1}'),
    SseEvent("message", '{"b": "é"}'),
    SseEvent("message", "[DONE]"),
]


def split(payload: bytes, size: int) -> list[SseEvent]:
    splitter = SseSplitter()
    events: list[SseEvent] = []
    for offset in range(0, len(payload), size):
        events.extend(splitter.feed(payload[offset : offset + size]))
    return events + splitter.close()


def test_events_are_split_on_blank_lines_and_the_last_needs_none() -> None:
    assert split(STREAM.encode(), 4096) == EXPECTED


def test_reads_of_any_size_give_the_same_events() -> None:
    payload = STREAM.encode()
    for size in (1, 2, 3, 7):
        assert split(payload, size) == EXPECTED


def test_crlf_and_cr_line_ends_split_anywhere() -> None:
    for ending in ("\r\n", "\r"):
        payload = STREAM.replace("\n", ending).encode()
        for size in (1, 2, 5, 4096):
            assert split(payload, size) == EXPECTED, (ending, size)


def test_one_read_with_several_events_returns_them_together() -> None:
    splitter = SseSplitter()
    assert splitter.feed(b"data: 1\n\ndata: 2\n\ndata: 3") == [
        SseEvent("message", "1"),
        SseEvent("message", "2"),
    ]
    assert splitter.feed(b"\n\n") == [SseEvent("message", "3")]
    assert splitter.close() == []


def test_retry_after_forms() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
