"""Prices and group multipliers in memory, for pricing a request without a query.

Loaded from every price version (``model_price_history``), so a version whose
``effective_at`` lies in the future takes over by itself when its time comes, and a deleted
price stops at its deletion. A model is priced by the most specific live price: an exact
name first, else the wildcard pattern (``claude-*``) with the most literal characters.
Changes made on this instance are visible at once (:meth:`PriceBook.reload` after each
write); other instances pick them up within ``reload_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from fractions import Fraction
from typing import Any

from model_router.domain.cost import ONE, Price, exact_multiplier
from model_router.store.prices import PriceStore

__all__ = ["DEFAULT_RELOAD_SECONDS", "PriceBook", "PriceTable"]

log = logging.getLogger(__name__)

DEFAULT_RELOAD_SECONDS = 3.0
_WILDCARDS = frozenset("*?[")


@dataclass(frozen=True)
class _Version:
    price_id: str
    version: int
    model: str
    effective_at: datetime
    price: Price | None  # None: deleted from this version on


class PriceTable:
    """Every price version and multiplier; pure lookups (tested without a database)."""

    def __init__(self, versions: Iterable[_Version], multipliers: dict[str, Fraction]) -> None:
        self._versions = sorted(versions, key=lambda v: (v.effective_at, v.version))
        self._multipliers = multipliers
        self._resolved_at: datetime | None = None
        self._valid_until: datetime | None = None
        self._exact: dict[str, Price] = {}
        self._patterns: list[tuple[int, str, Price]] = []

    @classmethod
    def from_rows(cls, versions: Iterable[Any], multipliers: Iterable[Any]) -> PriceTable:
        return cls(
            (
                _Version(
                    str(row.price_id),
                    int(row.version),
                    row.model,
                    row.effective_at,
                    None
                    if row.action == "delete"
                    else Price(row.input_price, row.output_price, row.cached_input_price, row.request_price),
                )
                for row in versions
            ),
            {row.group_id: exact_multiplier(row.multiplier) for row in multipliers},
        )

    def multiplier(self, group: str) -> Fraction:
        return self._multipliers.get(group, ONE)

    def price(self, model: str, at: datetime | None = None) -> Price | None:
        self._resolve(at or datetime.now(UTC))
        exact = self._exact.get(model)
        if exact is not None:
            return exact
        for _, pattern, price in self._patterns:
            if fnmatchcase(model, pattern):
                return price
        return None

    def _resolve(self, at: datetime) -> None:
        fresh = self._resolved_at is not None and self._resolved_at <= at
        if fresh and (self._valid_until is None or at < self._valid_until):
            return
        current: dict[str, _Version] = {}
        self._valid_until = None
        for version in self._versions:
            if version.effective_at > at:
                self._valid_until = version.effective_at
                break
            current[version.price_id] = version
        live = [v for v in current.values() if v.price is not None]
        self._exact = {v.model: v.price for v in live if not _WILDCARDS & set(v.model) and v.price}
        patterns = [
            (sum(ch not in _WILDCARDS for ch in v.model), v.model, v.price)
            for v in live
            if _WILDCARDS & set(v.model) and v.price
        ]
        self._patterns = sorted(patterns, key=lambda item: -item[0])
        self._resolved_at = at


class PriceBook:
    """The current :class:`PriceTable`, reloaded periodically and after local writes."""

    def __init__(self, store: PriceStore, *, reload_seconds: float = DEFAULT_RELOAD_SECONDS) -> None:
        self._store = store
        self._reload_seconds = reload_seconds
        self._table = PriceTable([], {})
        self._task: asyncio.Task[None] | None = None

    @property
    def table(self) -> PriceTable:
        return self._table

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._refresh(), name="model_router.price_book")

    async def reload(self) -> None:
        versions, multipliers = await self._store.all_versions(), await self._store.multipliers()
        self._table = PriceTable.from_rows(versions, multipliers)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._reload_seconds)
            try:
                await self.reload()
            except Exception:
                log.warning("price reload failed; keeping the last prices", exc_info=True)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
