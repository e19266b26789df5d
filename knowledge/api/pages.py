"""One page of a List RPC: size and offset from the request, the next token from the rows.

Each list asks its store for ``page.limit`` rows (one more than the page) so the presence of
a next page is known without a count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from knowledge.config import KnowledgeSettings
from mesh.paging import decode_offset, encode_offset, page_size

__all__ = ["Page"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    size: int
    offset: int

    @classmethod
    def of(cls, request: Any, config: KnowledgeSettings) -> Page:
        size = page_size(request.page_size, config.default_page_size, config.max_page_size)
        return cls(size, decode_offset(request.page_token))

    @property
    def limit(self) -> int:
        return self.size + 1

    def items(self, rows: Sequence[Any], convert: Callable[[Any], T]) -> list[T]:
        return [convert(row) for row in rows[: self.size]]

    def next_token(self, rows: Sequence[Any]) -> str:
        return encode_offset(self.offset + self.size) if len(rows) > self.size else ""
