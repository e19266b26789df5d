"""Choosing a channel for one attempt: filter (group, model, abilities, health), priority tiers, strategy.

Filtering by group and model is precomputed per registry snapshot (:class:`ChannelIndex`),
so a selection costs a dictionary lookup and a draw within a tier (bisection over
cumulative weights), not a scan of every channel: with 10,000 channels it stays far
below a millisecond (bench/bench_model_router_selection.py). Failover passes the ids
already tried in ``exclude``; when a tier is exhausted the next lower one is used.

Health: channels whose circuit breaker is not closed (``HealthView.unavailable``,
usually empty) are skipped, except for the one trial request a half-open breaker
admits. Exclusions and unhealthy channels are handled by redrawing a few times and then
filtering the tier, so the common case stays a single draw. When every candidate in
every tier is unavailable, one of them gets a trial request anyway rather than failing
the caller. The strategy within a tier is pluggable (model_router.domain.strategies).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from model_router.domain.channels import RoutableChannel
from model_router.domain.strategies import HealthView, choose

__all__ = ["ChannelIndex", "SelectionRequest", "Tier", "select_channel", "weighted_pick"]

DEFAULT_GROUP = "default"
_CACHE_LIMIT = 4096
_REDRAWS = 4


@dataclass(frozen=True)
class SelectionRequest:
    """What one attempt needs: a model, the caller's group, abilities, and channels already tried."""

    model: str
    group: str = DEFAULT_GROUP
    abilities: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    stream: bool = False  # rank by time to first token rather than latency (lowest_latency)


@dataclass(frozen=True)
class Tier:
    """Channels of one priority, with cumulative weights for a weighted draw by bisection."""

    priority: int
    channels: tuple[RoutableChannel, ...]
    cumulative: tuple[int, ...]
    turn: list[int] = field(default_factory=lambda: [0], compare=False, hash=False)  # round_robin

    @classmethod
    def of(cls, priority: int, channels: Sequence[RoutableChannel]) -> Tier:
        return cls(priority, tuple(channels), tuple(itertools.accumulate(max(c.weight, 0) for c in channels)))

    def pick(
        self,
        request: SelectionRequest,
        rng: random.Random,
        health: HealthView | None = None,
        strategy: str = "weighted_random",
    ) -> RoutableChannel | None:
        """A channel of this tier not excluded and admitted by health; None when there is none."""
        exclude = request.exclude
        blocked = health.unavailable if health is not None else frozenset()

        def draw(channels: Sequence[RoutableChannel], cumulative: Sequence[int]) -> RoutableChannel:
            return choose(
                strategy, channels, cumulative, rng, health=health, stream=request.stream, turn=self.turn
            )

        if not exclude and not blocked:
            return draw(self.channels, self.cumulative)
        for _ in range(_REDRAWS):
            chosen = draw(self.channels, self.cumulative)
            if chosen.id in exclude:
                continue
            if chosen.id not in blocked or (health is not None and health.admit(chosen.id)):
                return chosen
        healthy = [c for c in self.channels if c.id not in exclude and c.id not in blocked]
        if healthy:
            cumulative = tuple(itertools.accumulate(max(c.weight, 0) for c in healthy))
            return draw(healthy, cumulative)
        for channel in self.channels:
            if channel.id not in exclude and health is not None and health.admit(channel.id):
                return channel
        return None


def weighted_pick(channels: Sequence[RoutableChannel], rng: random.Random) -> RoutableChannel | None:
    """A channel drawn by weight (all alike when no weight is positive); None from no channels."""
    if not channels:
        return None
    weighted = [c for c in channels if c.weight > 0]
    if not weighted:
        return rng.choice(channels)
    return rng.choices(weighted, weights=[c.weight for c in weighted])[0]


def _tiers(channels: Iterable[RoutableChannel]) -> tuple[Tier, ...]:
    by_priority: dict[int, list[RoutableChannel]] = {}
    for channel in channels:
        by_priority.setdefault(channel.priority, []).append(channel)
    return tuple(Tier.of(p, by_priority[p]) for p in sorted(by_priority, reverse=True))


class ChannelIndex:
    """Channels of one registry snapshot, indexed by group and model name.

    Exact names and model_mapping keys go into a dictionary; patterns (``prefix*``)
    are grouped by prefix. Resolved tiers are memoised per (group, model, abilities)
    for the life of the snapshot.
    """

    def __init__(self, channels: Sequence[RoutableChannel]) -> None:
        self.channels: tuple[RoutableChannel, ...] = tuple(channels)
        self._exact: dict[str, dict[str, list[RoutableChannel]]] = {}
        self._prefixes: dict[str, dict[str, list[RoutableChannel]]] = {}
        for channel in self.channels:
            for group in channel.groups or frozenset({DEFAULT_GROUP}):
                exact = self._exact.setdefault(group, {})
                prefixes = self._prefixes.setdefault(group, {})
                names = {p for p in channel.models if not p.endswith("*")} | set(channel.model_mapping)
                for name in names:
                    exact.setdefault(name, []).append(channel)
                for pattern in {p for p in channel.models if p.endswith("*")}:
                    prefixes.setdefault(pattern[:-1], []).append(channel)
        self._memo: dict[tuple[str, str, frozenset[str]], tuple[Tier, ...]] = {}

    def tiers(self, group: str, model: str, abilities: frozenset[str] = frozenset()) -> tuple[Tier, ...]:
        """Priority tiers (highest first) of channels in ``group`` serving ``model`` with ``abilities``."""
        key = (group, model, abilities)
        found = self._memo.get(key)
        if found is None:
            found = _tiers(c for c in self._candidates(group, model) if c.supports(model, abilities))
            if len(self._memo) >= _CACHE_LIMIT:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _candidates(self, group: str, model: str) -> list[RoutableChannel]:
        seen: dict[str, RoutableChannel] = {}
        for channel in self._exact.get(group, {}).get(model, ()):
            seen[channel.id] = channel
        for prefix, channels in self._prefixes.get(group, {}).items():
            if model.startswith(prefix):
                for channel in channels:
                    seen.setdefault(channel.id, channel)
        return sorted(seen.values(), key=lambda c: c.id)

    def models(self, group: str) -> set[str]:
        """Concrete model names (and mapping aliases) callers of ``group`` may ask for."""
        return set(self._exact.get(group, {}))


def select_channel(
    index: ChannelIndex,
    request: SelectionRequest,
    rng: random.Random | None = None,
    health: HealthView | None = None,
    strategy: str = "weighted_random",
) -> RoutableChannel | None:
    """The channel for the next attempt, or None when every candidate was tried (or none serves)."""
    draw_rng = rng or random.Random()
    tiers = index.tiers(request.group, request.model, request.abilities)
    for tier in tiers:
        chosen = tier.pick(request, draw_rng, health, strategy)
        if chosen is not None:
            return chosen
    if health is not None and health.unavailable:
        for tier in tiers:
            left = [c for c in tier.channels if c.id not in request.exclude]
            forced = weighted_pick(left, draw_rng)
            if forced is not None:
                health.force(forced.id)
                return forced
    return None
