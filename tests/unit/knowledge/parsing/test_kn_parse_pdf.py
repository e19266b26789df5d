"""PDF: text layer with page numbers, outline headings, and clear refusals."""

from __future__ import annotations

import pytest
from kn_fixtures import encrypted, pdf_bytes

from knowledge.parsing import DocumentRejected, parse_document

PAGES = [
    ["Revenue grew in the first quarter.", "The team shipped three features.", "", "Hiring is on hold."],
    ["Page two explains pgvector HNSW indexes.", "They are approxi-", "mate nearest neighbour indexes."],
    ["The third page is the appendix."],
]


def test_pages_become_numbered_blocks() -> None:
    doc = parse_document(
        pdf_bytes(PAGES, title="Quarterly Report"), filename="q.pdf", media_type="application/pdf"
    )
    assert doc.format == "pdf"
    assert doc.title == "Quarterly Report"
    assert doc.page_count == 3
    pages = {b.page for b in doc.blocks}
    assert pages == {1, 2, 3}
    first = [b.text for b in doc.blocks if b.page == 1]
    assert first == [
        "Revenue grew in the first quarter.\nThe team shipped three features.",
        "Hiring is on hold.",
    ]
    second = next(b for b in doc.blocks if b.page == 2)
    assert "approximate nearest neighbour" in second.text  # hyphenated line break joined
    for block in doc.blocks:
        assert doc.text[block.char_start : block.char_end] == block.text


def test_outline_entries_give_heading_paths() -> None:
    outline = [("Summary", 0, 1), ("Details", 0, 2), ("Indexes", 1, 2), ("Appendix", 0, 3)]
    doc = parse_document(pdf_bytes(PAGES, outline=outline), filename="q.pdf", media_type=None)
    by_page = {b.page: b.heading_path for b in doc.blocks}
    assert by_page == {1: ("Summary",), 2: ("Details", "Indexes"), 3: ("Appendix",)}
    assert doc.title == "q"


def test_detected_by_content_whatever_the_name() -> None:
    doc = parse_document(pdf_bytes(PAGES), filename="upload.bin", media_type="application/octet-stream")
    assert doc.format == "pdf"


def test_password_protected_pdf_is_rejected() -> None:
    data = encrypted(pdf_bytes(PAGES), user_password="secret")
    with pytest.raises(DocumentRejected, match="encrypted"):
        parse_document(data, filename="locked.pdf", media_type="application/pdf")


def test_pdf_restricted_only_by_an_owner_password_is_read() -> None:
    data = encrypted(pdf_bytes(PAGES), user_password="")
    doc = parse_document(data, filename="restricted.pdf", media_type="application/pdf")
    assert doc.blocks[0].text.startswith("Revenue grew")


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[: len(d) // 3],
        lambda d: b"%PDF-1.7\n" + b"\x00garbage" * 50,
        lambda d: d.replace(b"/Contents", b"/Nothing"),
    ],
    ids=["truncated", "garbage", "no-content"],
)
def test_broken_pdf_is_rejected_with_a_reason(damage) -> None:
    with pytest.raises(DocumentRejected) as caught:
        parse_document(damage(pdf_bytes(PAGES)), filename="broken.pdf", media_type="application/pdf")
    assert "PDF" in caught.value.reason


def test_page_limit() -> None:
    from knowledge.parsing import ParseLimits

    with pytest.raises(DocumentRejected, match="pages"):
        parse_document(pdf_bytes(PAGES), filename="q.pdf", media_type=None, limits=ParseLimits(max_pages=2))
