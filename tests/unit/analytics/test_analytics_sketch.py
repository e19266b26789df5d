"""Latency sketches: merging is addition, percentiles stay within the bucket's relative error."""

from __future__ import annotations

import math
import random

import pytest

from analytics.domain import sketch

RELATIVE_ERROR = math.sqrt(sketch.GAMMA) - 1


def _sketch_of(values: list[float]) -> list[int]:
    return sketch.merge(sketch.one_hot(v) for v in values)


def _exact(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(quantile * len(ordered)) - 1]


@pytest.mark.parametrize("quantile", [0.5, 0.9, 0.95, 0.99])
def test_percentiles_within_relative_error_of_exact(quantile: float) -> None:
    rng = random.Random(11)
    values = [rng.lognormvariate(5.5, 1.0) + 1 for _ in range(20_000)]  # ~250 ms median, long tail
    estimate = sketch.percentile(_sketch_of(values), quantile)
    exact = _exact(values, quantile)
    assert abs(estimate - exact) <= exact * (RELATIVE_ERROR + 1e-9) + 1e-9


def test_merging_parts_equals_the_sketch_of_the_whole() -> None:
    rng = random.Random(3)
    values = [rng.uniform(0.1, 120_000) for _ in range(3_000)]
    parts = [_sketch_of(values[i::7]) for i in range(7)]
    whole = _sketch_of(values)
    assert sketch.merge(parts) == whole
    assert sketch.merge(reversed(parts)) == whole
    for q in (0.5, 0.99):
        assert sketch.percentile(sketch.merge(parts), q) == sketch.percentile(whole, q)


def test_bucket_edges() -> None:
    assert sketch.bucket_of(0.0) == 0 and sketch.bucket_of(0.99) == 0
    assert sketch.bucket_of(1.0) == 1
    assert sketch.bucket_of(1e12) == sketch.BUCKETS - 1
    for ms in (1.0, 7.3, 250.0, 9_999.0):
        index = sketch.bucket_of(ms)
        assert sketch.GAMMA ** (index - 1) <= ms < sketch.GAMMA**index


def test_empty_and_ragged_sketches() -> None:
    assert sketch.percentile([], 0.5) == 0.0
    assert sketch.percentile(None, 0.99) == 0.0
    assert sketch.merge([[1], None, [0, 0, 2], []]) == [1, 0, 2]
    with pytest.raises(ValueError):
        sketch.percentile([1], 0.0)
