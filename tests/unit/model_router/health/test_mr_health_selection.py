"""Selection with live health and the strategies within a tier (statistical checks, tolerant bounds)."""

from __future__ import annotations

import random
from collections import Counter

from model_router.config import ModelRouterSettings
from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.domain.selection import ChannelIndex, SelectionRequest, select_channel
from model_router.domain.strategies import SCAN_LIMIT
from model_router.health.tracker import ChannelHealth
from model_router.key_parking import KeyParking

REQUEST = SelectionRequest("gpt-4o")


def ch(cid: str, **kw: object) -> RoutableChannel:
    return RoutableChannel(id=cid, name=cid, type="openai", base_url="http://x", models=("gpt-4o",), **kw)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def health_with(clock: Clock | None = None, **config: object) -> ChannelHealth:
    settings = ModelRouterSettings(breaker_consecutive_failures=2, breaker_cooldown_seconds=10, **config)  # type: ignore[arg-type]
    return ChannelHealth(settings, clock=clock or Clock())


def open_breaker(health: ChannelHealth, channel_id: str) -> None:
    health.failed(channel_id, "http_500", 500)
    health.failed(channel_id, "http_500", 500)
    assert channel_id in health.unavailable


def pick_ids(index: ChannelIndex, n: int, **kw: object) -> Counter[str]:
    rng = random.Random(11)
    return Counter(select_channel(index, REQUEST, rng, **kw).id for _ in range(n))  # type: ignore[arg-type,union-attr]


# ---- health filtering ----


def test_open_breakers_are_skipped() -> None:
    health = health_with()
    index = ChannelIndex([ch("a", weight=10), ch("b", weight=1)])
    open_breaker(health, "a")
    assert pick_ids(index, 200, health=health) == Counter({"b": 200})


def test_open_top_tier_falls_through_to_the_next_tier() -> None:
    health = health_with()
    index = ChannelIndex([ch("high", priority=5), ch("low", priority=0)])
    open_breaker(health, "high")
    assert select_channel(index, REQUEST, random.Random(1), health).id == "low"  # type: ignore[union-attr]


def test_half_open_lets_exactly_one_trial_through_after_the_cool_down() -> None:
    clock = Clock()
    health = health_with(clock)
    index = ChannelIndex([ch("flaky", priority=5), ch("steady", priority=0)])
    open_breaker(health, "flaky")
    clock.now += 10
    picks = [select_channel(index, REQUEST, random.Random(i), health).id for i in range(5)]  # type: ignore[union-attr]
    assert picks == ["flaky", "steady", "steady", "steady", "steady"]
    assert health.circuit("flaky") == "half_open"
    health.succeeded("flaky", 0.1, stream=False)
    assert health.circuit("flaky") == "closed"
    assert select_channel(index, REQUEST, random.Random(1), health).id == "flaky"  # type: ignore[union-attr]


def test_when_every_candidate_is_open_one_still_gets_a_trial() -> None:
    health = health_with()
    index = ChannelIndex([ch("a"), ch("b", priority=3)])
    open_breaker(health, "a")
    open_breaker(health, "b")
    chosen = select_channel(index, REQUEST, random.Random(2), health)
    assert chosen is not None and chosen.id == "b"  # the highest tier
    assert health.circuit("b") == "half_open"
    tried = SelectionRequest("gpt-4o", exclude=frozenset({"a", "b"}))
    assert select_channel(index, tried, random.Random(2), health) is None


def test_exclusions_and_health_together_keep_weights() -> None:
    health = health_with()
    index = ChannelIndex(
        [ch("sick", weight=50), ch("tried", weight=50), ch("one", weight=1), ch("three", weight=3)]
    )
    open_breaker(health, "sick")
    request = SelectionRequest("gpt-4o", exclude=frozenset({"tried"}))
    rng = random.Random(5)
    counts = Counter(select_channel(index, request, rng, health).id for _ in range(8000))  # type: ignore[union-attr]
    assert set(counts) == {"one", "three"}
    assert 2.6 < counts["three"] / counts["one"] < 3.4


# ---- strategies ----


def test_round_robin_gives_weighted_shares_interleaved() -> None:
    index = ChannelIndex([ch("a", weight=5), ch("b", weight=3), ch("c", weight=2)])
    rng = random.Random(3)
    picks = [select_channel(index, REQUEST, rng, None, "round_robin").id for _ in range(1000)]  # type: ignore[union-attr]
    counts = Counter(picks)
    assert abs(counts["a"] - 500) <= 10 and abs(counts["b"] - 300) <= 10 and abs(counts["c"] - 200) <= 10
    longest = max(len(run) for run in "".join(picks).replace("b", " ").replace("c", " ").split())
    assert longest <= 3  # smooth: the heaviest channel never gets long bursts


