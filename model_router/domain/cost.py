"""What a request costs, in quota units, computed exactly with integers.

Units: 1 quota unit = one millionth of the billing currency (USD by default). Prices are
quota units per 1M tokens (input, output, cached input) plus a flat per-request price;
a group multiplier scales the whole. The exact cost is a rational number of units
(``tokens * price / 1_000_000 * multiplier``); it is rounded **up** once, at the end, so a
request is never charged less than it cost and rounding never compounds across parts.
No floats anywhere: a multiplier given as a float (the proto's ``double``) is converted
through its shortest decimal text, so ``1.1`` means exactly 11/10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "DEFAULT_COMPLETION_ESTIMATE",
    "TOKENS_PER_PRICE",
    "Price",
    "TokenUsage",
    "completion_estimate",
    "cost",
    "exact_multiplier",
]

TOKENS_PER_PRICE = 1_000_000
# Output tokens assumed by the pre-consume estimate when the request sets no max_tokens:
# large enough for a typical answer, small enough not to lock a nearly empty balance.
DEFAULT_COMPLETION_ESTIMATE = 1024
ONE = Fraction(1)


@dataclass(frozen=True)
class Price:
    """Quota units per 1M tokens, and per request.

    ``cached_input`` 0 means the model has no cache discount: cached prompt tokens are
    charged at ``input``. (A nearly free cache is priced 1 unit per 1M tokens.)
    """

    input: int = 0
    output: int = 0
    cached_input: int = 0
    request: int = 0


@dataclass(frozen=True)
class TokenUsage:
    """Token counts as OpenAI reports them: ``cached`` is the part of ``prompt`` served from cache."""

    prompt: int = 0
    completion: int = 0
    cached: int = 0


def cost(price: Price, usage: TokenUsage, multiplier: Fraction = ONE) -> int:
    """Exact cost in quota units, rounded up once."""
    prompt = max(usage.prompt, 0)
    cached = min(max(usage.cached, 0), prompt)
    cached_price = price.cached_input or price.input
    per_million = (
        (prompt - cached) * price.input + cached * cached_price + max(usage.completion, 0) * price.output
    )
    exact = (Fraction(per_million, TOKENS_PER_PRICE) + price.request) * multiplier
    return max(math.ceil(exact), 0)


def exact_multiplier(value: float | str | Decimal) -> Fraction:
    """A multiplier as an exact fraction (floats through their shortest decimal text)."""
    return Fraction(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))


def completion_estimate(max_tokens: int | None, max_completion_tokens: int | None, choices: int = 1) -> int:
    """Output tokens to pre-consume: the request's own limit (the smaller when both are set),
    else :data:`DEFAULT_COMPLETION_ESTIMATE`, times the number of choices."""
    limits = [limit for limit in (max_tokens, max_completion_tokens) if limit is not None and limit > 0]
    per_choice = min(limits) if limits else DEFAULT_COMPLETION_ESTIMATE
    return per_choice * max(choices, 1)
