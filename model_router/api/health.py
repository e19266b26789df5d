"""Channel health RPCs: TestChannel (send the test request now) and ListChannelHealthEvents.

TestChannel needs ``channels:update`` (it spends upstream quota and may change the
channel: a success recovers an auto-disabled channel and closes an open breaker; a
failure alone never disables — that takes a sustained outage). Its result is kept as the
channel's last test. The history is ``channels:read``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.model_router.v1 import channels_pb2
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from mesh.authz import require
from mesh.errors import FieldViolation, InvalidArgument, NotFound
from mesh.paging import decode_offset, encode_offset, page_size
from model_router.api.channel_messages import (
    CIRCUIT_TO_PROTO,
    STATUS_TO_PROTO,
    channel_message,
    decorate_channel,
)
from model_router.api.channels import READ_PERMISSION, UPDATE_PERMISSION
from model_router.health.tester import TestOutcome
from model_router.store import channels as channel_store
from model_router.store import health as health_store

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["HealthApi", "event_message"]

_SOURCE_TO_PROTO = {
    "probe": channels_pb2.HEALTH_EVENT_SOURCE_PROBE,
    "traffic": channels_pb2.HEALTH_EVENT_SOURCE_TRAFFIC,
    "manual": channels_pb2.HEALTH_EVENT_SOURCE_MANUAL,
    "keys": channels_pb2.HEALTH_EVENT_SOURCE_KEYS,
}


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(f"bad {field}", [FieldViolation(field, "not a valid id")]) from None


def _not_found(channel_id: uuid.UUID) -> NotFound:
    return NotFound("channel not found", reason="CHANNEL_NOT_FOUND", metadata={"channel_id": str(channel_id)})


def _duration(seconds: float) -> Duration:
    duration = Duration()
    duration.FromNanoseconds(round(seconds * 1e9))
    return duration


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def event_message(row: Mapping[str, Any]) -> channels_pb2.ChannelHealthEvent:
    return channels_pb2.ChannelHealthEvent(
        id=str(row["id"]),
        channel_id=str(row["channel_id"]),
        from_status=STATUS_TO_PROTO.get(row["from_status"], channels_pb2.CHANNEL_STATUS_UNSPECIFIED),
        to_status=STATUS_TO_PROTO.get(row["to_status"], channels_pb2.CHANNEL_STATUS_UNSPECIFIED),
        from_circuit_state=CIRCUIT_TO_PROTO.get(row["from_circuit"], channels_pb2.CIRCUIT_STATE_UNSPECIFIED),
        to_circuit_state=CIRCUIT_TO_PROTO.get(row["to_circuit"], channels_pb2.CIRCUIT_STATE_UNSPECIFIED),
        source=_SOURCE_TO_PROTO.get(row["source"], channels_pb2.HEALTH_EVENT_SOURCE_UNSPECIFIED),
        reason=row["reason"],
        http_status=row["http_status"],
        actor_user_id=row["actor_user_id"],
        event_time=_timestamp(row["created_at"]),
    )


def _test_response(outcome: TestOutcome, channel: channels_pb2.Channel) -> channels_pb2.TestChannelResponse:
    response = channels_pb2.TestChannelResponse(
        success=outcome.success,
        model=outcome.model,
        key_id=outcome.key_id,
        latency=_duration(outcome.seconds),
        http_status=outcome.http_status,
        error_message=outcome.error,
        channel=channel,
    )
    if outcome.ttft_seconds is not None:
        response.time_to_first_token.CopyFrom(_duration(outcome.ttft_seconds))
    if outcome.usage is not None:
        response.usage.CopyFrom(outcome.usage)
    return response


class HealthApi:
    deps: ModelRouterDeps

    async def _tested_channel(self, channel_id: uuid.UUID) -> channels_pb2.Channel:
        """The channel after its test, as GetChannel shows it."""
        async with self.deps.engine.connect() as conn:
            row = await channel_store.get_channel(conn, channel_id)
            if row is None:
                raise _not_found(channel_id)
            counts = await channel_store.key_counts(conn, [channel_id])
            last_test = await health_store.last_test(conn, channel_id)
        message = channel_message(row, counts.get(channel_id, (0, 0)))
        return decorate_channel(message, self.deps.channels.health.circuit(str(channel_id)), last_test)

    async def TestChannel(
        self, request: channels_pb2.TestChannelRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.TestChannelResponse:
        await require(UPDATE_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        key_id = _uuid(request.key_id, "key_id") if request.key_id else None
        registry = self.deps.channels
        async with self.deps.engine.connect() as conn:
            row, keys = await health_store.channel_with_keys(conn, channel_id, key_id)
        if row is None:
            raise _not_found(channel_id)
        if key_id is not None and not keys:
            raise NotFound("key not found", reason="CHANNEL_KEY_NOT_FOUND", metadata={"key_id": str(key_id)})
        (channel,) = registry.build([row], keys)
        key = channel.keys[0] if key_id is not None and channel.keys else None
        outcome = await registry.tester.test(channel, model=request.model, key=key, stream=request.stream)
        await registry.monitor.record(channel.id, outcome)
        if outcome.success:
            if row["status"] == "auto_disabled":
                await registry.monitor.recover(channel.id, "channel test succeeded")
            else:
                registry.health.probe_succeeded(channel.id)
                await registry.monitor.flush()
        return _test_response(outcome, await self._tested_channel(channel_id))

    async def ListChannelHealthEvents(
        self, request: channels_pb2.ListChannelHealthEventsRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.ListChannelHealthEventsResponse:
        await require(READ_PERMISSION)
        channel_id = None if request.channel_id in ("", "-") else _uuid(request.channel_id, "channel_id")
        limit = page_size(request.page_size, 50, 1000)
        offset = decode_offset(request.page_token)
        start = request.start_time.ToDatetime(tzinfo=UTC) if request.HasField("start_time") else None
        end = request.end_time.ToDatetime(tzinfo=UTC) if request.HasField("end_time") else None
        async with self.deps.engine.connect() as conn:
            rows = await health_store.list_events(
                conn, channel_id, start=start, end=end, offset=offset, limit=limit + 1
            )
        token = encode_offset(offset + limit) if len(rows) > limit else ""
        return channels_pb2.ListChannelHealthEventsResponse(
            events=[event_message(r) for r in rows[:limit]], next_page_token=token
        )
