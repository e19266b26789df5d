"""Cost in quota units: exact integer arithmetic, rounded up once."""

from __future__ import annotations

from fractions import Fraction

from model_router.domain.cost import (
    DEFAULT_COMPLETION_ESTIMATE,
    Price,
    TokenUsage,
    completion_estimate,
    cost,
    exact_multiplier,
)


def test_token_prices_are_per_million_tokens() -> None:
    price = Price(input=2_500_000, output=10_000_000)
    assert cost(price, TokenUsage(prompt=1_000, completion=200)) == 2_500 + 2_000


def test_fractions_round_up_once_at_the_end() -> None:
    price = Price(input=300_000, output=300_000)  # 0.3 units per token each way
    assert cost(price, TokenUsage(prompt=1, completion=1)) == 1  # 0.6, not 1 + 1 from rounding each part
    assert cost(price, TokenUsage(prompt=3, completion=1)) == 2  # 1.2 rounds up
    assert cost(price, TokenUsage(prompt=10, completion=0)) == 3
    assert cost(price, TokenUsage()) == 0


def test_cached_tokens_use_their_price_or_the_input_price() -> None:
    discounted = Price(input=1_000_000, output=0, cached_input=250_000)
    assert cost(discounted, TokenUsage(prompt=100, cached=40)) == 60 + 10
    no_discount = Price(input=1_000_000)
    assert cost(no_discount, TokenUsage(prompt=100, cached=40)) == 100
    assert cost(discounted, TokenUsage(prompt=10, cached=99)) == 3  # cached never exceeds prompt: 10 * 0.25


def test_request_price_and_multiplier_are_exact() -> None:
    price = Price(input=1_000_000, request=1_000)
    assert cost(price, TokenUsage(prompt=10), exact_multiplier(1.1)) == 1_111
    assert exact_multiplier(1.1) == Fraction(11, 10)
    assert cost(price, TokenUsage(prompt=10), Fraction(0)) == 0
    assert isinstance(cost(price, TokenUsage(prompt=10**12), exact_multiplier("0.3")), int)


def test_completion_estimate() -> None:
    assert completion_estimate(None, None) == DEFAULT_COMPLETION_ESTIMATE
    assert completion_estimate(100, None) == 100
    assert completion_estimate(100, 40) == 40
    assert completion_estimate(None, 40, choices=3) == 120
    assert completion_estimate(0, None) == DEFAULT_COMPLETION_ESTIMATE
