"""The consumer group reading the producers' streams into the Ingestor.

Delivery is at least once (mesh.events); the Ingestor's ledger makes the effect once.
The events of one read (up to ``consumer_batch``) are applied in one transaction (the
consumer's batch handler); if that fails, the consumer applies them one by one, so a
poison event is dead-lettered alone.
Every instance of analytics joins the same group under its own consumer name, so entries
are shared out and a dead instance's pending entries are claimed by a live one.
"""

from __future__ import annotations

import os
import socket

from redis.asyncio import Redis

from analytics.config import AnalyticsSettings
from analytics.ingestion.ingestor import Ingestor
from mesh.events import EventConsumer, stream_name

__all__ = ["SOURCES", "usage_consumer"]

# Producers whose events analytics counts.
SOURCES = ("model_router", "conversation", "identity", "knowledge")


def usage_consumer(
    redis: Redis,
    ingestor: Ingestor,
    settings: AnalyticsSettings,
    *,
    consumer_name: str | None = None,
    streams: list[str] | None = None,
) -> EventConsumer:
    """``streams`` defaults to the streams of :data:`SOURCES` (tests pass their own)."""
    return EventConsumer(
        redis,
        group=settings.consumer_group,
        consumer_name=consumer_name or f"{socket.gethostname()}-{os.getpid()}",
        streams=streams or [stream_name(source) for source in SOURCES],
        handler=ingestor.handle,
        batch_handler=ingestor.apply_batch,
        count=settings.consumer_batch,
    )
