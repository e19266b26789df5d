"""What channel selection costs with 10,000 channels: the snapshot index against a linear scan.

Subject ("index"): ``select_channel`` over the registry snapshot's ``ChannelIndex`` (group
and model resolved to priority tiers once per snapshot, weighted draw by bisection),
warm (tiers memoised); a whole failover of four attempts, each excluding the channels
already tried (one row = four selections); and cold (first request for a model after a
snapshot reload).
With health ("index + health"): one channel in twenty has an open circuit breaker, so
draws that land on it are redrawn; and the other strategies within a tier (round-robin,
least in flight, lowest latency) over the same live health.
Baseline ("linear scan"): the same rules applied by scanning every channel per request
(``select_linear``), which is what a registry without an index does.

Selection is synchronous CPU work inside one event loop, so it runs at concurrency 1:
more concurrent requests queue behind each other, they do not overlap. Channels: 10,000
over 400 models and 5 groups, each serving 1-3 exact models, one in ten also a
``prefix*`` pattern, priorities 0-4, weights 1-10.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from bench.harness import Figures, Report, peak_rss_mb, percentile
from bench.selection_baseline import select_linear
from model_router.config import ModelRouterSettings
from model_router.domain.channels import RoutableChannel
from model_router.domain.selection import ChannelIndex, SelectionRequest, select_channel
from model_router.health.tracker import ChannelHealth

CHANNELS = 10_000
MODELS = 400
GROUPS = ("default", "vip", "team-a", "team-b", "free")
CALLS = 20_000
BASELINE_CALLS = 300


def _channels(rng: random.Random) -> list[RoutableChannel]:
    result = []
    for i in range(CHANNELS):
        models = tuple(f"model-{rng.randrange(MODELS)}" for _ in range(rng.randint(1, 3)))
        if i % 10 == 0:
            models += (f"model-{rng.randrange(40)}*",)
        groups = frozenset({"default", *rng.sample(GROUPS, rng.randint(0, 2))})
        result.append(
            RoutableChannel(
                id=f"ch-{i:05d}",
                name=f"ch-{i}",
                type="openai",
                base_url="http://upstream",
                models=models,
                groups=groups,
                priority=rng.randrange(5),
                weight=rng.randint(1, 10),
            )
        )
    return result


def _unhealthy(channels: list[RoutableChannel], rng: random.Random) -> ChannelHealth:
    """Live health with one channel in twenty open (cool-down running) and traffic stats for all."""
    config = ModelRouterSettings(breaker_consecutive_failures=1, breaker_cooldown_seconds=3600)
    health = ChannelHealth(config)
    for channel in channels:
        if rng.random() < 0.05:
            health.failed(channel.id, "http_503", 503)
        health.succeeded(channel.id, rng.uniform(0.05, 0.5), stream=False)
        for _ in range(rng.randrange(4)):
            health.started(channel.id)
    return health


def _time(subject: str, calls: int, call: Callable[[int], object]) -> Figures:
    latencies = []
    started = time.perf_counter()
    for i in range(calls):
        t0 = time.perf_counter()
        call(i)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Figures(
        subject=subject,
        concurrency=1,
        requests=calls,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        rps=calls / elapsed,
    )


async def run() -> Report:
    rng = random.Random(42)
    channels = _channels(rng)
    report = Report(name="model_router_selection")
    requests = [
        SelectionRequest(f"model-{rng.randrange(MODELS)}", group=rng.choice(GROUPS)) for _ in range(CALLS)
    ]

    built = time.perf_counter()
    index = ChannelIndex(channels)
    build_ms = (time.perf_counter() - built) * 1000

    cold = ChannelIndex(channels)
    report.rows.append(
        _time("index, cold (first per model)", MODELS, lambda i: cold.tiers("default", f"model-{i}"))
    )
    warm = _time("index, warm", CALLS, lambda i: select_channel(index, requests[i], rng))
    report.rows.append(warm)

    def failover(i: int) -> object:
        request = requests[i]
        tried: set[str] = set()
        for _ in range(3):
            chosen = select_channel(
                index, SelectionRequest(request.model, request.group, exclude=frozenset(tried)), rng
            )
            if chosen is not None:
                tried.add(chosen.id)
        return select_channel(
            index, SelectionRequest(request.model, request.group, exclude=frozenset(tried)), rng
        )

    report.rows.append(_time("index, 4 attempts (failover)", CALLS // 4, failover))

    health = _unhealthy(channels, rng)
    report.rows.append(
        _time(
            "index + health (5% open)",
            CALLS,
            lambda i: select_channel(index, requests[i], rng, health),
        )
    )
    for strategy in ("round_robin", "least_in_flight", "lowest_latency"):
        report.rows.append(
            _time(
                f"+ health, {strategy}",
                CALLS,
                lambda i, s=strategy: select_channel(index, requests[i], rng, health, s),  # type: ignore[misc]
            )
        )
    base = _time(
        "linear scan (baseline)", BASELINE_CALLS, lambda i: select_linear(channels, requests[i], rng)
    )
    report.rows.append(base)
    report.notes.append(
        f"{CHANNELS} channels; index build: {build_ms:.1f} ms once per registry reload, not per request"
    )
    report.notes.append(
        f"warm selection p50 {warm.p50_ms * 1000:.1f} us, p99 {warm.p99_ms * 1000:.1f} us; "
        f"linear scan p50 {base.p50_ms:.2f} ms: {base.p50_ms / max(warm.p50_ms, 1e-9):.0f}x slower"
    )
    report.peak_rss_mb = peak_rss_mb()
    return report
