"""Report rows as CSV (RFC 4180, header first) or JSON Lines, cut into chunks of bounded size."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

__all__ = ["CONTENT_TYPES", "chunks"]

CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Encoder:
    def __init__(self, fmt: str, columns: Sequence[str]) -> None:
        self.fmt = fmt
        self.columns = list(columns)
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")

    def header(self) -> str:
        if self.fmt != "csv":
            return ""
        self._csv.writerow(self.columns)
        return self._take()

    def row(self, values: Sequence[Any]) -> str:
        plain = [_plain(value) for value in values]
        if self.fmt == "csv":
            self._csv.writerow(["" if v is None else v for v in plain])
            return self._take()
        return json.dumps(dict(zip(self.columns, plain, strict=True)), separators=(",", ":")) + "\n"

    def _take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


async def chunks(
    fmt: str, columns: Sequence[str], rows: AsyncIterator[Sequence[Any]], chunk_bytes: int
) -> AsyncIterator[tuple[bytes, int]]:
    """(bytes, rows so far) pieces of at least ``chunk_bytes`` (the last may be smaller)."""
    encoder = _Encoder(fmt, columns)
    pending: list[str] = [encoder.header()]
    size = len(pending[0])
    count = 0
    async for values in rows:
        text = encoder.row(values)
        pending.append(text)
        size += len(text)
        count += 1
        if size >= chunk_bytes:
            yield "".join(pending).encode(), count
            pending, size = [], 0
    if pending or count == 0:
        yield "".join(pending).encode(), count
