"""A channel as routing sees it: enabled, with decrypted keys, immutable.

The registry builds these from the store; selection and the relay read them
without touching the database, so a snapshot can be shared by every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ABILITY_NAMES",
    "ChannelKey",
    "ModelAbility",
    "RoutableChannel",
    "model_matches",
]

ABILITY_NAMES = ("streaming", "tools", "vision", "audio", "embeddings", "reasoning")


def model_matches(pattern: str, model: str) -> bool:
    """Exact name, ``*`` (everything) or a ``prefix*`` pattern; nothing else is a wildcard."""
    if pattern.endswith("*"):
        return model.startswith(pattern[:-1])
    return pattern == model


@dataclass(frozen=True)
class ModelAbility:
    """What one model (or pattern) can do on a channel; ``None`` means unknown, treated as able."""

    pattern: str
    streaming: bool | None = None
    tools: bool | None = None
    vision: bool | None = None
    audio: bool | None = None
    embeddings: bool | None = None
    reasoning: bool | None = None
    max_context_tokens: int | None = None
    max_output_tokens: int | None = None

    def flag(self, ability: str) -> bool | None:
        value: bool | None = getattr(self, ability)
        return value


@dataclass(frozen=True)
class ChannelKey:
    """One decrypted upstream key; ``secret`` never leaves the process."""

    id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class RoutableChannel:
    """An enabled channel with its usable keys, ready for selection and the relay."""

    id: str
    name: str
    type: str
    base_url: str
    models: tuple[str, ...]
    groups: frozenset[str] = frozenset({"default"})
    model_mapping: Mapping[str, str] = field(default_factory=dict)
    priority: int = 0
    weight: int = 1
    abilities: tuple[ModelAbility, ...] = ()
    keys: tuple[ChannelKey, ...] = ()
    settings: Mapping[str, object] = field(default_factory=dict)
    timeout_seconds: float | None = None
    test_model: str | None = None
    created: int = 0  # unix seconds the channel was created
    key_selection: str = "random"  # or "round_robin": how the relay rotates keys

    def serves(self, model: str) -> bool:
        """Served when listed (exact or pattern) or when a model_mapping entry names it."""
        return model in self.model_mapping or any(model_matches(p, model) for p in self.models)

    def upstream_model(self, model: str) -> str:
        """The name sent upstream for what the caller asked for."""
        return self.model_mapping.get(model, model)

    def ability_for(self, model: str) -> ModelAbility | None:
        """The first abilities entry whose pattern matches, exact entries before patterns."""
        exact = [a for a in self.abilities if a.pattern == model]
        if exact:
            return exact[0]
        for ability in self.abilities:
            if model_matches(ability.pattern, model):
                return ability
        return None

    def supports(self, model: str, abilities: frozenset[str]) -> bool:
        """False only when an abilities entry says the model explicitly lacks one asked for."""
        if not abilities:
            return True
        entry = self.ability_for(model)
        if entry is None:
            return True
        return all(entry.flag(name) is not False for name in abilities)
