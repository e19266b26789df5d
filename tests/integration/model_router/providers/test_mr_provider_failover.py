"""The native adapters inside the relay: failover across providers, a Gemini key the upstream refuses."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import httpx
import pytest

from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.relay import Relay, RetryPolicy
from tests.fakes.llm_dashscope import FakeDashScope
from tests.fakes.llm_gemini import Failure, FakeGemini
from tests.fakes.llm_upstream import FakeLLMUpstream
from tests.integration.model_router.providers.provider_support import chat, reassemble
from tests.integration.model_router.relay.relay_support import StaticChannels

FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.01, max_retry_after=0.5, timeout_seconds=5.0)
MODEL = "chat-model"


@pytest.fixture
async def gemini() -> AsyncIterator[FakeGemini]:
    fake = FakeGemini()
    async with fake.running():
        yield fake


@pytest.fixture
async def dashscope() -> AsyncIterator[FakeDashScope]:
    fake = FakeDashScope()
    async with fake.running():
        yield fake


def channel(
    fake: FakeLLMUpstream, kind: str, priority: int, keys: tuple[str, ...] = ("key-1",)
) -> RoutableChannel:
    return RoutableChannel(
        id=f"ch-{kind}",
        name=kind,
        type=kind,
        base_url=fake.base_url,
        models=(MODEL,),
        model_mapping={MODEL: "upstream-model"},
        priority=priority,
        keys=tuple(ChannelKey(f"{kind}-key-{i}", secret) for i, secret in enumerate(keys)),
    )


def relay_over(http: httpx.AsyncClient, *channels: RoutableChannel) -> Relay:
    return Relay(StaticChannels.of(channels), http, policy=FAST, rng=random.Random(7))  # type: ignore[arg-type]


async def test_gemini_overloaded_fails_over_to_dashscope(
    gemini: FakeGemini, dashscope: FakeDashScope, http: httpx.AsyncClient
) -> None:
    gemini.always = Failure(status=503, message="The model is overloaded.")
    relay = relay_over(http, channel(gemini, "gemini", 10), channel(dashscope, "dashscope", 0))
    answer, route = await relay.complete(chat(MODEL), "default")
    assert answer.choices[0].message.content == "Hello from the fake."
    assert [a.channel_name for a in route.attempts] == ["gemini", "dashscope"]
    assert route.upstream_model == "upstream-model"
    assert dashscope.requests[-1].body["model"] == "upstream-model"
    assert gemini.requests[-1].path == "/v1beta/models/upstream-model:generateContent"


async def test_stream_fails_over_before_the_first_token(
    gemini: FakeGemini, dashscope: FakeDashScope, http: httpx.AsyncClient
) -> None:
    dashscope.always = Failure(status=500, message="An internal error has occured.")
    relay = relay_over(http, channel(dashscope, "dashscope", 10), channel(gemini, "gemini", 0))
    start = await relay.stream(chat(MODEL, stream=True), "default")
    responses = list(start.first)
    async for batch in start.rest:
        responses.extend(batch)
    assert reassemble(responses).message.content == "Hello from the fake."
    assert start.route is not None and [a.channel_name for a in start.route.attempts] == [
        "dashscope",
        "gemini",
    ]


async def test_refused_gemini_key_is_parked(
    gemini: FakeGemini, dashscope: FakeDashScope, http: httpx.AsyncClient
) -> None:
    """Gemini refuses a bad key with 400 API_KEY_INVALID: parked, never sent again; nothing fails."""
    gemini.valid_keys = frozenset({"good-key"})
    gemini_channel = channel(gemini, "gemini", 10, keys=("bad-key", "good-key"))
    relay = relay_over(http, gemini_channel, channel(dashscope, "dashscope", 0))
    answers = [await relay.complete(chat(MODEL), "default") for _ in range(6)]
    assert all(a.choices[0].message.content == "Hello from the fake." for a, _ in answers)
    sent_keys = [r.headers["x-goog-api-key"] for r in gemini.requests]
    assert sent_keys.count("bad-key") <= 1
    assert sent_keys.count("good-key") >= 4
