"""The events of a turn running in this process, handed straight to the followers in this process.

Every event still goes to the Redis event log (other instances, reconnects and replay read
it there); a follower of a turn that runs here reads this in-memory copy instead, so a
delta reaches it as soon as the runner has it, without an XREAD round trip per event and
without holding a Redis connection blocked for the whole answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from chatmesh.conversation.v1 import messages_pb2

from conversation.generation.event_log import is_terminal

__all__ = ["TurnFeed"]


class TurnFeed:
    """Events of one turn by sequence (the first is sequence 1); one writer, any number of readers."""

    def __init__(self) -> None:
        self._events: list[messages_pb2.GenerationEvent] = []
        self._arrived = asyncio.Event()
        self.closed = False

    def publish(self, sequence: int, event: messages_pb2.GenerationEvent) -> None:
        """Adds the event with ``sequence``; one out of order (never expected) closes the feed, so
        its readers go on from the Redis log, which has every event."""
        if self.closed:
            return
        if sequence != len(self._events) + 1:
            self.close()
            return
        self._events.append(event)
        self._wake()

    def close(self) -> None:
        """No more events will come (the turn ended, or its writer failed)."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()

    async def read(self, after: int = 0) -> AsyncIterator[messages_pb2.GenerationEvent]:
        """Events after sequence ``after`` as they come, through the last one; ends early if the
        feed closes without a last event (the caller then reads the rest elsewhere)."""
        index = after
        while True:
            while index < len(self._events):
                event = self._events[index]
                index += 1
                yield event
                if is_terminal(event):
                    return
            if self.closed:
                return
            await self._arrived.wait()
