"""RoutingRule protos ↔ :class:`RuleSpec` values, field-mask updates and etags."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chatmesh.model_router.v1 import routing_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from mesh.errors import FieldViolation, InvalidArgument
from model_router.domain.routing_rules import RouteArmSpec, RuleSpec

__all__ = ["WRITABLE_PATHS", "apply_update", "etag_of", "rule_message", "spec_from_message", "update_paths"]

WRITABLE_PATHS = frozenset(
    {"name", "model_alias", "arms", "sticky", "groups", "enabled", "priority", "description"}
)


def _arms(message: routing_pb2.RoutingRule) -> tuple[RouteArmSpec, ...]:
    return tuple(
        RouteArmSpec(
            name=arm.name.strip(),
            target_model=arm.target_model.strip(),
            percent=arm.percent,
            channel_ids=tuple(dict.fromkeys(arm.channel_ids)),
        )
        for arm in message.arms
    )


def _values(message: routing_pb2.RoutingRule) -> dict[str, Any]:
    return {
        "name": message.name.strip(),
        "model_alias": message.model_alias.strip(),
        "arms": _arms(message),
        "sticky": message.sticky,
        "groups": tuple(dict.fromkeys(g.strip() for g in message.groups)),
        "enabled": message.enabled,
        "priority": message.priority,
        "description": message.description,
    }


def spec_from_message(message: routing_pb2.RoutingRule) -> RuleSpec:
    return RuleSpec(**_values(message))


def update_paths(message: routing_pb2.RoutingRule, mask_paths: Sequence[str]) -> list[str]:
    """The mask's paths, checked; with an empty mask, every writable field set in ``message``."""
    if mask_paths:
        bad = [
            FieldViolation("update_mask", f"{p!r} cannot be updated")
            for p in mask_paths
            if p not in WRITABLE_PATHS
        ]
        if bad:
            raise InvalidArgument("bad update_mask", bad)
        return list(dict.fromkeys(mask_paths))
    paths = sorted({f.name for f, _ in message.ListFields()} & WRITABLE_PATHS)
    if not paths:
        raise InvalidArgument("nothing to update", [FieldViolation("update_mask", "no writable field set")])
    return paths


def apply_update(current: RuleSpec, message: routing_pb2.RoutingRule, paths: Sequence[str]) -> RuleSpec:
    values = _values(message)
    return dataclasses.replace(current, **{p: values[p] for p in paths})


def etag_of(row: Mapping[str, Any]) -> str:
    stamp: datetime = row["updated_at"]
    return f'W/"{int(stamp.timestamp() * 1_000_000):x}"'


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def rule_message(row: Mapping[str, Any], spec: RuleSpec) -> routing_pb2.RoutingRule:
    return routing_pb2.RoutingRule(
        id=spec.id,
        name=spec.name,
        model_alias=spec.model_alias,
        arms=[
            routing_pb2.RouteArm(
                name=a.name, target_model=a.target_model, percent=a.percent, channel_ids=list(a.channel_ids)
            )
            for a in spec.arms
        ],
        sticky=spec.sticky,
        groups=list(spec.groups),
        enabled=spec.enabled,
        priority=spec.priority,
        description=spec.description,
        create_time=_timestamp(row["created_at"]),
        update_time=_timestamp(row["updated_at"]),
        etag=etag_of(row),
    )
