"""EventSource-style parsing of a Server-Sent Events body, for the stream tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    name: str = "message"
    id: str | None = None
    data: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads("\n".join(self.data))


@dataclass
class Stream:
    events: list[Event]
    comments: list[str]


async def read_sse(lines: AsyncIterator[str], until_done: bool = True) -> Stream:
    """EventSource parsing, as browsers do it."""
    events: list[Event] = []
    comments: list[str] = []
    current = Event()
    async for line in lines:
        if line == "":
            if current.data:
                events.append(current)
                if until_done and current.name == "done":
                    break
            current = Event()
        elif line.startswith(":"):
            comments.append(line[1:].strip())
        else:
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "event":
                current.name = value
            elif key == "id":
                current.id = value
            elif key == "data":
                current.data.append(value)
    return Stream(events, comments)
