"""model_router's token counting lives in :mod:`mesh.tokens` (conversation sizes its context windows
with the same counts); this module keeps the old import path working."""

from __future__ import annotations

from mesh.tokens import (
    CHARS_PER_TOKEN,
    REPLY_PRIMING,
    TOKENS_PER_MESSAGE,
    TOKENS_PER_NAME,
    Counter,
    counter_for,
    encoding,
)

__all__ = [
    "CHARS_PER_TOKEN",
    "REPLY_PRIMING",
    "TOKENS_PER_MESSAGE",
    "TOKENS_PER_NAME",
    "Counter",
    "counter_for",
    "encoding",
]
