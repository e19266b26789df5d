"""Usage records: one row per model request, written with its settlement, announced by a UsageRecorded event.

The record, the quota settlement (or refund) and the outbox event commit in one
transaction, so analytics sees a request exactly when its cost is final, and a request
is never charged without a record or recorded without its charge.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from chatmesh.events.v1 import usage_events_pb2
from google.protobuf import duration_pb2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mesh.errors import NotFound
from model_router.quota.engine import QuotaEngine
from model_router.store import usage_records

__all__ = [
    "CURRENCY",
    "SOURCE",
    "UsageFilter",
    "UsageRecord",
    "UsageStore",
    "unique_request_id",
    "usage_event",
]

SOURCE = "model_router"
CURRENCY = "USD"
_STATUS_EVENT = {
    "succeeded": usage_events_pb2.USAGE_STATUS_SUCCEEDED,
    "failed": usage_events_pb2.USAGE_STATUS_FAILED,
    "cancelled": usage_events_pb2.USAGE_STATUS_CANCELLED,
}
_KIND_EVENT = {
    "chat.completions": usage_events_pb2.USAGE_KIND_CHAT,
    "embeddings": usage_events_pb2.USAGE_KIND_EMBEDDING,
}


def unique_request_id(request_id: str) -> str:
    """An id of its own for a later call that came with an id already taken (see metering)."""
    return f"{request_id}.{uuid.uuid4().hex[:8]}"


@dataclass
class UsageRecord:
    """What one request did; ``status`` is "succeeded", "failed" or "cancelled"."""

    request_id: str
    endpoint: str
    model: str
    tenant_id: str = ""
    user_id: str = ""
    api_key_id: str = ""
    upstream_model: str = ""
    channel_id: str = ""
    routing_rule_id: str = ""
    arm: str = ""
    status: str = "succeeded"
    error_code: str = ""
    error_message: str = ""
    source: str = ""
    conversation_id: str = ""
    generation_id: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost: int = 0
    latency_seconds: float = 0.0
    ttft_seconds: float | None = None
    retries: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    stream: bool = False
    usage_estimated: bool = False
    reservation_id: uuid.UUID | None = None


_EQUALS = ("tenant_id", "user_id", "api_key_id", "model", "channel_id", "status")


@dataclass(frozen=True)
class UsageFilter:
    tenant_id: str = ""
    user_id: str = ""
    api_key_id: str = ""
    model: str = ""
    channel_id: str = ""
    status: str = ""
    start: datetime | None = None
    end: datetime | None = None


def _duration(seconds: float | None) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    if seconds is not None:
        value.FromNanoseconds(int(seconds * 1e9))
    return value


def usage_event(record: UsageRecord) -> usage_events_pb2.UsageRecorded:
    event = usage_events_pb2.UsageRecorded(
        request_id=record.request_id,
        user_id=record.user_id,
        api_key_id=record.api_key_id,
        conversation_id=record.conversation_id,
        generation_id=record.generation_id,
        kind=_KIND_EVENT.get(record.endpoint, usage_events_pb2.USAGE_KIND_UNSPECIFIED),
        model=record.model,
        upstream_model=record.upstream_model,
        channel_id=record.channel_id,
        arm=record.arm,
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        cached_tokens=record.cached_tokens,
        cost_micros=record.cost,
        currency=CURRENCY,
        quota_units=record.cost,
        status=_STATUS_EVENT.get(record.status, usage_events_pb2.USAGE_STATUS_UNSPECIFIED),
        retries=record.retries,
        stream=record.stream,
        error_code=record.error_code,
        estimated=record.usage_estimated,
        source=record.source,
        reasoning_tokens=record.reasoning_tokens,
        routing_rule_id=record.routing_rule_id,
    )
    event.latency.CopyFrom(_duration(record.latency_seconds))
    if record.ttft_seconds is not None:
        event.time_to_first_token.CopyFrom(_duration(record.ttft_seconds))
    return event


class UsageStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], quota: QuotaEngine | None = None) -> None:
        self._sessions = sessions
        self._quota = quota

    async def commit(self, record: UsageRecord, *, settle: bool, touch_reservation: bool = True) -> None:
        """Settle (``settle=True``, charging ``record.cost``) or refund the record's reservation,
        write the record and its event: one transaction. A reservation the
        caller made itself (``touch_reservation=False``) is only referenced: the caller settles it."""
        async with self._sessions() as session, session.begin():
            if touch_reservation and record.reservation_id is not None and self._quota is not None:
                if settle:
                    await self._quota.settle(session, record.reservation_id, record.cost)
                else:
                    await self._quota.refund(session, record.reservation_id, record.error_message[:200])
            await self.write(session, record)

    async def write(self, session: AsyncSession, record: UsageRecord) -> None:
        """Insert the record and its event; a taken request id is renamed (``record.request_id`` changes)."""
        while not await usage_records.insert_record(session, asdict(record)):
            record.request_id = unique_request_id(record.request_id)
        await usage_records.announce(
            session,
            usage_event(record),
            source=SOURCE,
            tenant_id=record.tenant_id,
            subject=record.request_id,
            actor_id=record.user_id or None,
        )

    async def get(self, request_id: str) -> Any:
        async with self._sessions() as session:
            row = await usage_records.get_record(session, request_id)
        if row is None:
            raise NotFound("usage record not found", reason="USAGE_RECORD_NOT_FOUND")
        return row

    async def page(self, where: UsageFilter, offset: int, limit: int) -> list[Any]:
        equals = {name: getattr(where, name) for name in _EQUALS}
        async with self._sessions() as session:
            return await usage_records.page_records(session, equals, where.start, where.end, offset, limit)
