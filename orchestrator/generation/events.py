"""The event stream of one turn: numbered, timestamped GenerateResponse messages handed to the RPC.

The turn runs in its own task and puts events on a queue the Generate handler drains, so a
Cancel arriving on another RPC can stop the turn while the handler still delivers the
final event.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chatmesh.orchestrator.v1 import generation_pb2
from google.protobuf import duration_pb2, timestamp_pb2

__all__ = ["END", "EventSink", "duration"]

# Put on the queue after the last event (or after the error that replaces the stream).
END = None

Item = generation_pb2.GenerateResponse | BaseException | None


def duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(max(seconds, 0.0) * 1e9))
    return value


class EventSink:
    def __init__(self, generation_id: str) -> None:
        self.generation_id = generation_id
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self._sequence = 0

    @property
    def sent(self) -> int:
        """Events emitted so far."""
        return self._sequence

    def emit(self, **event: Any) -> generation_pb2.GenerateResponse:
        """Queues one event, e.g. ``emit(text_delta=TextDelta(...))``."""
        self._sequence += 1
        stamp = timestamp_pb2.Timestamp()
        stamp.GetCurrentTime()
        response = generation_pb2.GenerateResponse(
            generation_id=self.generation_id, sequence=self._sequence, event_time=stamp, **event
        )
        self.queue.put_nowait(response)
        return response

    def fail(self, error: BaseException) -> None:
        """Ends the stream with an RPC error instead of events (errors before ``started``)."""
        self.queue.put_nowait(error)

    def close(self) -> None:
        self.queue.put_nowait(END)
