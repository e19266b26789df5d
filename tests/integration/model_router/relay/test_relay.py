"""Failover: only retryable failures, never the same channel twice, streams only before the first chunk."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from mesh.errors import InvalidArgument, NotFound, Unavailable
from model_router.key_parking import KeyParking
from model_router.relay import Relay, RetryPolicy
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream
from tests.integration.model_router.relay.relay_support import StaticChannels, channel_for, chat

FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.01, max_retry_after=0.5, timeout_seconds=5.0)


@pytest.fixture
async def first() -> AsyncIterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream()
    async with fake.running():
        yield fake


@pytest.fixture
async def second() -> AsyncIterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream()
    async with fake.running():
        yield fake


def relay_over(http: httpx.AsyncClient, *channels: object, policy: RetryPolicy = FAST, **kw: object) -> Relay:
    return Relay(StaticChannels.of(channels), http, policy=policy, rng=random.Random(7), **kw)  # type: ignore[arg-type]


async def test_first_channel_500_second_answers(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.always = Failure(status=500)
    relay = relay_over(http, channel_for(first, "a", priority=10), channel_for(second, "b", priority=0))
    answer, route = await relay.complete(chat(), "default")
    assert answer.choices[0].message.content == "Hello from the fake."
    assert [a.channel_name for a in route.attempts] == ["a", "b"]
    assert [a.outcome for a in route.attempts] == ["http_500", "ok"]
    assert route.channel is not None and route.channel.name == "b"
    assert (len(first.requests), len(second.requests)) == (1, 1)


async def test_never_the_same_channel_twice(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.always = second.always = Failure(status=503)
    relay = relay_over(http, channel_for(first, "a"), channel_for(second, "b"))
    with pytest.raises(Unavailable) as caught:
        await relay.complete(chat(), "default")
    assert (len(first.requests), len(second.requests)) == (1, 1)
    assert caught.value.metadata["attempts"] == "2"


async def test_caller_fault_400_is_not_retried(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.fail(Failure(status=400, message="Invalid 'messages'"))
    second.fail(Failure(status=400, message="Invalid 'messages'"))
    relay = relay_over(http, channel_for(first, "a"), channel_for(second, "b"))
    with pytest.raises(InvalidArgument, match="Invalid 'messages'"):
        await relay.complete(chat(), "default")
    assert len(first.requests) + len(second.requests) == 1


async def test_unknown_model_is_not_found(first: FakeLLMUpstream, http: httpx.AsyncClient) -> None:
    relay = relay_over(http, channel_for(first, "a"))
    with pytest.raises(NotFound):
        await relay.complete(chat("no-such-model"), "default")
    assert first.requests == []


async def test_refused_key_is_parked(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.valid_keys = frozenset({"sk-good"})
    parking = KeyParking(cooldown_seconds=60)
    relay = relay_over(
        http,
        channel_for(first, "a", priority=10, keys=("sk-bad",)),
        channel_for(second, "b"),
        parking=parking,
    )
    _, route = await relay.complete(chat(), "default")
    assert [a.outcome for a in route.attempts] == ["http_401", "ok"]
    parked = parking.parked("key-a-0")
    assert parked is not None and parked.reason == "http_401"
    _, route = await relay.complete(chat(), "default")
    assert [a.channel_name for a in route.attempts] == ["b"]
    assert len(first.requests) == 1


async def test_retry_after_is_honoured(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.fail(Failure(status=429, retry_after=0.3))
    relay = relay_over(http, channel_for(first, "a", priority=10), channel_for(second, "b"))
    started = time.monotonic()
    _, route = await relay.complete(chat(), "default")
    assert time.monotonic() - started >= 0.3
    assert [a.outcome for a in route.attempts] == ["http_429", "ok"]


async def test_hanging_upstream_times_out_and_fails_over(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.fail(Failure(hang=True))
    relay = relay_over(
        http, channel_for(first, "a", priority=10, timeout_seconds=0.3), channel_for(second, "b")
    )
    _, route = await relay.complete(chat(), "default")
    assert [a.outcome for a in route.attempts] == ["timeout", "ok"]


async def test_stream_fails_over_before_the_first_chunk(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.fail(Failure(cut_after=0))
    relay = relay_over(http, channel_for(first, "a", priority=10), channel_for(second, "b"))
    start = await relay.stream(chat(stream=True), "default")
    text = "".join(c.delta.content for r in start.first for c in r.choices)
    async for batch in start.rest:
        text += "".join(c.delta.content for r in batch for c in r.choices)
    assert text == "Hello from the fake."
    assert [a.channel_name for a in start.route.attempts] == ["a", "b"]


async def test_stream_does_not_fail_over_after_the_first_chunk(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.fail(Failure(cut_after=2))
    relay = relay_over(http, channel_for(first, "a", priority=10), channel_for(second, "b"))
    start = await relay.stream(chat(stream=True), "default")
    assert start.first
    with pytest.raises(Unavailable, match="mid-stream"):
        async for _ in start.rest:
            pass
    assert second.requests == []


async def test_stream_http_error_fails_over(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    first.fail(Failure(status=529, message="Overloaded"))
    relay = relay_over(
        http,
        channel_for(first, "a", kind="anthropic", priority=10, models=("claude-sonnet-4",)),
        channel_for(second, "b", kind="anthropic", models=("claude-sonnet-4",)),
    )
    start = await relay.stream(chat("claude-sonnet-4", stream=True), "default")
    async for _ in start.rest:
        pass
    assert [a.outcome for a in start.route.attempts] == ["http_529", "ok"]


async def test_backoff_delay_bounds() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0, max_retry_after=5.0)
    rng = random.Random(1)
    assert all(0 <= policy.delay(n, None, rng) <= min(1.0, 0.1 * 2 ** (n - 1)) for n in range(1, 8))
    assert policy.delay(1, 2.5, rng) == 2.5
    assert policy.delay(1, 60, rng) == 5.0


async def test_pinned_channel_gets_no_failover(
    first: FakeLLMUpstream, second: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    pinned = channel_for(first, "a", models=("test-model",))
    relay = relay_over(http, pinned, channel_for(second, "b", models=("test-model",), priority=10))
    answer, _ = await relay.complete(chat("test-model"), "default", only=pinned)
    assert answer.choices[0].message.content == "Hello from the fake."
    first.fail(Failure(status=500))
    with pytest.raises(Unavailable):
        await relay.complete(chat("test-model"), "default", only=pinned)
    assert (len(first.requests), len(second.requests)) == (2, 0)


async def test_channel_without_usable_key_is_unavailable_not_unknown(
    first: FakeLLMUpstream, http: httpx.AsyncClient
) -> None:
    relay = relay_over(http, channel_for(first, "a", keys=()))
    with pytest.raises(Unavailable):
        await relay.complete(chat(), "default")
    assert first.requests == []
