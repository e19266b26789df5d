"""One cheap test request through a channel's adapter: what TestChannel and the prober send.

A one-line prompt with a tiny completion budget, to the channel's test model, straight
through the adapter (no selection, no failover: the point is to learn about this channel
and this key). Never raises for upstream faults; the outcome says what happened. A key
the upstream refuses is parked, as the relay would.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import httpx
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.adapters import Target, UpstreamError, adapter_for
from model_router.adapters.transport import post_json, post_stream
from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.key_parking import KeyParking

__all__ = ["ChannelTester", "TestOutcome", "test_model_of"]

log = logging.getLogger(__name__)

_PROMPT = "Reply with the single word: ok"
_MAX_TOKENS = 5


@dataclass(frozen=True)
class TestOutcome:
    success: bool
    model: str
    key_id: str = ""
    seconds: float = 0.0
    ttft_seconds: float | None = None
    http_status: int = 0
    error: str = ""
    usage: chat_pb2.Usage | None = None


def test_model_of(channel: RoutableChannel) -> str:
    """The channel's test model, else its first exact model, else its first alias ("" if none)."""
    if channel.test_model:
        return channel.test_model
    exact = [m for m in channel.models if not m.endswith("*")]
    if exact:
        return exact[0]
    return next(iter(channel.model_mapping), "")


class ChannelTester:
    def __init__(self, http: httpx.AsyncClient, parking: KeyParking, timeout_seconds: float) -> None:
        self._http = http
        self._parking = parking
        self._timeout = timeout_seconds
        self._rng = random.Random()

    async def test(
        self,
        channel: RoutableChannel,
        *,
        model: str = "",
        key: ChannelKey | None = None,
        stream: bool = False,
    ) -> TestOutcome:
        model = model or test_model_of(channel)
        if not model:
            return TestOutcome(False, model, error="the channel names no model to test")
        adapter = adapter_for(channel.type)
        if adapter is None:
            return TestOutcome(False, model, error=f"no adapter for channel type {channel.type!r}")
        rotation = channel.id if channel.key_selection == "round_robin" else ""
        key = key or self._parking.pick(channel.keys, self._rng, round_robin=rotation)
        if key is None:
            return TestOutcome(False, model, error="the channel has no usable key")
        request = inference_pb2.ChatCompletionRequest(
            model=model,
            messages=[chat_pb2.ChatMessage(role="user", content=_PROMPT)],
            max_tokens=_MAX_TOKENS,
            stream=stream,
        )
        target = Target(channel.base_url, key.secret, channel.upstream_model(model), dict(channel.settings))
        timeout = min(channel.timeout_seconds or self._timeout, self._timeout)
        started = time.monotonic()
        try:
            upstream = adapter.chat_request(request, target)
            if not stream:
                answer = adapter.chat_response(await post_json(self._http, adapter, upstream, timeout))
                usage = answer.usage if answer.HasField("usage") else None
                return TestOutcome(True, model, key.id, time.monotonic() - started, usage=usage)
            parser = adapter.stream_parser()
            ttft: float | None = None
            usage = None
            async for event in post_stream(self._http, adapter, upstream, timeout):
                for response in parser.feed(event):
                    if ttft is None:
                        ttft = time.monotonic() - started
                    if response.HasField("usage"):
                        usage = response.usage
            if ttft is None:
                raise UpstreamError("upstream stream ended before any chunk", retryable=True)
            return TestOutcome(True, model, key.id, time.monotonic() - started, ttft, usage=usage)
        except UpstreamError as exc:
            if exc.key_fault:
                self._parking.park(key.id, exc.reason)
            return TestOutcome(
                False, model, key.id, time.monotonic() - started, None, exc.status or 0, exc.message[:500]
            )
        except Exception as exc:
            log.warning("channel test failed unexpectedly", extra={"channel_id": channel.id}, exc_info=True)
            return TestOutcome(False, model, key.id, time.monotonic() - started, error=type(exc).__name__)
