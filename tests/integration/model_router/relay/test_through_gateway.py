"""End to end in one process: the real `openai` SDK → gateway → ModelRouterServicer → relay → fake upstream.

The gateway side is the compat routes with the real EdgeAuthenticator (API key checked by a
test IdentityService); model_router runs its real servicer with a relay over two channels,
the first of which fails, so failover is visible through the whole path.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import grpc
import httpx
import pytest
import pytest_asyncio
from anthropic import AsyncAnthropic
from chatmesh.identity.v1 import identity_pb2_grpc
from chatmesh.model_router.v1 import chat_pb2, inference_pb2, model_router_pb2_grpc
from openai import AsyncOpenAI

from mesh.config import load_settings
from mesh.server import ServiceBinding, start_server
from model_router.api import SERVICE_NAME, ModelRouterServicer
from model_router.deps import ModelRouterDeps
from model_router.relay import Relay, RetryPolicy
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream, FakeReply
from tests.integration.gateway.compat.compat_support import API_KEY, FakeIdentity
from tests.integration.gateway.compat.conftest import IDENTITY_SERVICE, serve_gateway
from tests.integration.model_router.relay.relay_support import StaticChannels, channel_for

POLICY = RetryPolicy(base_delay=0.001, max_delay=0.01, timeout_seconds=5.0)


@dataclass
class Mesh:
    url: str
    address: str
    broken: FakeLLMUpstream
    healthy: FakeLLMUpstream


@pytest_asyncio.fixture
async def mesh() -> AsyncIterator[Mesh]:
    broken, healthy = FakeLLMUpstream(always=Failure(status=502)), FakeLLMUpstream()
    healthy.reply = FakeReply(pieces=("Bonjour", " le", " monde"))
    async with broken.running(), healthy.running(), httpx.AsyncClient() as http:
        channels = StaticChannels.of(
            [
                channel_for(broken, "broken", priority=10),
                channel_for(healthy, "healthy", priority=0, models=("gpt-4o-mini", "text-embedding-3-small")),
                channel_for(healthy, "claude", kind="anthropic", models=("claude-sonnet-4",)),
            ]
        )
        settings = load_settings(_env_file=None)
        deps = ModelRouterDeps(
            settings=settings,
            engine=cast(Any, None),
            sessions=cast(Any, None),
            redis=None,
            secrets=cast(Any, None),
            channels=cast(Any, channels),
            relay=Relay(channels, http, policy=POLICY, rng=random.Random(3)),
        )
        bindings = [
            ServiceBinding(
                SERVICE_NAME,
                model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server,
                ModelRouterServicer(deps),
            ),
            ServiceBinding(
                IDENTITY_SERVICE, identity_pb2_grpc.add_IdentityServiceServicer_to_server, FakeIdentity()
            ),
        ]
        running = await start_server("model_router", bindings, settings, port=0, metrics_port=-1)
        address = f"127.0.0.1:{running.port}"
        try:
            async with serve_gateway(address) as url:
                yield Mesh(url, address, broken, healthy)
        finally:
            await running.stop(0)


@pytest.fixture
async def client(mesh: Mesh) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=f"{mesh.url}/v1", api_key=API_KEY, max_retries=0) as client:
        yield client


async def test_openai_sdk_completion_fails_over(mesh: Mesh, client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert completion.choices[0].message.content == "Bonjour le monde"
    assert completion.model == "gpt-4o-mini"
    assert completion.usage is not None and completion.usage.completion_tokens == 3
    assert (len(mesh.broken.requests), len(mesh.healthy.requests)) == (1, 1)


async def test_openai_sdk_stream_with_usage(mesh: Mesh, client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert len({chunk.id for chunk in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Bonjour le monde"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    assert mesh.healthy.requests[-1].body["stream_options"] == {"include_usage": True}


async def test_grpc_stream_carries_route_and_usage(mesh: Mesh) -> None:
    async with grpc.aio.insecure_channel(mesh.address) as channel:
        stub = model_router_pb2_grpc.ModelRouterServiceStub(channel)
        request = inference_pb2.ChatCompletionRequest(
            model="gpt-4o-mini", messages=[chat_pb2.ChatMessage(role="user", content="Hi")], stream=True
        )
        responses = [r async for r in stub.ChatCompletion(request)]
    assert responses[0].route.channel_name == "healthy"
    assert responses[0].route.attempt == 2
    final = responses[-1]
    assert not final.choices and final.usage.total_tokens == final.usage.prompt_tokens + 3
    assert final.route.latency.ToNanoseconds() > 0 and final.route.time_to_first_token.ToNanoseconds() > 0
    assert not final.route.usage_estimated


async def test_grpc_count_tokens(mesh: Mesh) -> None:
    async with grpc.aio.insecure_channel(mesh.address) as channel:
        stub = model_router_pb2_grpc.ModelRouterServiceStub(channel)
        counted = await stub.CountTokens(
            inference_pb2.CountTokensRequest(
                model="gpt-4",
                messages=[chat_pb2.ChatMessage(role="user", content="hello world")],
                input=["hello world"],
            )
        )
    assert counted.encoding == "cl100k_base" and not counted.estimated
    assert list(counted.input_tokens) == [2]
    assert counted.prompt_tokens == 3 + 1 + 2 + 3


async def grpc_stub(mesh: Mesh) -> tuple[grpc.aio.Channel, model_router_pb2_grpc.ModelRouterServiceStub]:
    channel = grpc.aio.insecure_channel(mesh.address)
    return channel, model_router_pb2_grpc.ModelRouterServiceStub(channel)


async def test_anthropic_sdk_stream_through_an_anthropic_channel(mesh: Mesh) -> None:
    async with AsyncAnthropic(base_url=mesh.url, api_key=API_KEY, max_retries=0) as client:
        async with client.messages.stream(
            model="claude-sonnet-4", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
        ) as stream:
            message = await stream.get_final_message()
    assert [block.text for block in message.content if block.type == "text"] == ["Bonjour le monde"]
    assert message.usage.output_tokens == 3
    sent = mesh.healthy.requests[-1]
    assert sent.path == "/v1/messages" and sent.body["max_tokens"] == 64


async def test_stream_without_upstream_usage_is_counted_here(mesh: Mesh) -> None:
    mesh.healthy.send_usage = False
    channel, stub = await grpc_stub(mesh)
    async with channel:
        request = inference_pb2.ChatCompletionRequest(
            model="gpt-4o-mini", messages=[chat_pb2.ChatMessage(role="user", content="Hi")], stream=True
        )
        responses = [r async for r in stub.ChatCompletion(request)]
    final = responses[-1]
    assert final.route.usage_estimated
    assert final.usage.completion_tokens > 0 and final.usage.prompt_tokens > 0


async def test_embed_and_validation(mesh: Mesh) -> None:
    channel, stub = await grpc_stub(mesh)
    async with channel:
        embedded = await stub.Embed(
            inference_pb2.EmbedRequest(model="text-embedding-3-small", input=["a b", "c"], dimensions=3)
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ChatCompletion(inference_pb2.ChatCompletionRequest(model="gpt-4o-mini")).read()
    assert [len(item.embedding) for item in embedded.data] == [3, 3]
    assert embedded.model == "text-embedding-3-small" and embedded.route.channel_name == "healthy"
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_caller_cancelling_a_stream_closes_the_upstream_stream(mesh: Mesh) -> None:
    mesh.healthy.chunk_delay = 0.2
    channel, stub = await grpc_stub(mesh)
    async with channel:
        request = inference_pb2.ChatCompletionRequest(
            model="gpt-4o-mini", messages=[chat_pb2.ChatMessage(role="user", content="Hi")], stream=True
        )
        call = stub.ChatCompletion(request)
        first = await call.read()
        assert first.route.channel_name == "healthy"
        call.cancel()
    for _ in range(100):
        if mesh.healthy.abandoned_streams:
            break
        await asyncio.sleep(0.02)
    assert mesh.healthy.abandoned_streams == 1
