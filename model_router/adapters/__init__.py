"""Provider adapters behind one interface, looked up by a channel's type."""

from __future__ import annotations

from model_router.adapters.anthropic import AnthropicAdapter
from model_router.adapters.base import Adapter, HttpRequest, SseEvent, StreamParser, Target, UpstreamError
from model_router.adapters.openai import OpenAIAdapter

__all__ = [
    "Adapter",
    "HttpRequest",
    "SseEvent",
    "StreamParser",
    "Target",
    "UpstreamError",
    "adapter_for",
]

# Channel types that speak OpenAI's dialect; each is only a name for the same adapter.
OPENAI_COMPATIBLE = frozenset(
    {
        "openai",
        "azure",
        "deepseek",
        "moonshot",
        "qwen",
        "dashscope",
        "zhipu",
        "minimax",
        "vllm",
        "ollama",
        "llamacpp",
    }
)
_ADAPTERS: dict[str, Adapter] = {"anthropic": AnthropicAdapter()}
_OPENAI = OpenAIAdapter()


def adapter_for(channel_type: str) -> Adapter | None:
    """The adapter for a channel type; None for a type this build has no adapter for."""
    if channel_type in OPENAI_COMPATIBLE:
        return _OPENAI
    return _ADAPTERS.get(channel_type)
