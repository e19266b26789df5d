"""Provider adapters behind one interface, looked up by a channel's type."""

from __future__ import annotations

from model_router.adapters.anthropic import AnthropicAdapter
from model_router.adapters.base import Adapter, HttpRequest, SseEvent, StreamParser, Target, UpstreamError
from model_router.adapters.dashscope import DashScopeAdapter
from model_router.adapters.gemini import GeminiAdapter
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
# "qwen" is DashScope's OpenAI-compatible mode; "dashscope" is its native API (own adapter).
OPENAI_COMPATIBLE = frozenset(
    {
        "openai",
        "azure",
        "deepseek",
        "moonshot",
        "qwen",
        "zhipu",
        "minimax",
        "vllm",
        "ollama",
        "llamacpp",
    }
)
_ADAPTERS: dict[str, Adapter] = {
    "anthropic": AnthropicAdapter(),
    "gemini": GeminiAdapter(),
    "dashscope": DashScopeAdapter(),
}
_OPENAI = OpenAIAdapter()


def adapter_for(channel_type: str) -> Adapter | None:
    """The adapter for a channel type; None for a type this build has no adapter for."""
    if channel_type in OPENAI_COMPATIBLE:
        return _OPENAI
    return _ADAPTERS.get(channel_type)
