"""Channel selection: filters, priority tiers, weighted random, exclusion for failover."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bench.selection_baseline import select_linear
from model_router.domain.channels import ModelAbility, RoutableChannel, model_matches
from model_router.domain.selection import ChannelIndex, SelectionRequest, select_channel


def ch(cid: str, models: tuple[str, ...] = ("gpt-4o",), **kw: object) -> RoutableChannel:
    return RoutableChannel(id=cid, name=cid, type="openai", base_url="http://x", models=models, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "model", "expected"),
    [
        ("gpt-4o", "gpt-4o", True),
        ("gpt-4o", "gpt-4o-mini", False),
        ("gpt-4*", "gpt-4o-mini", True),
        ("gpt-4*", "gpt-3.5", False),
        ("*", "anything", True),
        ("gpt?4", "gpt-4", False),
    ],
)
def test_model_patterns(pattern: str, model: str, expected: bool) -> None:
    assert model_matches(pattern, model) is expected


def test_filters_by_model_exact_prefix_and_mapping() -> None:
    index = ChannelIndex(
        [
            ch("exact", ("gpt-4o",)),
            ch("prefix", ("claude-*",)),
            ch("mapped", ("qwen-max",), model_mapping={"smart": "qwen-max"}),
        ]
    )
    assert select_channel(index, SelectionRequest("gpt-4o")).id == "exact"  # type: ignore[union-attr]
    assert select_channel(index, SelectionRequest("claude-3-5-sonnet")).id == "prefix"  # type: ignore[union-attr]
    assert select_channel(index, SelectionRequest("smart")).id == "mapped"  # type: ignore[union-attr]
    assert index.channels[2].upstream_model("smart") == "qwen-max"
    assert select_channel(index, SelectionRequest("llama")) is None


def test_filters_by_group() -> None:
    index = ChannelIndex(
        [ch("vip", groups=frozenset({"vip"})), ch("all", groups=frozenset({"default", "vip"}))]
    )
    seen = {select_channel(index, SelectionRequest("gpt-4o", group="default")).id for _ in range(50)}  # type: ignore[union-attr]
    assert seen == {"all"}
    assert select_channel(index, SelectionRequest("gpt-4o", group="nobody")) is None


def test_filters_by_ability_only_when_a_channel_says_no() -> None:
    index = ChannelIndex(
        [
            ch("no-tools", abilities=(ModelAbility("gpt-4*", tools=False),), priority=5),
            ch("unknown", priority=1),
        ]
    )
    assert select_channel(index, SelectionRequest("gpt-4o")).id == "no-tools"  # type: ignore[union-attr]
    assert select_channel(index, SelectionRequest("gpt-4o", abilities=frozenset({"tools"}))).id == "unknown"  # type: ignore[union-attr]


def test_highest_priority_tier_first_then_next_tier_when_exhausted() -> None:
    index = ChannelIndex([ch("low", priority=1), ch("high-a", priority=9), ch("high-b", priority=9)])
    rng = random.Random(1)
    first = {select_channel(index, SelectionRequest("gpt-4o"), rng).id for _ in range(100)}  # type: ignore[union-attr]
    assert first == {"high-a", "high-b"}
    tried = frozenset({"high-a", "high-b"})
    assert select_channel(index, SelectionRequest("gpt-4o", exclude=tried)).id == "low"  # type: ignore[union-attr]
    assert select_channel(index, SelectionRequest("gpt-4o", exclude=tried | {"low"})) is None


def test_failover_never_repeats_a_channel() -> None:
    index = ChannelIndex([ch(f"c{i}", priority=i % 3, weight=i + 1) for i in range(12)])
    tried: set[str] = set()
    while (chosen := select_channel(index, SelectionRequest("gpt-4o", exclude=frozenset(tried)))) is not None:
        assert chosen.id not in tried
        tried.add(chosen.id)
    assert len(tried) == 12


def test_weighted_random_within_a_tier_follows_weights() -> None:
    index = ChannelIndex([ch("one", weight=1), ch("three", weight=3), ch("zero", weight=0)])
    rng = random.Random(7)
    counts = Counter(select_channel(index, SelectionRequest("gpt-4o"), rng).id for _ in range(20_000))  # type: ignore[union-attr]
    assert counts["zero"] == 0
    assert 2.7 < counts["three"] / counts["one"] < 3.3
    only_zero = frozenset({"one", "three"})
    assert select_channel(index, SelectionRequest("gpt-4o", exclude=only_zero)).id == "zero"  # type: ignore[union-attr]


def test_weighted_draw_with_exclusions_follows_weights() -> None:
    index = ChannelIndex([ch("gone", weight=100), ch("one", weight=1), ch("four", weight=4)])
    rng = random.Random(3)
    request = SelectionRequest("gpt-4o", exclude=frozenset({"gone"}))
    counts = Counter(select_channel(index, request, rng).id for _ in range(10_000))  # type: ignore[union-attr]
    assert set(counts) == {"one", "four"}
    assert 3.5 < counts["four"] / counts["one"] < 4.5


def test_linear_baseline_applies_the_same_filters() -> None:
    channels = [
        ch("a", ("gpt-4*",), priority=2),
        ch("b", ("gpt-4o",), priority=1),
        ch("c", ("claude-*",), priority=5),
        ch("d", ("gpt-4o",), groups=frozenset({"vip"}), priority=9),
    ]
    index = ChannelIndex(channels)
    for request in (
        SelectionRequest("gpt-4o"),
        SelectionRequest("gpt-4o", exclude=frozenset({"a"})),
        SelectionRequest("gpt-4o", group="vip"),
        SelectionRequest("claude-x"),
        SelectionRequest("none"),
    ):
        fast = select_channel(index, request)
        slow = select_linear(channels, request)
        assert (fast and fast.id) == (slow and slow.id)


def test_tiers_are_memoised_per_snapshot() -> None:
    index = ChannelIndex([ch("a")])
    assert index.tiers("default", "gpt-4o") is index.tiers("default", "gpt-4o")
