"""Live windows: the per-second counters of a scope summed over a sliding window.

Seconds are whole epoch seconds; the window ends at the last complete second, so two
consecutive updates differ by what happened in between, not by a half-filled second.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from analytics.domain import sketch
from analytics.domain.metrics import Counters
from analytics.store.live import LiveCounters

__all__ = ["LiveWindow", "read_window"]

QUANTILES = (0.5, 0.9, 0.95, 0.99)


@dataclass(frozen=True)
class LiveWindow:
    end_second: int
    seconds: int
    counters: Counters
    latency_ms: list[float]
    ttft_ms: list[float]
    top_models: list[tuple[str, Counters]]

    @property
    def requests_per_second(self) -> float:
        return self.counters.requests / self.seconds

    @property
    def tokens_per_second(self) -> float:
        return self.counters.total_tokens / self.seconds


def _sketch(fields: Counter[str], prefix: str) -> list[int]:
    found = {int(name[len(prefix) :]): count for name, count in fields.items() if name.startswith(prefix)}
    values = [0] * (max(found) + 1 if found else 0)
    for index, count in found.items():
        values[index] = count
    return values


def _models(fields: Counter[str]) -> dict[str, Counter[str]]:
    models: dict[str, Counter[str]] = {}
    for name, count in fields.items():
        if name.startswith("m:"):
            model, _, measure = name[2:].rpartition(":")
            models.setdefault(model, Counter())[measure] += count
    return models


def _model_counters(measures: Counter[str]) -> Counters:
    return Counters(
        requests=measures["r"],
        failed_requests=measures["f"],
        prompt_tokens=measures["pt"],
        completion_tokens=measures["ct"],
        cost=measures["cost"],
    )


async def read_window(
    live: LiveCounters,
    scope: str,
    seconds: int,
    *,
    model: str = "",
    top_n: int = 10,
    now: float | None = None,
) -> LiveWindow:
    end = int(now if now is not None else time.time()) - 1
    fields = await live.window(scope, end - seconds + 1, end)
    models = _models(fields)
    if model:
        counters = _model_counters(models.get(model, Counter()))
    else:
        counters = Counters(
            requests=fields["r"],
            failed_requests=fields["f"],
            cancelled_requests=fields["c"],
            prompt_tokens=fields["pt"],
            completion_tokens=fields["ct"],
            cost=fields["cost"],
            latency_ms_sum=float(fields["ls"]),
        )
    ranked = sorted(models.items(), key=lambda item: (-item[1]["r"], item[0]))[:top_n]
    return LiveWindow(
        end_second=end + 1,
        seconds=seconds,
        counters=counters,
        latency_ms=sketch.percentiles(_sketch(fields, "lh:"), QUANTILES),
        ttft_ms=sketch.percentiles(_sketch(fields, "th:"), QUANTILES),
        top_models=[(name, _model_counters(measures)) for name, measures in ranked],
    )
