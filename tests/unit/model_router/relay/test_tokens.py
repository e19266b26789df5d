"""Token counting: exact cl100k_base offline, flagged estimates elsewhere, OpenAI's message overhead."""

from __future__ import annotations

import math

from chatmesh.model_router.v1 import chat_pb2

from model_router.tokens import CHARS_PER_TOKEN, counter_for, encoding


def test_cl100k_base_loads_offline_and_counts_exactly() -> None:
    assert encoding().name == "cl100k_base"
    assert encoding().encode("hello world") == [15339, 1917]
    counter = counter_for("gpt-4-turbo")
    assert (counter.encoding_name, counter.estimated) == ("cl100k_base", False)
    assert counter.text("hello world") == 2


def test_o200k_family_is_counted_with_cl100k_and_flagged() -> None:
    counter = counter_for("openai/gpt-4o-mini")
    assert (counter.encoding_name, counter.estimated) == ("cl100k_base", True)


def test_other_models_are_estimated_from_characters() -> None:
    counter = counter_for("claude-sonnet-4")
    assert (counter.encoding_name, counter.estimated) == ("chars", True)
    assert counter.text("x" * 10) == math.ceil(10 / CHARS_PER_TOKEN)


def test_message_overhead_follows_openai_formula() -> None:
    counter = counter_for("gpt-4")
    messages = [
        chat_pb2.ChatMessage(role="system", content="hello world"),
        chat_pb2.ChatMessage(role="user", content="hello", name="bob"),
    ]
    role_tokens = counter.text("system") + counter.text("user")
    expected = 3 + 3 + role_tokens + 2 + 1 + (1 + counter.text("bob")) + 3
    assert counter.messages(messages) == expected
    assert counter.messages([]) == 0
