"""Latency sketches: fixed log-spaced histograms of milliseconds, merged by adding counts.

Why fixed buckets rather than a t-digest: every rollup row, in every tier, uses the same
bucket edges, so merging two sketches is element-wise addition. Postgres does that in SQL
(``analytics.hist_add`` / the ``analytics.hist_sum`` aggregate), so a dashboard merges
thousands of rollup rows without shipping them to Python, and an upsert adds one request's
bucket in place. Edges grow by ``GAMMA``: a percentile read back from the bucket's
geometric middle is off by at most ``sqrt(GAMMA) - 1`` (about 7%) of the true value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = [
    "BUCKETS",
    "GAMMA",
    "bucket_of",
    "bucket_value",
    "merge",
    "one_hot",
    "percentile",
    "percentiles",
]

GAMMA = 1.15
# Bucket 0 holds values under 1 ms; bucket i >= 1 holds [GAMMA**(i-1), GAMMA**i) ms; the last
# bucket also holds everything beyond (GAMMA**99 ms is about 16 minutes).
BUCKETS = 100
_LOG_GAMMA = math.log(GAMMA)


def bucket_of(milliseconds: float) -> int:
    """Index of the bucket ``milliseconds`` falls in."""
    if milliseconds < 1.0:
        return 0
    return min(BUCKETS - 1, 1 + int(math.log(milliseconds) / _LOG_GAMMA))


def bucket_value(index: int) -> float:
    """The representative value of a bucket: the geometric middle of its edges (0 for bucket 0)."""
    if index <= 0:
        return 0.0
    return float(GAMMA ** (index - 0.5))


def one_hot(milliseconds: float) -> list[int]:
    """The sketch of a single observation, trimmed after its bucket (trailing zeros are implied)."""
    sketch = [0] * (bucket_of(milliseconds) + 1)
    sketch[-1] = 1
    return sketch


def merge(sketches: Iterable[Sequence[int] | None]) -> list[int]:
    """Element-wise sum; sketches of different lengths are zero-padded (as hist_add does)."""
    total: list[int] = []
    for sketch in sketches:
        if not sketch:
            continue
        if len(sketch) > len(total):
            total.extend([0] * (len(sketch) - len(total)))
        for index, count in enumerate(sketch):
            total[index] += int(count)
    return total


def percentile(sketch: Sequence[int] | None, quantile: float) -> float:
    """The ``quantile`` (0-1] of the observations in ``sketch``, in ms; 0 for an empty sketch."""
    if not 0.0 < quantile <= 1.0:
        raise ValueError("quantile must be in (0, 1]")
    counts = [int(c or 0) for c in (sketch or ())]
    total = sum(counts)
    if total == 0:
        return 0.0
    rank = math.ceil(quantile * total)
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return bucket_value(index)
    return bucket_value(len(counts) - 1)


def percentiles(sketch: Sequence[int] | None, quantiles: Sequence[float]) -> list[float]:
    return [percentile(sketch, q) for q in quantiles]
