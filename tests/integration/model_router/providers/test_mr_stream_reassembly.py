"""Every adapter: a streamed answer reassembles into exactly the non-streamed one.

Same fake reply (thinking, text, two tool calls, cached tokens) asked for twice from each
provider's fake — once as JSON, once as a stream — and compared field by field: content,
reasoning, tool-call ids/names/arguments, finish reason and the full usage block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from model_router.adapters import Target, adapter_for
from tests.fakes.llm_dashscope import FakeDashScope
from tests.fakes.llm_gemini import FakeGemini
from tests.fakes.llm_upstream import FakeLLMUpstream
from tests.integration.model_router.providers.provider_support import (
    TOOL_REPLY,
    WEATHER,
    answer,
    chat,
    reassemble,
    stream_usage,
    streamed,
)


@dataclass(frozen=True)
class Provider:
    kind: str
    model: str
    fake: Callable[[], FakeLLMUpstream]
    path: str  # appended to the fake's base URL


PROVIDERS = [
    Provider("openai", "gpt-4o-mini", FakeLLMUpstream, "/v1"),
    Provider("anthropic", "claude-sonnet-4", FakeLLMUpstream, "/v1"),
    Provider("gemini", "gemini-2.5-flash", FakeGemini, ""),
    Provider("dashscope", "qwen-plus", FakeDashScope, ""),
]


@pytest.mark.parametrize("provider", PROVIDERS, ids=[p.kind for p in PROVIDERS])
async def test_stream_reassembles_to_the_json_answer(provider: Provider, http: httpx.AsyncClient) -> None:
    fake = provider.fake()
    fake.reply = TOOL_REPLY
    adapter = adapter_for(provider.kind)
    assert adapter is not None
    async with fake.running():
        where = Target(f"{fake.base_url}{provider.path}", "key-upstream", provider.model)
        whole = await answer(http, adapter, chat(provider.model, tools=[WEATHER]), where)
        responses, parser_usage = await streamed(
            http, adapter, chat(provider.model, stream=True, tools=[WEATHER]), where
        )
    expected = whole.choices[0]
    got = reassemble(responses)
    assert got.message.content == expected.message.content == TOOL_REPLY.text
    assert got.message.reasoning_content == expected.message.reasoning_content
    assert got.finish_reason == expected.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, c.function.arguments) for c in got.message.tool_calls] == [
        (c.id, c.function.name, c.function.arguments) for c in expected.message.tool_calls
    ]
    assert [c.function.arguments for c in got.message.tool_calls] == [
        c.arguments for c in TOOL_REPLY.tool_calls
    ]
    assert parser_usage == stream_usage(responses) == whole.usage
    assert whole.usage.completion_tokens == TOOL_REPLY.completion_tokens
