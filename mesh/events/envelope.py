"""Building and opening ``chatmesh.events.v1.EventEnvelope``.

Pure functions, no I/O: the outbox wraps events with ``build_envelope`` and
consumers open them with ``unpack``. The envelope picks up the causing
request's trace context, request id and principal from the current context so
consumers can continue the trace and audit who caused what without every
producer passing those along by hand.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import TypeVar

from chatmesh.events.v1.envelope_pb2 import EventEnvelope
from google.protobuf.message import Message
from opentelemetry import propagate

from mesh.auth import current_principal
from mesh.telemetry import current_request_id

__all__ = ["STREAM_PREFIX", "EventEnvelope", "build_envelope", "stream_name", "unpack"]

STREAM_PREFIX = "events:"
_SOURCE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
M = TypeVar("M", bound=Message)


def stream_name(source: str, prefix: str = STREAM_PREFIX) -> str:
    """The Redis stream a source's events go to (``events:identity``)."""
    return f"{prefix}{source}"


def build_envelope(
    event: Message,
    *,
    source: str,
    tenant_id: str = "",
    subject: str = "",
    actor_id: str | None = None,
    schema_version: int = 1,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    """Wrap ``event`` with everything a consumer needs to route, deduplicate and trace it.

    ``actor_id`` defaults to the subject of the current principal (empty outside an RPC).
    """
    if not isinstance(event, Message):
        raise TypeError(f"event must be a protobuf message, got {type(event).__name__}")
    if not _SOURCE.match(source):
        raise ValueError(f"source must be a service name like 'identity', got {source!r}")
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    envelope = EventEnvelope(
        id=event_id or str(uuid.uuid4()),
        type=event.DESCRIPTOR.full_name,
        source=source,
        tenant_id=tenant_id,
        subject=subject,
        traceparent=carrier.get("traceparent", ""),
        tracestate=carrier.get("tracestate", ""),
        request_id=current_request_id() or "",
        actor_id=current_principal().subject if actor_id is None else actor_id,
        schema_version=schema_version,
    )
    envelope.occurred_at.FromDatetime(occurred_at or datetime.now(UTC))
    envelope.payload.Pack(event)
    return envelope


def unpack(envelope: EventEnvelope, message_cls: type[M]) -> M:
    """The payload as ``message_cls``; raises TypeError when the envelope carries another type.

    Handlers subscribed to a whole stream check ``envelope.type`` first (or catch the
    TypeError) to skip the event types they do not care about.
    """
    message = message_cls()
    if not envelope.payload.Unpack(message):
        raise TypeError(
            f"event {envelope.id} carries {envelope.type or envelope.payload.type_url!r}, "
            f"not {message_cls.DESCRIPTOR.full_name}"
        )
    return message
