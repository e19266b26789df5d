"""The parsed form of a document: one canonical text and the structural blocks inside it.

Every parser produces blocks through :class:`TextBuilder`, which joins them with a blank line
into ``ParsedDocument.text`` and records where each block sits. Chunks and citations carry
offsets into that text, so "page 3, characters 1200-1450" always means the same characters,
whatever format the original was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["BLOCK_SEPARATOR", "Block", "BlockKind", "DocumentRejected", "ParsedDocument", "TextBuilder"]

BlockKind = Literal["heading", "paragraph", "list", "code", "table", "table_row", "record", "page"]

BLOCK_SEPARATOR = "\n\n"
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


class DocumentRejected(Exception):
    """The document cannot be indexed; ``reason`` says why in words a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Block:
    """A structural unit of the text: ``text == document.text[char_start:char_end]``.

    ``heading_path`` lists the enclosing headings, outermost first; a heading block's path
    ends with the heading itself, so a heading and the paragraphs under it share one path.
    ``page`` is 1-based (PDF) or None where the format has no fixed pages.
    """

    text: str
    kind: BlockKind
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    char_start: int = 0
    char_end: int = 0


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document's canonical text, its blocks in reading order and what was detected."""

    title: str
    blocks: list[Block]
    text: str = ""
    format: str = "text"
    page_count: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def normalize_text(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


class TextBuilder:
    """Assembles the canonical text block by block, keeping each block's offsets.

    ``max_chars`` bounds the extracted text: a document past it is rejected here rather than
    handed on to chunking and embedding.
    """

    def __init__(self, *, max_chars: int) -> None:
        self._parts: list[str] = []
        self._blocks: list[Block] = []
        self._length = 0
        self._max_chars = max_chars

    @property
    def blocks(self) -> list[Block]:
        return self._blocks

    def add(
        self,
        text: str,
        kind: BlockKind = "paragraph",
        *,
        heading_path: tuple[str, ...] = (),
        page: int | None = None,
        normalize: bool = True,
    ) -> Block | None:
        """Append one block (empty text is skipped and returns None)."""
        if normalize:
            text = normalize_text(text)
        if not text:
            return None
        if self._parts:
            self._parts.append(BLOCK_SEPARATOR)
            self._length += len(BLOCK_SEPARATOR)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        if self._length > self._max_chars:
            raise DocumentRejected(
                f"the extracted text is longer than the limit of {self._max_chars:,} characters"
            )
        block = Block(text, kind, heading_path, page, start, self._length)
        self._blocks.append(block)
        return block

    def build(
        self,
        *,
        title: str,
        format: str,
        page_count: int | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ParsedDocument:
        if not self._blocks:
            raise DocumentRejected(f"the {format} document contains no text")
        return ParsedDocument(
            title=_one_line(title),
            blocks=list(self._blocks),
            text="".join(self._parts),
            format=format,
            page_count=page_count,
            metadata=dict(metadata or {}),
        )


class HeadingStack:
    """The current heading path while walking a document: a new heading of level n replaces
    every open heading of level n or deeper."""

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []

    def push(self, level: int, text: str) -> tuple[str, ...]:
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        self._open.append((level, _one_line(text)))
        return self.path

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._open)


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
