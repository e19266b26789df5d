# ruff: noqa: RUF001  (Chinese test texts use full-width punctuation)
"""Plain text and Markdown parsing: blocks, heading paths, offsets into the canonical text."""

from __future__ import annotations

import pytest

from knowledge.parsing import DocumentRejected, ParsedDocument, parse_document


def _offsets_hold(doc: ParsedDocument) -> None:
    for block in doc.blocks:
        assert doc.text[block.char_start : block.char_end] == block.text


def test_plain_text_paragraphs_split_on_blank_lines() -> None:
    doc = parse_document(
        b"First line\r\nsame paragraph\r\n\r\n\r\nSecond one  \n",
        filename="notes.txt",
        media_type="text/plain",
    )
    assert doc.format == "text"
    assert doc.title == "notes"
    assert [b.text for b in doc.blocks] == ["First line\nsame paragraph", "Second one"]
    assert doc.text == "First line\nsame paragraph\n\nSecond one"
    _offsets_hold(doc)


def test_markdown_headings_make_heading_paths() -> None:
    source = (
        "# Guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n"
        "```\n# not a heading\n```\n\n### Linux\n\nUse apt.\n\n## Use\n\n- one\n- two\n\n"
        "Setext title\n============\n\nUnder setext.\n"
    )
    doc = parse_document(source.encode(), filename="guide.md", media_type=None)
    assert doc.format == "markdown"
    assert doc.title == "Guide"
    by_text = {b.text: b for b in doc.blocks}
    assert by_text["Intro text."].heading_path == ("Guide",)
    assert by_text["Run the installer."].heading_path == ("Guide", "Install")
    assert by_text["# not a heading"].kind == "code"
    assert by_text["# not a heading"].heading_path == ("Guide", "Install")
    assert by_text["Use apt."].heading_path == ("Guide", "Install", "Linux")
    assert by_text["- one\n- two"].heading_path == ("Guide", "Use")
    assert by_text["- one\n- two"].kind == "list"
    assert by_text["Under setext."].heading_path == ("Setext title",)
    assert by_text["Install"].kind == "heading"
    _offsets_hold(doc)


def test_markdown_front_matter_gives_the_title_and_is_not_text() -> None:
    doc = parse_document(
        b"---\ntitle: 'Handbook'\nauthor: x\n---\n# Chapter\n\nBody.\n",
        filename="h.md",
        media_type="text/markdown",
    )
    assert doc.title == "Handbook"
    assert "author" not in doc.text
    _offsets_hold(doc)


def test_chinese_text_in_gb18030_is_decoded() -> None:
    doc = parse_document("第一段。\n\n第二段！".encode("gb18030"), filename="zh.txt", media_type=None)
    assert [b.text for b in doc.blocks] == ["第一段。", "第二段！"]


def test_declared_charset_is_used() -> None:
    doc = parse_document(
        "café crème".encode("latin-1"), filename="a.txt", media_type="text/plain; charset=latin-1"
    )
    assert doc.text == "café crème"


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "empty.txt", "empty"),
        (b"  \n\n ", "blank.md", "empty"),
        (b"\x89PNG\r\n\x1a\n....", "image.txt", "PNG"),
        (b"abc\x00\x01\x02def", "binary.txt", "binary"),
        (b"just text", "report.pdf", "PDF"),
    ],
)
def test_unreadable_inputs_are_rejected_with_a_reason(data: bytes, filename: str, reason: str) -> None:
    with pytest.raises(DocumentRejected) as caught:
        parse_document(data, filename=filename, media_type=None)
    assert reason in caught.value.reason


def test_size_limit() -> None:
    from knowledge.parsing import ParseLimits

    with pytest.raises(DocumentRejected, match="limit"):
        parse_document(b"x" * 100, filename="a.txt", media_type=None, limits=ParseLimits(max_bytes=10))
    with pytest.raises(DocumentRejected, match="characters"):
        parse_document(
            b"word " * 100, filename="a.txt", media_type=None, limits=ParseLimits(max_text_chars=50)
        )


def test_extension_beats_a_generic_text_plain() -> None:
    assert parse_document(b"# T\n\nx", filename="a.md", media_type="text/plain").format == "markdown"
    assert parse_document(b"a,b\n1,2", filename="a.csv", media_type="text/plain").format == "csv"
    assert parse_document(b"# T", filename="a.md", media_type="application/octet-stream").format == "markdown"
    assert parse_document(b"# T", filename="a.txt", media_type="text/markdown").format == "markdown"
