"""Envelope building and opening, and the constructor checks of relay and consumer (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from chatmesh.events.v1.conversation_events_pb2 import ConversationCreated
from chatmesh.events.v1.identity_events_pb2 import UserRegistered
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from redis.asyncio import Redis
from sqlalchemy import MetaData

from mesh.auth import Principal, reset_principal, set_principal
from mesh.db import outbox_table, service_metadata
from mesh.events import (
    EventConsumer,
    EventEnvelope,
    OutboxRelay,
    build_envelope,
    notify_channel,
    stream_name,
    unpack,
)
from mesh.events.relay import backoff_delay
from mesh.telemetry import reset_request_id, set_request_id


def test_envelope_names_the_payload_type_and_packs_it() -> None:
    envelope = build_envelope(UserRegistered(user_id="u1"), source="identity", tenant_id="t1", subject="u1")

    assert envelope.type == "chatmesh.events.v1.UserRegistered"
    assert envelope.payload.type_url == "type.googleapis.com/chatmesh.events.v1.UserRegistered"
    assert (envelope.source, envelope.tenant_id, envelope.subject) == ("identity", "t1", "u1")
    assert envelope.schema_version == 1
    assert uuid.UUID(envelope.id).version == 4
    assert unpack(envelope, UserRegistered).user_id == "u1"


def test_every_envelope_gets_its_own_id_and_an_occurrence_time() -> None:
    before = datetime.now(UTC)
    first = build_envelope(UserRegistered(), source="identity")
    second = build_envelope(UserRegistered(), source="identity")

    assert first.id != second.id
    occurred = first.occurred_at.ToDatetime(tzinfo=UTC)
    assert before <= occurred <= datetime.now(UTC)


def test_envelope_survives_serialization() -> None:
    envelope = build_envelope(UserRegistered(email="a@example.com"), source="identity", subject="u1")
    copy = EventEnvelope.FromString(envelope.SerializeToString())
    assert copy == envelope
    assert unpack(copy, UserRegistered).email == "a@example.com"


def test_unpack_refuses_another_type() -> None:
    envelope = build_envelope(UserRegistered(), source="identity")
    with pytest.raises(TypeError, match="UserRegistered"):
        unpack(envelope, ConversationCreated)


def test_envelope_carries_trace_context_request_id_and_actor() -> None:
    span = NonRecordingSpan(
        SpanContext(0xABC, 0xDEF, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    )
    request = set_request_id("req-123")
    principal = set_principal(Principal(kind="user", subject="user-9", tenant_id="t9"))
    try:
        with trace.use_span(span):
            envelope = build_envelope(UserRegistered(), source="identity")
    finally:
        reset_principal(principal)
        reset_request_id(request)

    assert envelope.traceparent == f"00-{0xABC:032x}-{0xDEF:016x}-01"
    assert envelope.request_id == "req-123"
    assert envelope.actor_id == "user-9"


def test_outside_a_request_the_context_fields_stay_empty_and_actor_can_be_given() -> None:
    envelope = build_envelope(UserRegistered(), source="identity", actor_id="system")
    assert (envelope.traceparent, envelope.request_id, envelope.actor_id) == ("", "", "system")


@pytest.mark.parametrize("source", ["", "Identity", "events:identity", "a b", "x" * 80])
def test_source_must_be_a_plain_service_name(source: str) -> None:
    with pytest.raises(ValueError, match="source"):
        build_envelope(UserRegistered(), source=source)


def test_event_must_be_a_protobuf_message() -> None:
    with pytest.raises(TypeError, match="protobuf"):
        build_envelope({"user_id": "u1"}, source="identity")  # type: ignore[arg-type]


def test_stream_and_channel_names() -> None:
    assert stream_name("identity") == "events:identity"
    assert stream_name("identity", "x:") == "x:identity"
    assert notify_channel(outbox_table(service_metadata("identity"))) == "chatmesh_outbox_identity"
    assert notify_channel(outbox_table(MetaData())) == "chatmesh_outbox_public"


@pytest.mark.parametrize("failures", [1, 2, 5, 20, 100])
def test_backoff_grows_and_stays_under_its_cap(failures: int) -> None:
    ceiling = min(3.0, 0.2 * 2 ** (failures - 1))
    for _ in range(50):
        delay = backoff_delay(failures, cap=3.0)
        assert ceiling / 2 <= delay <= ceiling


def test_consumer_needs_a_bytes_client_and_streams() -> None:
    async def handler(_: EventEnvelope) -> None:
        return None

    text_client = Redis(decode_responses=True)
    with pytest.raises(ValueError, match="decode_responses"):
        EventConsumer(text_client, group="g", consumer_name="c", streams=["events:x"], handler=handler)
    with pytest.raises(ValueError, match="streams"):
        EventConsumer(Redis(), group="g", consumer_name="c", streams=[], handler=handler)
    with pytest.raises(ValueError, match="max_attempts"):
        EventConsumer(Redis(), group="g", consumer_name="c", streams=["s"], handler=handler, max_attempts=0)


def test_consumer_dedupe_keys_are_per_group() -> None:
    async def handler(_: EventEnvelope) -> None:
        return None

    one = EventConsumer(Redis(), group="analytics", consumer_name="a", streams=["s"], handler=handler)
    two = EventConsumer(Redis(), group="notification", consumer_name="a", streams=["s"], handler=handler)
    assert one.dedupe_key("e1") != two.dedupe_key("e1")


def test_relay_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch"):
        OutboxRelay(None, outbox_table(MetaData()), Redis(), batch=0)  # type: ignore[arg-type]