def test_round_robin_equal_weights_cycle_evenly() -> None:
    index = ChannelIndex([ch(f"c{i}") for i in range(4)])
    counts = Counter(select_channel(index, REQUEST, None, None, "round_robin").id for _ in range(400))  # type: ignore[union-attr]
    assert all(95 <= n <= 105 for n in counts.values()) and len(counts) == 4


def test_least_in_flight_prefers_the_idlest_channel() -> None:
    health = health_with()
    index = ChannelIndex([ch("busy", weight=10), ch("idle"), ch("medium")])
    for _ in range(5):
        health.started("busy")
    health.started("medium")
    assert pick_ids(index, 100, health=health, strategy="least_in_flight") == Counter({"idle": 100})
    for _ in range(3):
        health.started("idle")
    assert pick_ids(index, 100, health=health, strategy="least_in_flight") == Counter({"medium": 100})
    for _ in range(3):
        health.finished("idle")
    health.finished("medium")
    counts = pick_ids(index, 2000, health=health, strategy="least_in_flight")
    assert set(counts) == {"idle", "medium"} and 800 < counts["idle"] < 1200  # ties split by weight


def test_least_in_flight_on_a_big_tier_uses_two_choices_and_avoids_the_busy() -> None:
    health = health_with()
    channels = [ch(f"c{i}") for i in range(SCAN_LIMIT * 4)]
    index = ChannelIndex(channels)
    busy = {c.id for c in channels[: len(channels) // 2]}
    for cid in busy:
        health.started(cid)
    counts = pick_ids(index, 4000, health=health, strategy="least_in_flight")
    share_busy = sum(n for cid, n in counts.items() if cid in busy) / 4000
    assert 0.15 < share_busy < 0.35  # both draws busy: 1/4 of the time, versus 1/2 at random


def test_lowest_latency_uses_ttft_for_streams_and_latency_otherwise() -> None:
    health = health_with()
    index = ChannelIndex([ch("quick-start"), ch("quick-finish")])
    health.succeeded("quick-start", 0.05, stream=True)
    health.succeeded("quick-finish", 0.40, stream=True)
    health.succeeded("quick-start", 2.0, stream=False)
    health.succeeded("quick-finish", 0.5, stream=False)
    rng = random.Random(1)
    stream = SelectionRequest("gpt-4o", stream=True)
    picked = [select_channel(index, stream, rng, health, "lowest_latency") for _ in range(50)]
    assert {c.id if c is not None else None for c in picked} == {"quick-start"}
    assert pick_ids(index, 50, health=health, strategy="lowest_latency") == Counter({"quick-finish": 50})


def test_lowest_latency_tries_unmeasured_channels_first_and_follows_the_average() -> None:
    health = health_with(ewma_alpha=0.5)
    index = ChannelIndex([ch("measured"), ch("new")])
    health.succeeded("measured", 0.2, stream=False)
    assert pick_ids(index, 20, health=health, strategy="lowest_latency") == Counter({"new": 20})
    health.succeeded("new", 1.0, stream=False)
    assert pick_ids(index, 20, health=health, strategy="lowest_latency") == Counter({"measured": 20})
    health.succeeded("measured", 3.0, stream=False)  # EWMA 0.5*3.0 + 0.5*0.2 = 1.6 > 1.0
    assert abs(health.latency("measured", False) - 1.6) < 1e-9
    assert pick_ids(index, 20, health=health, strategy="lowest_latency") == Counter({"new": 20})


# ---- keys ----


def test_key_rotation_round_robin_takes_turns_and_skips_parked_keys() -> None:
    parking = KeyParking(cooldown_seconds=60)
    keys = tuple(ChannelKey(f"k{i}", f"sk-{i}") for i in range(3))
    rng = random.Random(1)
    turns = [parking.pick(keys, rng, round_robin="ch").id for _ in range(6)]  # type: ignore[union-attr]
    assert turns == ["k0", "k1", "k2", "k0", "k1", "k2"]
    parking.park("k1", "http_401")
    assert {parking.pick(keys, rng, round_robin="ch").id for _ in range(6)} == {"k0", "k2"}  # type: ignore[union-attr]
    assert parking.reasons(keys) == ["http_401"]
    randomly = Counter(parking.pick(keys, rng).id for _ in range(2000))  # type: ignore[union-attr]
    assert set(randomly) == {"k0", "k2"} and 850 < randomly["k0"] < 1150
