"""Stored channel rows as domain values (and abilities to and from their JSONB form).

Abilities are stored as ``{"<model or pattern>": {"streaming": true, "max_context_tokens": 128000}}``;
absent keys mean unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from model_router.domain.channels import ChannelKey, ModelAbility, RoutableChannel

__all__ = ["abilities_from_json", "abilities_to_json", "routable_channel"]

_FLAGS = ("streaming", "tools", "vision", "audio", "embeddings", "reasoning")
_LIMITS = ("max_context_tokens", "max_output_tokens")


def abilities_from_json(data: Mapping[str, Any] | None) -> tuple[ModelAbility, ...]:
    result = []
    for pattern, values in (data or {}).items():
        fields = {k: values[k] for k in (*_FLAGS, *_LIMITS) if isinstance(values, Mapping) and k in values}
        result.append(ModelAbility(pattern=pattern, **fields))
    return tuple(result)


def abilities_to_json(abilities: Sequence[ModelAbility]) -> dict[str, dict[str, Any]]:
    return {
        a.pattern: {k: getattr(a, k) for k in (*_FLAGS, *_LIMITS) if getattr(a, k) is not None}
        for a in abilities
    }


def routable_channel(row: Mapping[str, Any], keys: tuple[ChannelKey, ...]) -> RoutableChannel:
    return RoutableChannel(
        id=str(row["id"]),
        name=row["name"],
        type=row["type"],
        base_url=row["base_url"],
        models=tuple(row["models"] or ()),
        groups=frozenset(row["groups"] or ("default",)),
        model_mapping=dict(row["model_mapping"] or {}),
        priority=int(row["priority"]),
        weight=int(row["weight"]),
        abilities=abilities_from_json(row["abilities"]),
        keys=keys,
        test_model=row["test_model"],
        timeout_seconds=None if row.get("timeout_ms") is None else row["timeout_ms"] / 1000,
        settings=dict(row.get("settings") or {}),
        created=int(row["created_at"].timestamp()) if row.get("created_at") else 0,
        key_selection=row.get("key_selection") or "random",
    )
