"""The models callers may ask for, derived from the enabled channels of their group.

Only concrete names (exact entries and model_mapping aliases) are listed; a pattern
such as ``gpt-4*`` serves whatever matches but names no model to list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from model_router.domain.channels import ABILITY_NAMES, ModelAbility, RoutableChannel
from model_router.domain.selection import ChannelIndex

__all__ = ["CatalogModel", "catalog_model", "list_catalog"]


@dataclass(frozen=True)
class CatalogModel:
    id: str
    created: int
    owned_by: str
    abilities: ModelAbility


def _union(model: str, channels: Sequence[RoutableChannel]) -> ModelAbility:
    """An ability is on when any serving channel has it, off when all say no, unknown otherwise."""
    entries = [c.ability_for(model) for c in channels]
    known = [e for e in entries if e is not None]
    flags: dict[str, bool] = {}
    for name in ABILITY_NAMES:
        values = [e.flag(name) for e in known]
        if any(v is True for v in values):
            flags[name] = True
        elif known and len(known) == len(entries) and all(v is False for v in values):
            flags[name] = False
    contexts = [e.max_context_tokens for e in known if e.max_context_tokens is not None]
    outputs = [e.max_output_tokens for e in known if e.max_output_tokens is not None]
    return ModelAbility(
        pattern=model,
        **flags,
        max_context_tokens=max(contexts) if contexts else None,
        max_output_tokens=max(outputs) if outputs else None,
    )


def catalog_model(index: ChannelIndex, group: str, model: str) -> CatalogModel | None:
    """The model as ``group`` sees it, or None when no enabled channel of the group serves it."""
    tiers = index.tiers(group, model)
    if not tiers:
        return None
    channels = [c for tier in tiers for c in tier.channels]
    return CatalogModel(
        id=model,
        created=min(c.created for c in channels),
        owned_by=tiers[0].channels[0].type,
        abilities=_union(model, channels),
    )


def list_catalog(index: ChannelIndex, group: str, ability: str = "") -> list[CatalogModel]:
    """Every listable model of ``group``, sorted by id, optionally only those with ``ability``."""
    result = []
    for name in sorted(index.models(group)):
        model = catalog_model(index, group, name)
        if model is not None and (not ability or model.abilities.flag(ability) is not False):
            result.append(model)
    return result
