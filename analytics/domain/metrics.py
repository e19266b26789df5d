"""Counters of a set of requests as read back from rollups, with the derived figures."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Counters"]


@dataclass(frozen=True)
class Counters:
    requests: int = 0
    failed_requests: int = 0
    cancelled_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost: int = 0
    latency_ms_sum: float = 0.0
    active_users: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def error_rate(self) -> float:
        return self.failed_requests / self.requests if self.requests else 0.0

    @property
    def average_latency_ms(self) -> float:
        return self.latency_ms_sum / self.requests if self.requests else 0.0
