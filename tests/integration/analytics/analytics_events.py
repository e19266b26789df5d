"""Building UsageRecorded envelopes with known figures for analytics's tests."""

from __future__ import annotations

import uuid
from datetime import datetime

from chatmesh.events.v1 import usage_events_pb2

from mesh.events import EventEnvelope, build_envelope

STATUS = {
    "succeeded": usage_events_pb2.USAGE_STATUS_SUCCEEDED,
    "failed": usage_events_pb2.USAGE_STATUS_FAILED,
    "cancelled": usage_events_pb2.USAGE_STATUS_CANCELLED,
}


def usage_envelope(
    at: datetime,
    *,
    tenant: str = "t1",
    user: str = "u1",
    key: str = "k1",
    model: str = "gpt-4o-mini",
    channel: str = "c1",
    status: str = "succeeded",
    prompt: int = 10,
    completion: int = 5,
    cost: int = 100,
    latency_ms: int = 200,
    ttft_ms: int | None = 50,
    error_code: str = "",
) -> EventEnvelope:
    event = usage_events_pb2.UsageRecorded(
        request_id=uuid.uuid4().hex,
        user_id=user,
        api_key_id=key,
        kind=usage_events_pb2.USAGE_KIND_CHAT,
        model=model,
        channel_id=channel,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_micros=cost,
        quota_units=cost,
        currency="USD",
        status=STATUS[status],
        error_code=error_code,
        source="gateway",
    )
    event.latency.FromMilliseconds(latency_ms)
    if ttft_ms is not None:
        event.time_to_first_token.FromMilliseconds(ttft_ms)
    return build_envelope(
        event, source="model_router", tenant_id=tenant, subject=event.request_id, occurred_at=at
    )
