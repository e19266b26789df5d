"""Live traffic against a channel failing half its calls next to a healthy one: callers never notice.

The relay fails over to an untried channel on every retryable failure, and the flaky
channel's breaker opens on its error rate, so it gets trial requests only. Also: in-flight
counts and time to first token as the relay reports them.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from model_router.config import ModelRouterSettings
from model_router.health.tracker import ChannelHealth
from model_router.relay import Relay, RetryPolicy
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream
from tests.integration.model_router.relay.relay_support import StaticChannels, channel_for, chat

FAST = RetryPolicy(
    max_attempts=4, base_delay=0.001, max_delay=0.01, max_retry_after=0.1, timeout_seconds=10.0
)
CONFIG = ModelRouterSettings(
    breaker_consecutive_failures=5,
    breaker_min_requests=10,
    breaker_error_rate=0.3,
    breaker_cooldown_seconds=0.2,
)


@pytest.fixture
async def flaky() -> AsyncIterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(failure_rate=0.5)
    async with fake.running():
        yield fake


@pytest.fixture
async def healthy() -> AsyncIterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream()
    async with fake.running():
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100)) as client:
        yield client


async def test_a_thousand_requests_succeed_while_one_channel_fails_half_its_calls(
    flaky: FakeLLMUpstream, healthy: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    health = ChannelHealth(CONFIG)
    channels = StaticChannels.of([channel_for(flaky, "flaky"), channel_for(healthy, "healthy")])
    relay = Relay(channels, http, policy=FAST, rng=random.Random(5), health=health)
    gate = asyncio.Semaphore(20)
    failures: list[BaseException] = []
    served: Counter[str] = Counter()

    async def one(i: int) -> None:
        async with gate:
            try:
                if i % 4 == 0:
                    start = await relay.stream(chat(stream=True), "default")
                    text = "".join(c.delta.content for r in start.first for c in r.choices)
                    async for batch in start.rest:
                        text += "".join(c.delta.content for r in batch for c in r.choices)
                    assert text == "Hello from the fake."
                    route = start.route
                else:
                    answer, route = await relay.complete(chat(), "default")
                    assert answer.choices[0].message.content == "Hello from the fake."
                assert route.channel is not None
                served[route.channel.name] += 1
            except BaseException as exc:
                failures.append(exc)

    await asyncio.gather(*(one(i) for i in range(1000)))
    assert failures == []
    assert sum(served.values()) == 1000
    flaky_failed = len(flaky.requests) - served["flaky"]
    assert flaky_failed > 0  # the fake really failed callers' first attempts
    opened = [t for t in health.drain() if t.channel_id == "ch-flaky" and t.to_circuit == "open"]
    assert opened, "the flaky channel's breaker never opened"
    assert not [t for t in health.drain() if t.channel_id == "ch-healthy"]
    assert health.in_flight("ch-flaky") == health.in_flight("ch-healthy") == 0


async def test_streams_report_ttft_and_hold_in_flight_until_they_end(
    healthy: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    healthy.chunk_delay = 0.01
    health = ChannelHealth(CONFIG)
    relay = Relay(StaticChannels.of([channel_for(healthy, "h")]), http, policy=FAST, health=health)
    start = await relay.stream(chat(stream=True), "default")
    assert start.route.ttft_seconds is not None and start.route.ttft_seconds > 0
    assert health.in_flight("ch-h") == 1
    async for _ in start.rest:
        pass
    assert health.in_flight("ch-h") == 0
    assert health.latency("ch-h", stream=True) > 0
    unread = await relay.stream(chat(stream=True), "default")
    assert health.in_flight("ch-h") == 1
    await unread.close()
    assert health.in_flight("ch-h") == 0
    _, route = await relay.complete(chat(), "default")
    assert route.ttft_seconds is None and health.in_flight("ch-h") == 0
    assert health.latency("ch-h", stream=False) > 0


async def test_caller_faults_do_not_count_against_the_channel(
    healthy: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    health = ChannelHealth(ModelRouterSettings(breaker_consecutive_failures=1))
    relay = Relay(StaticChannels.of([channel_for(healthy, "h")]), http, policy=FAST, health=health)
    healthy.fail(Failure(status=400, message="Invalid 'messages'"), Failure(status=404))
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 - the caller's error, whichever it maps to
            await relay.complete(chat(), "default")
    assert health.circuit("ch-h") == "closed"
    healthy.fail(Failure(status=502))
    with pytest.raises(Exception):  # noqa: B017
        await relay.complete(chat(), "default")
    assert health.circuit("ch-h") == "open"
