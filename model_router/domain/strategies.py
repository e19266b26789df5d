"""How one channel is chosen among the candidates of a priority tier.

- ``weighted_random`` (default): a draw proportional to weight, by bisection over
  cumulative weights — O(log n).
- ``round_robin``: smooth weighted round-robin. Successive picks walk a golden-ratio
  (Weyl) sequence over the cumulative weights, so each channel gets its weight's share
  in an interleaved order (no bursts of one channel), deterministically, in O(log n) —
  nginx's smooth WRR gives the same shares but costs O(n) per pick.
- ``least_in_flight`` / ``lowest_latency``: the channel with the fewest requests in
  flight on this instance / the lowest EWMA time to first token (streams) or latency
  (others). Tiers of up to :data:`SCAN_LIMIT` channels are scanned (ties broken by
  weight); bigger tiers use "power of two choices" — two weighted draws, the better one
  wins — which keeps selection O(log n) with 10,000 channels and avoids herding every
  request onto the single best channel. A channel with no samples yet counts as fastest,
  so new channels get measured.

Weight-0 channels are picked only when no weighted channel is left.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Protocol

from model_router.domain.channels import RoutableChannel

__all__ = ["SCAN_LIMIT", "STRATEGIES", "HealthView", "choose"]

STRATEGIES = ("weighted_random", "round_robin", "least_in_flight", "lowest_latency")
SCAN_LIMIT = 16
_GOLDEN = 0.6180339887498949


class HealthView(Protocol):
    """What selection reads of live channel health (model_router.health.ChannelHealth)."""

    @property
    def unavailable(self) -> AbstractSet[str]:
        """Channels whose breaker is not closed."""
        ...

    def admit(self, channel_id: str) -> bool: ...

    def force(self, channel_id: str) -> None: ...

    def in_flight(self, channel_id: str) -> int: ...

    def latency(self, channel_id: str, stream: bool) -> float: ...


def _draw(channels: Sequence[RoutableChannel], cumulative: Sequence[int], u: float) -> RoutableChannel:
    return channels[bisect.bisect_right(cumulative, u * cumulative[-1])]


def _score(strategy: str, health: HealthView, channel: RoutableChannel, stream: bool) -> float:
    if strategy == "least_in_flight":
        return health.in_flight(channel.id)
    return health.latency(channel.id, stream)


def choose(
    strategy: str,
    channels: Sequence[RoutableChannel],
    cumulative: Sequence[int],
    rng: random.Random,
    *,
    health: HealthView | None = None,
    stream: bool = False,
    turn: list[int] | None = None,
) -> RoutableChannel:
    """One of ``channels`` (non-empty; ``cumulative`` their running weight totals)."""
    if cumulative[-1] <= 0:
        return rng.choice(channels)
    if strategy == "round_robin" and turn is not None:
        turn[0] += 1
        return _draw(channels, cumulative, (turn[0] * _GOLDEN) % 1.0)
    if health is None or strategy not in ("least_in_flight", "lowest_latency"):
        return _draw(channels, cumulative, rng.random())
    if len(channels) > SCAN_LIMIT:
        first = _draw(channels, cumulative, rng.random())
        second = _draw(channels, cumulative, rng.random())
        better = _score(strategy, health, first, stream) <= _score(strategy, health, second, stream)
        return first if better else second
    weighted = [c for c in channels if c.weight > 0]
    scores = [_score(strategy, health, c, stream) for c in weighted]
    best = min(scores)
    ties = [c for c, s in zip(weighted, scores, strict=True) if s == best]
    if len(ties) == 1:
        return ties[0]
    return rng.choices(ties, weights=[c.weight for c in ties])[0]
