"""Child processes of the relay benchmark; each prints its port on a line of its own, then serves.

``upstream <first_chunk_s> <gap_s> <tokens>``: the fake OpenAI-compatible upstream with fixed timing.
``router <upstream_url>``: model_router's real servicer and relay over one channel pointing there
(no database: the channel set is fixed, as the registry would hold it).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass

from chatmesh.model_router.v1 import model_router_pb2_grpc

from mesh.config import load_settings
from mesh.server import ServiceBinding, start_server
from model_router.api import SERVICE_NAME, ModelRouterServicer
from model_router.deps import ModelRouterDeps
from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.domain.selection import ChannelIndex
from model_router.relay import Relay, upstream_client
from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply


@dataclass
class FixedChannels:
    index: ChannelIndex


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


async def _upstream(first_chunk: float, gap: float, tokens: int) -> None:
    reply = FakeReply(pieces=tuple(f" tok{i}" for i in range(tokens)))
    fake = FakeLLMUpstream(reply=reply, first_chunk_delay=first_chunk, chunk_delay=gap)
    async with fake.running():
        print(fake.base_url.rsplit(":", 1)[1], flush=True)
        await _until_terminated()


async def _router(upstream_url: str) -> None:
    channel = RoutableChannel(
        id="ch-bench",
        name="bench",
        type="openai",
        base_url=f"{upstream_url}/v1",
        models=("gpt-4o-mini",),
        keys=(ChannelKey("key-bench", "sk-bench"),),
    )
    channels = FixedChannels(ChannelIndex([channel]))
    settings = load_settings(_env_file=None, log_level="WARNING")
    relay = Relay(channels, upstream_client())
    deps = ModelRouterDeps(settings, None, None, None, None, channels, relay)  # type: ignore[arg-type]
    binding = ServiceBinding(
        SERVICE_NAME,
        model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server,
        ModelRouterServicer(deps),
    )
    running = await start_server("model_router", [binding], settings, port=0, metrics_port=-1)
    print(running.port, flush=True)
    await _until_terminated()
    await running.stop(0)
    await relay.close()


if __name__ == "__main__":
    if sys.argv[1] == "upstream":
        asyncio.run(_upstream(float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])))
    else:
        asyncio.run(_router(sys.argv[2]))
