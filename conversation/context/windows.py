"""How many tokens a model's context window holds.

model_router's GetModel reports ``abilities.max_context_tokens`` when an operator configured
it; when it does not (or model_router is unreachable), these documented defaults per family
apply, matched by name prefix after any ``provider/`` part. Unknown models get
:data:`DEFAULT_WINDOW`, small enough to be safe on any current chat model.
"""

from __future__ import annotations

__all__ = ["DEFAULT_WINDOW", "FAMILY_WINDOWS", "default_window", "usable_tokens"]

DEFAULT_WINDOW = 8_192

FAMILY_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4-32k", 32_768),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-5", 400_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("claude", 200_000),
    ("gemini-1.5", 1_048_576),
    ("gemini-2", 1_048_576),
    ("gemini", 32_768),
    ("qwen-long", 1_000_000),
    ("qwen", 131_072),
    ("deepseek", 65_536),
    ("glm-4", 128_000),
    ("moonshot", 128_000),
    ("llama-3", 128_000),
    ("mistral", 32_768),
)

DEFAULT_RESERVE = 1_024


def default_window(model: str) -> int:
    """The family default for ``model`` (longest matching prefix wins)."""
    name = model.rsplit("/", 1)[-1].lower()
    best = ("", DEFAULT_WINDOW)
    for prefix, window in FAMILY_WINDOWS:
        if name.startswith(prefix) and len(prefix) > len(best[0]):
            best = (prefix, window)
    return best[1]


def usable_tokens(window: int, reserve: int) -> int:
    """Tokens the prompt may use: the window minus what the completion needs (``reserve``;
    0 means :data:`DEFAULT_RESERVE`, capped at a quarter of the window)."""
    wanted = reserve if reserve > 0 else min(DEFAULT_RESERVE, window // 4)
    return max(window - wanted, 1)
