"""Channel protobufs to domain drafts and stored rows back to protobufs.

Keys never travel outward: a channel message carries only key counts and a key
message only a masked hint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from chatmesh.model_router.v1 import channel_keys_pb2, channels_pb2
from google.protobuf import json_format, struct_pb2
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from mesh.errors import FieldViolation, InvalidArgument
from model_router.domain.channel_rules import ChannelDraft, resolve_base_url
from model_router.domain.channels import ModelAbility
from model_router.store.channels import abilities_from_json, abilities_to_json

__all__ = [
    "CIRCUIT_TO_PROTO",
    "STATUS_FROM_PROTO",
    "STATUS_TO_PROTO",
    "apply_update",
    "channel_message",
    "decorate_channel",
    "draft_from_message",
    "draft_from_row",
    "draft_values",
    "etag_of",
    "key_message",
    "update_paths",
]

CIRCUIT_TO_PROTO = {
    "closed": channels_pb2.CIRCUIT_STATE_CLOSED,
    "open": channels_pb2.CIRCUIT_STATE_OPEN,
    "half_open": channels_pb2.CIRCUIT_STATE_HALF_OPEN,
}
STATUS_TO_PROTO = {
    "enabled": channels_pb2.CHANNEL_STATUS_ENABLED,
    "manually_disabled": channels_pb2.CHANNEL_STATUS_MANUALLY_DISABLED,
    "auto_disabled": channels_pb2.CHANNEL_STATUS_AUTO_DISABLED,
}
STATUS_FROM_PROTO = {v: k for k, v in STATUS_TO_PROTO.items()}
KEY_STATUS_TO_PROTO = {
    "active": channel_keys_pb2.CHANNEL_KEY_STATUS_ACTIVE,
    "cooling_down": channel_keys_pb2.CHANNEL_KEY_STATUS_COOLING_DOWN,
    "disabled": channel_keys_pb2.CHANNEL_KEY_STATUS_DISABLED,
}
KEY_STATUS_FROM_PROTO = {v: k for k, v in KEY_STATUS_TO_PROTO.items()}
_KEY_SELECTION_TO_PROTO = {
    "random": channels_pb2.KEY_SELECTION_RANDOM,
    "round_robin": channels_pb2.KEY_SELECTION_ROUND_ROBIN,
}
_KEY_SELECTION_FROM_PROTO = {v: k for k, v in _KEY_SELECTION_TO_PROTO.items()}

# Paths an update may name; "keys" replaces the channel's keys.
WRITABLE_PATHS = frozenset(
    {
        "name",
        "type",
        "base_url",
        "keys",
        "models",
        "model_mapping",
        "groups",
        "priority",
        "weight",
        "abilities",
        "test_model",
        "key_selection",
        "settings",
        "timeout",
        "rpm_limit",
        "tpm_limit",
        "tags",
        "description",
    }
)


def _abilities(messages: Sequence[Any]) -> tuple[ModelAbility, ...]:
    result = []
    for m in messages:
        values = {
            name: getattr(m, name)
            for name in (
                "streaming",
                "tools",
                "vision",
                "audio",
                "embeddings",
                "reasoning",
                "max_context_tokens",
                "max_output_tokens",
            )
            if m.HasField(name)
        }
        result.append(ModelAbility(pattern=m.model, **values))
    return tuple(result)


def _timeout_ms(message: channels_pb2.Channel) -> int | None:
    if not message.HasField("timeout"):
        return None
    return message.timeout.seconds * 1000 + message.timeout.nanos // 1_000_000


def _field_value(message: channels_pb2.Channel, path: str) -> dict[str, Any]:
    """Draft fields carried by one proto field of ``message``."""
    if path == "base_url":
        return {"base_url": message.base_url}
    if path in ("models", "groups", "tags"):
        return {path: tuple(getattr(message, path))}
    if path == "model_mapping":
        return {"model_mapping": dict(message.model_mapping)}
    if path == "abilities":
        return {"abilities": _abilities(message.abilities)}
    if path == "test_model":
        return {"test_model": message.test_model or None}
    if path == "key_selection":
        return {"key_selection": _KEY_SELECTION_FROM_PROTO.get(message.key_selection, "random")}
    if path == "settings":
        return {"settings": json_format.MessageToDict(message.settings)}
    if path == "timeout":
        return {"timeout_ms": _timeout_ms(message)}
    return {path: getattr(message, path)}


def draft_from_message(message: channels_pb2.Channel) -> ChannelDraft:
    """A new channel from a create request; unset groups mean "default", unset base_url the type's default."""
    draft = ChannelDraft(name=message.name.strip(), type=message.type, base_url="")
    for path in WRITABLE_PATHS - {"keys", "name", "type"}:
        draft = replace(draft, **_field_value(message, path))
    if not draft.groups:
        draft = replace(draft, groups=("default",))
    if draft.weight == 0:
        draft = replace(draft, weight=1)  # unset on create; an update may set 0 explicitly
    return replace(draft, base_url=resolve_base_url(draft.type, draft.base_url))


def update_paths(message: channels_pb2.Channel, mask_paths: Sequence[str]) -> list[str]:
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
    present = {f.name for f, _ in message.ListFields()}
    paths = sorted(present & WRITABLE_PATHS)
    if not paths:
        raise InvalidArgument("nothing to update", [FieldViolation("update_mask", "no writable field set")])
    return paths


