"""Folding requests into rollup rows: one row per bucket and dimension key, counters summed.

Pre-aggregating a batch before it reaches Postgres means one upsert per distinct row
(a multi-row ``INSERT ... ON CONFLICT DO UPDATE`` may not touch a row twice), and adding is
commutative, so the order in which events arrive never changes a rollup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from analytics.domain import sketch
from analytics.domain.facts import CUBES, DIMENSIONS, UsageFact
from analytics.domain.timeranges import truncate

__all__ = ["SKETCHES", "SUMMED", "RollupRow", "fold"]

_UTC = ZoneInfo("UTC")


@dataclass
class RollupRow:
    bucket_start: datetime
    cube: int
    key: tuple[str, ...]
    requests: int = 0
    failed_requests: int = 0
    cancelled_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost: int = 0
    latency_ms_sum: float = 0.0
    ttft_count: int = 0
    latency_hist: list[int] = field(default_factory=list)
    ttft_hist: list[int] = field(default_factory=list)

    def add(self, fact: UsageFact) -> None:
        self.requests += 1
        self.failed_requests += fact.status == "failed"
        self.cancelled_requests += fact.status == "cancelled"
        self.prompt_tokens += fact.prompt_tokens
        self.completion_tokens += fact.completion_tokens
        self.cached_tokens += fact.cached_tokens
        self.reasoning_tokens += fact.reasoning_tokens
        self.cost += fact.cost
        self.latency_ms_sum += fact.latency_ms
        self.latency_hist = sketch.merge([self.latency_hist, sketch.one_hot(fact.latency_ms)])
        if fact.ttft_ms is not None:
            self.ttft_count += 1
            self.ttft_hist = sketch.merge([self.ttft_hist, sketch.one_hot(fact.ttft_ms)])

    def values(self) -> dict[str, object]:
        row: dict[str, object] = {"bucket_start": self.bucket_start, "cube": self.cube}
        row.update(zip(DIMENSIONS, self.key, strict=True))
        row.update({name: getattr(self, name) for name in SUMMED + SKETCHES})
        return row


# Rollup columns that add up, and the sketches (merged by adding bucket counts).
SUMMED = (
    "requests",
    "failed_requests",
    "cancelled_requests",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost",
    "latency_ms_sum",
    "ttft_count",
)
SKETCHES = ("latency_hist", "ttft_hist")


def fold(facts: Iterable[UsageFact], tier: str) -> list[RollupRow]:
    """The rollup rows of ``facts`` in ``tier`` ("minute", "hour", "day"), every cube, sorted by key.

    Sorted so that concurrent consumers lock rows in the same order and cannot deadlock.
    """
    rows: dict[tuple[datetime, int, tuple[str, ...]], RollupRow] = {}
    for fact in facts:
        bucket = truncate(fact.occurred_at.astimezone(UTC), tier, _UTC)
        full = fact.key()
        for cube, kept in CUBES.items():
            key = tuple(full[name] if name in kept else "" for name in DIMENSIONS)
            row = rows.get((bucket, cube, key))
            if row is None:
                row = rows[(bucket, cube, key)] = RollupRow(bucket, cube, key)
            row.add(fact)
    return [rows[k] for k in sorted(rows)]
