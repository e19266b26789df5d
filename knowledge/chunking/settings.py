"""Chunking settings (per knowledge base) and the chunk value type."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_CHUNK_TOKENS", "Chunk", "ChunkingSettings"]

MAX_CHUNK_TOKENS = 8192


@dataclass(frozen=True, slots=True)
class ChunkingSettings:
    """Budget in cl100k tokens per chunk and the overlap between consecutive chunks.

    ``separators``, when given, replace the built-in split levels inside a block (blank line,
    line, sentence, clause, space); each is a literal string and the text is cut after it.
    """

    chunk_tokens: int = 400
    overlap_tokens: int = 50
    separators: tuple[str, ...] | None = None

    def validate(self) -> None:
        """Raises ValueError naming the bad field (the API maps it to INVALID_ARGUMENT)."""
        if not 16 <= self.chunk_tokens <= MAX_CHUNK_TOKENS:
            raise ValueError(f"chunk_tokens must be between 16 and {MAX_CHUNK_TOKENS}")
        if not 0 <= self.overlap_tokens <= self.chunk_tokens // 2:
            raise ValueError("overlap_tokens must be between 0 and half of chunk_tokens")
        if self.separators is not None and len(self.separators) > 16:
            raise ValueError("at most 16 separators")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable piece: ``text == document.text[char_start:char_end]``.

    ``page`` is the page where the chunk starts and ``page_end`` where it ends (None for
    formats without pages); ``heading_path`` is its section's headings, outermost first.
    """

    index: int
    text: str
    token_count: int
    heading_path: tuple[str, ...]
    page: int | None
    char_start: int
    char_end: int
    page_end: int | None = None

    def embedding_text(self, title: str = "") -> str:
        """The text to embed: title and headings first, so a chunk is found by its context."""
        context = " > ".join(part for part in (title, *self.heading_path) if part)
        return f"{context}\n\n{self.text}" if context else self.text