def apply_update(current: ChannelDraft, message: channels_pb2.Channel, paths: Sequence[str]) -> ChannelDraft:
    draft = current
    for path in paths:
        if path == "keys":
            continue
        value = _field_value(message, path)
        if path == "name":
            value = {"name": message.name.strip()}
        if path == "groups" and not value["groups"]:
            value = {"groups": ("default",)}
        draft = replace(draft, **value)
    if "base_url" in paths or "type" in paths:
        draft = replace(draft, base_url=resolve_base_url(draft.type, draft.base_url))
    return draft


def draft_from_row(row: Mapping[str, Any]) -> ChannelDraft:
    return ChannelDraft(
        name=row["name"],
        type=row["type"],
        base_url=row["base_url"],
        models=tuple(row["models"] or ()),
        model_mapping=dict(row["model_mapping"] or {}),
        groups=tuple(row["groups"] or ("default",)),
        priority=int(row["priority"]),
        weight=int(row["weight"]),
        abilities=abilities_from_json(row["abilities"]),
        test_model=row["test_model"],
        key_selection=row["key_selection"],
        settings=dict(row["settings"] or {}),
        timeout_ms=row["timeout_ms"],
        rpm_limit=int(row["rpm_limit"]),
        tpm_limit=int(row["tpm_limit"]),
        tags=tuple(row["tags"] or ()),
        description=row["description"],
    )


def draft_values(draft: ChannelDraft) -> dict[str, Any]:
    """Column values of a draft, for insert or update."""
    return {
        "name": draft.name,
        "type": draft.type,
        "base_url": draft.base_url,
        "models": list(dict.fromkeys(draft.models)),
        "model_mapping": dict(draft.model_mapping),
        "groups": list(dict.fromkeys(draft.groups)),
        "priority": draft.priority,
        "weight": draft.weight,
        "abilities": abilities_to_json(draft.abilities),
        "test_model": draft.test_model,
        "key_selection": draft.key_selection,
        "settings": dict(draft.settings),
        "timeout_ms": draft.timeout_ms,
        "rpm_limit": draft.rpm_limit,
        "tpm_limit": draft.tpm_limit,
        "tags": list(dict.fromkeys(draft.tags)),
        "description": draft.description,
    }


def etag_of(row: Mapping[str, Any]) -> str:
    """Changes with every write (``updated_at`` is bumped with the clock, not the transaction start)."""
    stamp: datetime = row["updated_at"]
    return f'W/"{int(stamp.timestamp() * 1_000_000):x}"'


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def channel_message(row: Mapping[str, Any], counts: tuple[int, int] = (0, 0)) -> channels_pb2.Channel:
    draft = draft_from_row(row)
    settings = struct_pb2.Struct()
    settings.update(cast(dict[str, Any], dict(draft.settings)))
    message = channels_pb2.Channel(
        id=str(row["id"]),
        name=draft.name,
        type=draft.type,
        base_url=draft.base_url,
        models=draft.models,
        model_mapping=dict(draft.model_mapping),
        groups=draft.groups,
        priority=draft.priority,
        weight=draft.weight,
        status=STATUS_TO_PROTO[row["status"]],
        status_reason=row["status_reason"] or "",
        test_model=draft.test_model or "",
        used_quota=int(row["used_quota"]),
        key_selection=_KEY_SELECTION_TO_PROTO[draft.key_selection],
        key_count=counts[0],
        usable_key_count=counts[1],
        settings=settings,
        rpm_limit=draft.rpm_limit,
        tpm_limit=draft.tpm_limit,
        tags=draft.tags,
        description=draft.description,
        create_time=_timestamp(row["created_at"]),
        update_time=_timestamp(row["updated_at"]),
        etag=etag_of(row),
    )
    if row["balance"] is not None:
        message.balance = int(row["balance"])
    if draft.timeout_ms is not None:
        message.timeout.CopyFrom(
            Duration(seconds=draft.timeout_ms // 1000, nanos=(draft.timeout_ms % 1000) * 1_000_000)
        )
    for ability in draft.abilities:
        entry = message.abilities.add(model=ability.pattern)
        for name, value in abilities_to_json([ability])[ability.pattern].items():
            setattr(entry, name, value)
    return message


def decorate_channel(
    message: channels_pb2.Channel, circuit: str, last_test: Mapping[str, Any] | None
) -> channels_pb2.Channel:
    """Fill the output-only health fields: circuit state (this instance's view) and the last test."""
    message.circuit_state = CIRCUIT_TO_PROTO.get(circuit, channels_pb2.CIRCUIT_STATE_UNSPECIFIED)
    if last_test is not None:
        tested = _timestamp(last_test["tested_at"])
        if tested is not None:
            message.last_test_time.CopyFrom(tested)
        latency_ms = int(last_test["latency_ms"])
        message.last_test_latency.CopyFrom(
            Duration(seconds=latency_ms // 1000, nanos=(latency_ms % 1000) * 1_000_000)
        )
    return message


def key_message(row: Mapping[str, Any]) -> channel_keys_pb2.ChannelKey:
    hint = row["key_hint"]
    message = channel_keys_pb2.ChannelKey(
        id=str(row["id"]),
        channel_id=str(row["channel_id"]),
        masked_key=f"...{hint}" if hint else "****",
        status=KEY_STATUS_TO_PROTO.get(row["status"], channel_keys_pb2.CHANNEL_KEY_STATUS_UNSPECIFIED),
        status_reason=row["reason"] or "",
        create_time=_timestamp(row["created_at"]),
    )
    cooldown = _timestamp(row["cooldown_until"])
    if cooldown is not None:
        message.cooldown_until.CopyFrom(cooldown)
    return message
