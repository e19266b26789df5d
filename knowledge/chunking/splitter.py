"""Structure-aware recursive splitting of a parsed document into token-bounded chunks.

A chunk never crosses a heading: blocks are grouped into sections by heading path (a section
that is only a heading joins the section after it, so "# Guide" + "## Install" do not make a
one-word chunk). Inside a section, blocks are packed greedily up to the budget; a block that
is too big alone is cut at the first separator level that helps — blank lines, lines,
sentence ends (". ! ?" and the Chinese full stop, exclamation, question mark and
semicolon), clause breaks, spaces — and, as a last
resort, at token boundaries. Every piece is a span of the document's canonical text, so a
chunk's text is exactly ``doc.text[char_start:char_end]`` and a citation points at it.
Consecutive chunks of one section share about ``overlap_tokens`` tokens: the next chunk
starts at a word (or CJK character) boundary inside the tail of the previous one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge.chunking.settings import Chunk, ChunkingSettings
from knowledge.parsing.document import Block, ParsedDocument

__all__ = ["chunk_document"]

TokenCounter = Callable[[str], int]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_STOPS = "\u3002\uff01\uff1f\uff1b"  # full-width full stop, exclamation, question mark, semicolon
_CJK_CLAUSE = "\uff0c\u3001\uff1a"  # full-width comma, enumeration comma, colon
_CLOSERS = "\"')\\]\u2019\u201d\u300d\u300f"  # closing quotes and brackets after a sentence end
# Each level splits *after* the match, so punctuation stays with the text before it.
_DEFAULT_LEVELS = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n"),
    re.compile(rf"(?<=[.!?])[{_CLOSERS}]*\s+|[{_CJK_STOPS}][{_CLOSERS}]*\s*|(?<=[.!?])(?=[{_CJK}])"),
    re.compile(rf"[;:,]\s+|[{_CJK_CLAUSE}]\s*"),
    re.compile(r"\s+"),
)
# Where an overlap may begin: after whitespace or next to a CJK character; preferably at
# the start of a sentence.
_WORD_START = re.compile(rf"(?<=\s)\S|(?<=[{_CJK}])|(?=[{_CJK}])")
_SENTENCE_START = re.compile(rf"(?<=[.!?])[{_CLOSERS}]*\s+(?=\S)|(?<=[{_CJK_STOPS}])[{_CLOSERS}]*")


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    tokens: int


@dataclass(slots=True)
class _Section:
    heading_path: tuple[str, ...]
    blocks: list[Block]


def chunk_document(
    doc: ParsedDocument, settings: ChunkingSettings, *, count_tokens: TokenCounter | None = None
) -> list[Chunk]:
    """Chunks of ``doc`` in reading order, numbered from 0."""
    settings.validate()
    counter = count_tokens or _cl100k_count
    levels = _levels(settings.separators)
    pages = _PageIndex(doc.blocks)
    chunks: list[Chunk] = []
    for section in _sections(doc.blocks):
        splitter = _SectionSplitter(doc.text, settings, counter, levels)
        for start, end, tokens in splitter.split(section.blocks):
            chunks.append(
                Chunk(
                    index=len(chunks),
                    text=doc.text[start:end],
                    token_count=tokens,
                    heading_path=section.heading_path,
                    page=pages.page_at(start),
                    page_end=pages.page_at(end - 1),
                    char_start=start,
                    char_end=end,
                )
            )
    return chunks


def _cl100k_count(text: str) -> int:
    from mesh.tokens import encoding

    return len(encoding().encode(text, disallowed_special=())) if text else 0


def _levels(separators: Sequence[str] | None) -> tuple[re.Pattern[str], ...]:
    if not separators:
        return _DEFAULT_LEVELS
    return tuple(re.compile(re.escape(sep)) for sep in separators if sep)


def _sections(blocks: Sequence[Block]) -> list[_Section]:
    sections: list[_Section] = []
    for block in blocks:
        current = sections[-1] if sections else None
        if current is not None and current.heading_path == block.heading_path and block.kind != "heading":
            current.blocks.append(block)
            continue
        if (
            current is not None
            and all(b.kind == "heading" for b in current.blocks)
            and block.heading_path[: len(current.heading_path)] == current.heading_path
        ):
            # A heading with nothing under it but a subsection: carry it into the subsection.
            current.heading_path = block.heading_path
            current.blocks.append(block)
            continue
        sections.append(_Section(block.heading_path, [block]))
    return sections


class _PageIndex:
    def __init__(self, blocks: Sequence[Block]) -> None:
        self._starts = [b.char_start for b in blocks]
        self._pages = [b.page for b in blocks]

    def page_at(self, offset: int) -> int | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self._pages[max(i, 0)] if self._pages else None


class _SectionSplitter:
    def __init__(
        self,
        text: str,
        settings: ChunkingSettings,
        counter: TokenCounter,
        levels: tuple[re.Pattern[str], ...],
    ) -> None:
        self._text = text
        self._budget = settings.chunk_tokens
        self._overlap = settings.overlap_tokens
        self._count = counter
        self._levels = levels

    def _span(self, start: int, end: int) -> _Span:
        return _Span(start, end, self._count(self._text[start:end]))

    def split(self, blocks: Sequence[Block]) -> list[tuple[int, int, int]]:
        pieces: list[_Span] = []
        for block in blocks:
            pieces.extend(self._fit(self._span(block.char_start, block.char_end), 0))
        return self._pack(pieces)

    def _fit(self, span: _Span, level: int) -> list[_Span]:
        """``span`` cut into pieces of at most the budget, at the coarsest separator that helps."""
        if span.tokens <= self._budget:
            return [span]
        while level < len(self._levels):
            cuts = self._cuts(span, self._levels[level])
            level += 1
            if len(cuts) > 1:
                out: list[_Span] = []
                for start, end in cuts:
                    out.extend(self._fit(self._span(start, end), level))
                return out
        return self._by_tokens(span)

    def _cuts(self, span: _Span, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        cuts: list[tuple[int, int]] = []
        start = span.start
        for match in pattern.finditer(self._text, span.start, span.end):
            end = match.end()
            if end <= start or end >= span.end:
                continue
            # The piece keeps the separator's punctuation, not its trailing white space.
            piece_end = match.start() + len(match.group(0).rstrip())
            if piece_end > start:
                cuts.append((start, piece_end))
            start = end
        if start < span.end:
            cuts.append((start, span.end))
        return cuts

    def _by_tokens(self, span: _Span) -> list[_Span]:
        """The last resort: the longest prefixes that fit, found by bisecting on characters."""
        out: list[_Span] = []
        start = span.start
        while start < span.end:
            lo, hi = start + 1, span.end
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self._count(self._text[start:mid]) <= self._budget:
                    lo = mid
                else:
                    hi = mid - 1
            out.append(self._span(start, lo))
            start = lo
        return out

    def _pack(self, pieces: list[_Span]) -> list[tuple[int, int, int]]:
        chunks: list[tuple[int, int, int]] = []
        i = 0
        carry: int | None = None  # where the next chunk starts when it overlaps the previous one
        while i < len(pieces):
            start = pieces[i].start if carry is None else carry
            end = pieces[i].end
            tokens = self._count(self._text[start:end])
            if carry is not None and tokens > self._budget:
                start, carry = pieces[i].start, None
                tokens = pieces[i].tokens
            j = i + 1
            while j < len(pieces):
                gap = self._count(self._text[pieces[j - 1].end : pieces[j].start])
                estimate = tokens + gap + pieces[j].tokens
                if estimate > self._budget:
                    break
                end, tokens = pieces[j].end, estimate
                j += 1
            # The sum of the parts is an estimate (BPE may merge across a seam): count exactly
            # once and give back pieces in the rare case the whole is over budget.
            tokens = self._count(self._text[start:end])
            while tokens > self._budget and j > i + 1:
                j -= 1
                end = pieces[j - 1].end
                tokens = self._count(self._text[start:end])
            chunks.append((start, end, tokens))
            carry = self._overlap_start(start, end) if j < len(pieces) else None
            i = j
        return chunks

    def _overlap_start(self, start: int, end: int) -> int | None:
        """The earliest word boundary in (start, end) whose tail holds at most the overlap."""
        if self._overlap <= 0:
            return None
        window_start = max(start + 1, end - self._overlap * 8)
        boundaries = [m.start() for m in _WORD_START.finditer(self._text, window_start, end)]
        lo, hi = 0, len(boundaries)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._count(self._text[boundaries[mid] : end]) <= self._overlap:
                hi = mid
            else:
                lo = mid + 1
        if lo == len(boundaries):
            return None
        earliest = boundaries[lo]
        for match in _SENTENCE_START.finditer(self._text, earliest, end):
            sentence = match.end()
            if sentence < end and self._count(self._text[sentence:end]) * 3 >= self._overlap:
                return sentence
            break
        return earliest
