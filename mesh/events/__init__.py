"""The event bus: a transactional outbox per service, relayed to Redis Streams, read by consumer groups.

Producers call :func:`add` inside the transaction that makes the change; an
:class:`OutboxRelay` per service publishes committed events to ``events:<source>``;
an :class:`EventConsumer` per consuming service reads them with retries, consumer-side
deduplication and a dead-letter stream. Delivery is at least once; handlers run
once per event id and consumer group.
"""

from mesh.events.consumer import BatchOfEventsHandler, EventConsumer, Handler
from mesh.events.envelope import STREAM_PREFIX, EventEnvelope, build_envelope, stream_name, unpack
from mesh.events.outbox import add, notify_channel
from mesh.events.relay import OutboxRelay, PublishFailed

__all__ = [
    "STREAM_PREFIX",
    "BatchOfEventsHandler",
    "EventConsumer",
    "EventEnvelope",
    "Handler",
    "OutboxRelay",
    "PublishFailed",
    "add",
    "build_envelope",
    "notify_channel",
    "stream_name",
    "unpack",
]
