"""Reciprocal Rank Fusion: several rankings of the same items into one.

RRF (Cormack, Clarke and Büttcher, SIGIR 2009) scores an item ``sum(w / (k + rank))`` over
the rankings it appears in. It needs no score calibration between a cosine similarity and
a full-text rank, which is why it suits hybrid search. Scores are divided by the best
score attainable (first in every ranking) so a threshold reads the same for any weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Fused", "Ranking", "rrf"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Ranking(Generic[K]):
    """Item keys best first, and the weight of this ranking in the fusion."""

    keys: Sequence[K]
    weight: float = 1.0


@dataclass(frozen=True)
class Fused(Generic[K]):
    key: K
    score: float  # 0..1: 1 is first in every ranking with positive weight
    ranks: tuple[int | None, ...]  # 1-based rank in each ranking, None where absent


def rrf(rankings: Sequence[Ranking[K]], k: int = 60) -> list[Fused[K]]:
    """Fused order, best first; ties keep the order of first appearance."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if any(r.weight < 0 for r in rankings):
        raise ValueError("weights must not be negative")
    best = sum(r.weight for r in rankings) / (k + 1)
    scores: dict[K, float] = {}
    ranks: dict[K, list[int | None]] = {}
    for position, ranking in enumerate(rankings):
        seen: set[K] = set()
        for rank, key in enumerate(ranking.keys, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + ranking.weight / (k + rank)
            ranks.setdefault(key, [None] * len(rankings))[position] = rank
    order = sorted(scores, key=lambda key: -scores[key])
    return [Fused(key, scores[key] / best if best > 0 else 0.0, tuple(ranks[key])) for key in order]
