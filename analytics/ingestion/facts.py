"""Opening envelopes: the events analytics counts, as domain facts (or None for the rest)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatmesh.events.v1 import (
    conversation_events_pb2,
    identity_events_pb2,
    knowledge_events_pb2,
    usage_events_pb2,
)

from analytics.domain.facts import ActivityFact, UsageFact
from mesh.events import EventEnvelope, unpack

__all__ = ["ACTIVITY_TYPES", "USAGE_TYPE", "activity_fact", "occurred_at", "usage_fact"]

USAGE_TYPE = usage_events_pb2.UsageRecorded.DESCRIPTOR.full_name
_STATUS = {
    usage_events_pb2.USAGE_STATUS_SUCCEEDED: "succeeded",
    usage_events_pb2.USAGE_STATUS_FAILED: "failed",
    usage_events_pb2.USAGE_STATUS_CANCELLED: "cancelled",
}
_KIND = {usage_events_pb2.USAGE_KIND_CHAT: "chat", usage_events_pb2.USAGE_KIND_EMBEDDING: "embedding"}
# Event type → (payload class, activity metric, payload field naming the user).
ACTIVITY_TYPES = {
    conversation_events_pb2.ConversationCreated.DESCRIPTOR.full_name: (
        conversation_events_pb2.ConversationCreated,
        "conversations_created",
        "owner_id",
    ),
    conversation_events_pb2.GenerationCompleted.DESCRIPTOR.full_name: (
        conversation_events_pb2.GenerationCompleted,
        "generations_completed",
        "owner_id",
    ),
    identity_events_pb2.UserRegistered.DESCRIPTOR.full_name: (
        identity_events_pb2.UserRegistered,
        "users_registered",
        "user_id",
    ),
    knowledge_events_pb2.DocumentIngested.DESCRIPTOR.full_name: (
        knowledge_events_pb2.DocumentIngested,
        "documents_ingested",
        "",
    ),
}


def occurred_at(envelope: EventEnvelope) -> datetime:
    """When the change happened (commit time at the producer); now if the producer left it unset."""
    if not envelope.HasField("occurred_at"):
        return datetime.now(UTC)
    return envelope.occurred_at.ToDatetime(tzinfo=UTC)


def _ms(duration: object) -> float:
    return float(duration.ToNanoseconds()) / 1e6  # type: ignore[attr-defined]


def usage_fact(envelope: EventEnvelope) -> UsageFact:
    event = unpack(envelope, usage_events_pb2.UsageRecorded)
    return UsageFact(
        event_id=envelope.id,
        request_id=event.request_id,
        occurred_at=occurred_at(envelope),
        tenant_id=envelope.tenant_id,
        user_id=event.user_id,
        api_key_id=event.api_key_id,
        model=event.model,
        upstream_model=event.upstream_model,
        channel_id=event.channel_id,
        arm=event.arm,
        routing_rule_id=event.routing_rule_id,
        status=_STATUS.get(event.status, "succeeded"),
        source=event.source,
        error_code=event.error_code if event.status == usage_events_pb2.USAGE_STATUS_FAILED else "",
        kind=_KIND.get(event.kind, ""),
        stream=event.stream,
        estimated=event.estimated,
        prompt_tokens=event.prompt_tokens,
        completion_tokens=event.completion_tokens,
        cached_tokens=event.cached_tokens,
        reasoning_tokens=event.reasoning_tokens,
        cost=event.quota_units or event.cost_micros,
        latency_ms=_ms(event.latency),
        ttft_ms=_ms(event.time_to_first_token) if event.HasField("time_to_first_token") else None,
        retries=event.retries,
        conversation_id=event.conversation_id,
        generation_id=event.generation_id,
    )


def activity_fact(envelope: EventEnvelope) -> ActivityFact | None:
    found = ACTIVITY_TYPES.get(envelope.type)
    if found is None:
        return None
    message_cls, metric, user_field = found
    event: Any = unpack(envelope, message_cls)
    user_id = str(getattr(event, user_field)) if user_field else ""
    return ActivityFact(
        event_id=envelope.id,
        occurred_at=occurred_at(envelope),
        tenant_id=envelope.tenant_id,
        metric=metric,
        user_id=user_id,
    )
