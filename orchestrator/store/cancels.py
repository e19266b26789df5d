"""The Redis channel cross-instance Cancel requests travel on, and the message they carry.

Pub/sub only reaches connected listeners, which is enough: a turn lives only as long as
its instance's connection. generation/runtime.py decides what a request does.
"""

from __future__ import annotations

from redis.asyncio import Redis

from mesh.invalidation import publish

__all__ = ["CANCEL_CHANNEL", "parse_cancel", "publish_cancel"]

CANCEL_CHANNEL = "orchestrator:generation-cancel"


async def publish_cancel(redis: Redis | None, generation_id: str, reason: str) -> None:
    """Asks every instance listening to cancel ``generation_id`` if it runs it."""
    await publish(redis, CANCEL_CHANNEL, f"{generation_id}\n{reason}")


def parse_cancel(message: str) -> tuple[str, str]:
    """``(generation_id, reason)`` of a message :func:`publish_cancel` sent."""
    generation_id, _, reason = message.partition("\n")
    return generation_id, reason
