"""Helpers of the health tests: channels on fake upstreams via the admin API, waiting, one request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from chatmesh.model_router.v1 import channels_pb2

from tests.fakes.llm_upstream import FakeLLMUpstream
from tests.integration.model_router.harness import ADMIN, Router
from tests.integration.model_router.relay.relay_support import chat

WAIT_SECONDS = 30.0
S = channels_pb2


async def create(router: Router, name: str, fake: FakeLLMUpstream, **fields: Any) -> S.Channel:
    values: dict[str, Any] = {
        "name": name,
        "type": "openai",
        "base_url": f"{fake.base_url}/v1",
        "models": ["gpt-4o-mini"],
        "keys": ["sk-test-key-0001"],
        "test_model": "gpt-4o-mini",
    }
    values.update(fields)
    response = await router.stub.CreateChannel(
        S.CreateChannelRequest(channel=S.Channel(**values)), metadata=ADMIN
    )
    return response.channel


async def get(router: Router, channel_id: str) -> S.Channel:
    return (await router.stub.GetChannel(S.GetChannelRequest(channel_id=channel_id), metadata=ADMIN)).channel


async def events(router: Router, channel_id: str) -> list[S.ChannelHealthEvent]:
    response = await router.stub.ListChannelHealthEvents(
        S.ListChannelHealthEventsRequest(channel_id=channel_id, page_size=1000), metadata=ADMIN
    )
    return list(response.events)


async def until(
    check: Callable[[], Awaitable[bool]], what: str, tick: Callable[[], Awaitable[None]] | None = None
) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if tick is not None:
            await tick()
        await asyncio.sleep(0.05)


def status_is(router: Router, channel_id: str, status: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await get(router, channel_id)).status == status

    return check


async def serve_one(router: Router) -> str:
    """One request through the relay; it must succeed. Returns the serving channel's name."""
    assert router.deps.relay is not None
    _, route = await router.deps.relay.complete(chat(), "default")
    assert route.channel is not None
    return route.channel.name


async def drive_into_auto_disable(router: Router, channel: S.Channel) -> None:
    async def traffic() -> None:
        await serve_one(router)

    await until(status_is(router, channel.id, S.CHANNEL_STATUS_AUTO_DISABLED), "auto-disable", traffic)


async def in_registry(router: Router, channel_id: str) -> bool:
    return router.deps.channels.get(channel_id) is not None
