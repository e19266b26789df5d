"""PDF: the text layer, page by page, with 1-based page numbers on every block.

pypdf reads the file (pure Python, no system libraries). A PDF that needs a password is
rejected (one whose encryption only restricts printing or copying opens with the empty
user password and is read); a damaged file, one with more than ``max_pages`` pages, or one
with no text layer at all (scanned images: OCR is not done here) is rejected with a reason.
A page's text is read in pypdf's layout mode, so vertical gaps become blank lines that
split paragraphs; lines broken by a hyphen are joined.
When the PDF has an outline (bookmarks), each page's heading path is the chain of outline
entries open at that page.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PdfStreamError

from knowledge.parsing.document import DocumentRejected, ParsedDocument, TextBuilder
from knowledge.parsing.limits import ParseLimits

__all__ = ["parse_pdf"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_SPACE_RUN = re.compile(r"[ \t\u00a0]+")
_MAX_OUTLINE_ENTRIES = 10_000
_PLACEHOLDER_TITLES = frozenset({"untitled", "untitled document", "document", "title"})

# pypdf logs every recoverable oddity of a damaged file as a warning; one rejected upload
# should not flood the service log.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def parse_pdf(data: bytes, *, title: str, limits: ParseLimits) -> ParsedDocument:
    reader = _open(data)
    try:
        pages = reader.pages
        page_count = len(pages)
    except (PdfReadError, PdfStreamError, KeyError, ValueError, TypeError) as exc:
        raise DocumentRejected(f"the PDF is damaged: its page tree cannot be read ({exc})") from exc
    if page_count == 0:
        raise DocumentRejected("the PDF has no pages")
    if page_count > limits.max_pages:
        raise DocumentRejected(
            f"the PDF has {page_count:,} pages, more than the limit of {limits.max_pages:,}"
        )
    outline = _outline_by_page(reader, page_count)
    builder = TextBuilder(max_chars=limits.max_text_chars)
    path: tuple[str, ...] = ()
    unreadable = 0
    for number, page in enumerate(pages, start=1):
        path = outline.get(number, path)
        text = _page_text(page)
        if text is None:
            unreadable += 1
            continue
        for paragraph in _PARAGRAPH_BREAK.split(text):
            builder.add(paragraph, "paragraph", heading_path=path, page=number)
    if not builder.blocks:
        if unreadable:
            raise DocumentRejected("the PDF is damaged: no page's text could be read")
        raise DocumentRejected("the PDF has no text layer (a scanned document?); OCR is not supported")
    return builder.build(
        title=_metadata_title(reader) or title,
        format="pdf",
        page_count=page_count,
        metadata={"pages": str(page_count)},
    )


def _page_text(page: Any) -> str | None:
    """The page's text with vertical gaps as blank lines (pypdf's layout mode), columns'
    padding collapsed; the plain mode when the layout mode fails; None when both fail."""
    for mode in ("layout", "plain"):
        try:
            text = page.extract_text(extraction_mode=mode) or ""
        except Exception:  # one broken content stream should not lose the whole document
            continue
        lines = [_SPACE_RUN.sub(" ", line).strip() for line in text.splitlines()]
        return _HYPHEN_BREAK.sub(r"\1\2", "\n".join(lines))
    return None


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentRejected(f"the PDF is damaged and cannot be read ({exc})") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (FileNotDecryptedError, NotImplementedError, PdfReadError, ValueError) as exc:
            raise DocumentRejected(f"the PDF is encrypted with a method that cannot be read ({exc})") from exc
        if not opened:
            raise DocumentRejected("the PDF is encrypted and needs a password; upload an unprotected copy")
    return reader


def _metadata_title(reader: PdfReader) -> str:
    """The info dictionary's title, unless it is a generator's placeholder."""
    try:
        meta = reader.metadata
        title = str(meta.title).strip() if meta is not None and meta.title else ""
    except Exception:  # metadata is optional; a broken info dictionary only loses the title
        return ""
    title = title.removeprefix("Microsoft Word - ")
    return "" if title.lower() in _PLACEHOLDER_TITLES else title


def _outline_by_page(reader: PdfReader, page_count: int) -> dict[int, tuple[str, ...]]:
    """{page number: heading path} at each page where an outline entry starts."""
    starts: list[tuple[int, int, tuple[str, ...]]] = []
    try:
        _collect(reader, reader.outline, (), starts)
    except Exception:  # a broken outline only costs the heading paths
        return {}
    by_page: dict[int, tuple[str, ...]] = {}
    for page, _, path in sorted(starts):
        if 1 <= page <= page_count:
            by_page[page] = path
    return by_page


def _collect(reader: PdfReader, items: list[Any], parent: tuple[str, ...], out: list[Any]) -> None:
    last: tuple[str, ...] = parent
    for item in items:
        if len(out) >= _MAX_OUTLINE_ENTRIES:
            return
        if isinstance(item, list):
            _collect(reader, item, last, out)
            continue
        label = " ".join(str(getattr(item, "title", "") or "").split())
        if not label:
            continue
        last = (*parent, label)
        page = reader.get_destination_page_number(item)
        if page is not None and page >= 0:
            out.append((page + 1, len(out), last))
