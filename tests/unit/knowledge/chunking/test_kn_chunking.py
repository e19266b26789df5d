# ruff: noqa: RUF001  (Chinese test texts use full-width punctuation)
"""Chunking: budgets, overlap, sections, offsets and Chinese sentence boundaries."""

from __future__ import annotations

import itertools
import random

import pytest

from knowledge.chunking import ChunkingSettings, chunk_document
from knowledge.parsing import parse_document
from mesh.tokens import encoding


def _tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def _essay(seed: int, paragraphs: int) -> str:
    rng = random.Random(seed)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()
    out = []
    for _ in range(paragraphs):
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(4, 25))).capitalize() + "."
            for _ in range(rng.randint(1, 10))
        ]
        out.append(" ".join(sentences))
    return "\n\n".join(out)


def test_chunks_respect_the_budget_and_point_into_the_text() -> None:
    source = f"# One\n\n{_essay(1, 12)}\n\n## Two\n\n{_essay(2, 20)}\n"
    doc = parse_document(source.encode(), filename="e.md", media_type=None)
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=120, overlap_tokens=20))
    assert len(chunks) > 5
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.token_count == _tokens(chunk.text) <= 120
    paths = {c.heading_path for c in chunks}
    assert paths == {("One",), ("One", "Two")}
    assert chunks[0].text.startswith("One\n\n")
    # Chunks of a section overlap; the first chunk of the next section does not reach back.
    same_section = [(a, b) for a, b in itertools.pairwise(chunks) if a.heading_path == b.heading_path]
    assert any(b.char_start < a.char_end for a, b in same_section)
    for a, b in itertools.pairwise(chunks):
        if a.heading_path != b.heading_path:
            assert b.char_start >= a.char_end


def test_overlap_stays_within_its_budget_and_starts_at_a_word() -> None:
    doc = parse_document(_essay(3, 30).encode(), filename="e.txt", media_type=None)
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=100, overlap_tokens=30))
    for a, b in itertools.pairwise(chunks):
        shared = doc.text[b.char_start : a.char_end]
        assert _tokens(shared) <= 30
        assert b.char_start == 0 or not doc.text[b.char_start - 1].isalnum()


def test_no_overlap_when_zero() -> None:
    doc = parse_document(_essay(4, 30).encode(), filename="e.txt", media_type=None)
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=100, overlap_tokens=0))
    for a, b in itertools.pairwise(chunks):
        assert b.char_start >= a.char_end


def test_chinese_text_splits_at_sentence_punctuation() -> None:
    text = "".join(f"这是第{i}个句子，用来测试中文分句。" for i in range(200))
    doc = parse_document(text.encode(), filename="zh.txt", media_type=None)
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=80, overlap_tokens=0))
    assert len(chunks) > 5
    for chunk in chunks[:-1]:
        assert chunk.text.endswith("。")
        assert chunk.token_count <= 80


def test_a_word_longer_than_the_budget_is_cut_by_tokens() -> None:
    doc = parse_document(("x" * 5000).encode(), filename="long.txt", media_type=None)
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=50, overlap_tokens=0))
    assert "".join(c.text for c in chunks) == "x" * 5000
    assert all(c.token_count <= 50 for c in chunks)


def test_heading_only_section_joins_its_subsection() -> None:
    doc = parse_document(b"# Top\n\n## Sub\n\nBody text.\n", filename="a.md", media_type=None)
    chunks = chunk_document(doc, ChunkingSettings())
    assert len(chunks) == 1
    assert chunks[0].text == "Top\n\nSub\n\nBody text."
    assert chunks[0].heading_path == ("Top", "Sub")
    assert chunks[0].embedding_text("Doc") == "Doc > Top > Sub\n\nTop\n\nSub\n\nBody text."


def test_custom_separators_replace_the_defaults() -> None:
    doc = parse_document(("a" * 200 + "|" + "b" * 200).encode(), filename="s.txt", media_type=None)
    chunks = chunk_document(doc, ChunkingSettings(chunk_tokens=60, overlap_tokens=0, separators=("|",)))
    assert chunks[0].text.endswith("|") or chunks[0].text.endswith("a")
    assert all(c.token_count <= 60 for c in chunks)


@pytest.mark.parametrize(
    "settings",
    [
        ChunkingSettings(chunk_tokens=4),
        ChunkingSettings(chunk_tokens=100, overlap_tokens=80),
        ChunkingSettings(overlap_tokens=-1),
    ],
)
def test_bad_settings_are_refused(settings: ChunkingSettings) -> None:
    doc = parse_document(b"text", filename="a.txt", media_type=None)
    with pytest.raises(ValueError):
        chunk_document(doc, settings)
