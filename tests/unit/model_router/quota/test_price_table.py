"""Price lookup: exact names before patterns, the most specific pattern, versions by effective time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from model_router.domain.cost import Price
from model_router.quota.price_book import PriceTable

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def version(
    price_id: str, number: int, model: str, output: int, *, at: datetime = NOW, action: str = "create"
) -> SimpleNamespace:
    return SimpleNamespace(
        price_id=price_id,
        version=number,
        model=model,
        effective_at=at,
        action=action,
        input_price=1,
        output_price=output,
        cached_input_price=0,
        request_price=0,
    )


def test_exact_then_most_specific_pattern() -> None:
    table = PriceTable.from_rows(
        [
            version("a", 1, "gpt-*", 10),
            version("b", 2, "gpt-4o*", 20),
            version("c", 3, "gpt-4o-mini", 30),
            version("d", 4, "*", 1),
        ],
        [],
    )
    assert table.price("gpt-4o-mini", NOW) == Price(1, 30)
    assert table.price("gpt-4o-2024", NOW) == Price(1, 20)
    assert table.price("gpt-3.5", NOW) == Price(1, 10)
    assert table.price("claude", NOW) == Price(1, 1)


def test_versions_apply_from_their_effective_time_and_deletion_stops_pricing() -> None:
    later = NOW + timedelta(hours=1)
    table = PriceTable.from_rows(
        [
            version("a", 1, "m", 10, at=NOW - timedelta(days=1)),
            version("a", 2, "m", 20, at=later, action="update"),
            version("a", 3, "m", 20, at=later + timedelta(hours=1), action="delete"),
        ],
        [],
    )
    assert table.price("m", NOW - timedelta(days=2)) is None
    assert table.price("m", NOW) == Price(1, 10)
    assert table.price("m", later) == Price(1, 20)
    assert table.price("m", later + timedelta(hours=2)) is None


def test_multipliers_are_exact_and_default_to_one() -> None:
    table = PriceTable.from_rows([], [SimpleNamespace(group_id="vip", multiplier=Decimal("0.85"))])
    assert table.multiplier("vip").limit_denominator() == table.multiplier("vip")
    assert str(table.multiplier("vip")) == "17/20"
    assert table.multiplier("default") == 1
