"""Channels pointing at fake upstreams, and a channel source the relay can select from without a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.domain.selection import ChannelIndex
from tests.fakes.llm_upstream import FakeLLMUpstream


@dataclass
class StaticChannels:
    """What the relay needs of the registry: the current index."""

    index: ChannelIndex

    @classmethod
    def of(cls, channels: Sequence[RoutableChannel]) -> StaticChannels:
        return cls(ChannelIndex(list(channels)))


def channel_for(
    upstream: FakeLLMUpstream,
    name: str,
    *,
    kind: str = "openai",
    models: tuple[str, ...] = ("gpt-4o-mini",),
    priority: int = 0,
    keys: tuple[str, ...] = ("sk-upstream",),
    settings: dict[str, Any] | None = None,
    timeout_seconds: float | None = None,
) -> RoutableChannel:
    base = upstream.base_url if settings and "azure_api_version" in settings else f"{upstream.base_url}/v1"
    return RoutableChannel(
        id=f"ch-{name}",
        name=name,
        type=kind,
        base_url=base,
        models=models,
        priority=priority,
        keys=tuple(ChannelKey(f"key-{name}-{i}", secret) for i, secret in enumerate(keys)),
        settings=settings or {},
        timeout_seconds=timeout_seconds,
    )


def chat(
    model: str = "gpt-4o-mini", *, stream: bool = False, **fields: Any
) -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(
        model=model,
        messages=[chat_pb2.ChatMessage(role="user", content="Say hello")],
        stream=stream,
        **fields,
    )
