"""Server-Sent Events frames as OpenAI and Anthropic write them.

OpenAI sends bare ``data: <json>`` frames and ends with ``data: [DONE]``; Anthropic names
each event (``event: <type>`` then ``data: <json>``). Both use compact JSON on one line,
which is what SSE parsers split on.
"""

from __future__ import annotations

import json
from typing import Any

SSE_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
}
DONE = b"data: [DONE]\n\n"


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def data_frame(value: Any) -> bytes:
    return f"data: {compact_json(value)}\n\n".encode()


def event_frame(event: str, value: Any) -> bytes:
    return f"event: {event}\ndata: {compact_json(value)}\n\n".encode()
