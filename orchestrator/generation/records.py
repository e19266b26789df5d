"""Conversions between the generations table's rows and the Generation / GenerationUsage messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from chatmesh.orchestrator.v1 import generation_pb2
from google.protobuf import duration_pb2, json_format, timestamp_pb2

from orchestrator.store.generations import GenerationRow

__all__ = ["to_generation", "tool_calls_json", "usage_from_json", "usage_json"]

_USAGE_FIELDS = tuple(generation_pb2.GenerationUsage.DESCRIPTOR.fields_by_name)


def usage_json(usage: generation_pb2.GenerationUsage) -> dict[str, int]:
    return {name: int(getattr(usage, name)) for name in _USAGE_FIELDS}


def usage_from_json(data: dict[str, Any]) -> generation_pb2.GenerationUsage:
    return generation_pb2.GenerationUsage(**{k: int(v) for k, v in data.items() if k in _USAGE_FIELDS})


def tool_calls_json(results: Sequence[generation_pb2.ToolCallResult]) -> list[dict[str, Any]]:
    return [json_format.MessageToDict(result, preserving_proto_field_name=True) for result in results]


def _stamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def to_generation(row: GenerationRow, queue_position: int = 0) -> generation_pb2.Generation:
    generation = generation_pb2.Generation(
        id=row.id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        state=row.state,  # type: ignore[arg-type]
        priority=row.priority,  # type: ignore[arg-type]
        model=row.model,
        finish_reason=row.finish_reason,  # type: ignore[arg-type]
        usage=usage_from_json(row.usage),
        queue_position=queue_position,
        error_message=row.error_message,
    )
    for name, value in (
        ("create_time", row.create_time),
        ("start_time", row.start_time),
        ("end_time", row.end_time),
    ):
        stamp = _stamp(value)
        if stamp is not None:
            getattr(generation, name).CopyFrom(stamp)
    for name, millis in (("time_to_first_token", row.ttft_ms), ("latency", row.latency_ms)):
        if millis is not None:
            getattr(generation, name).CopyFrom(
                duration_pb2.Duration(nanos=(millis % 1000) * 1_000_000, seconds=millis // 1000)
            )
    for call in row.tool_calls:
        json_format.ParseDict(call, generation.tool_calls.add(), ignore_unknown_fields=True)
    return generation
