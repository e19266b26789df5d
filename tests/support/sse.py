"""Reading Server-Sent Events from an httpx streaming response, as the e2e tests and benches do.

One parser for every e2e module that follows a stream through the gateway (chat turns,
ingestion jobs): frames are yielded as they arrive, comments and heartbeats skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["SseEvent", "sse_events"]


@dataclass(frozen=True)
class SseEvent:
    id: str
    name: str
    data: dict[str, Any]


def sse_events(response: httpx.Response) -> Iterator[SseEvent]:
    event_id, name, data = "", "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield SseEvent(event_id, name, json.loads("\n".join(data)))
            event_id, name, data = "", "message", []
        elif line.startswith(":"):
            continue
        else:
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "id":
                event_id = value
            elif key == "event":
                name = value
            elif key == "data":
                data.append(value)
