"""Document parsing: bytes of an upload → one canonical text with structural blocks.

Interface (used by ingestion)::

    parse_document(data: bytes, *, filename: str, media_type: str | None,
                   limits: ParseLimits = ParseLimits()) -> ParsedDocument

    ParsedDocument(title, blocks: list[Block], text, format, page_count, metadata)
    Block(text, kind, heading_path: tuple[str, ...], page: int | None, char_start, char_end)
        with ``doc.text[block.char_start:block.char_end] == block.text``
    DocumentRejected(reason)   # the one error: a clear, user-facing reason, never a crash

Formats: plain text, Markdown (headings → heading_path), HTML (main content, boilerplate and
scripts dropped, headings), PDF (text layer with 1-based pages; encrypted, damaged or
image-only PDFs are rejected), DOCX (headings from paragraph styles, tables as rows),
CSV/TSV and XLSX (one ``record`` block "column: value; …" per row, sheet name as heading),
JSON and JSONL (one ``record`` block per element, nested keys flattened). The format comes
from the leading bytes for binary formats, else the media type, the extension, then a look
at the text (see ``detect``). Parsing is synchronous and CPU-bound: callers run it in a
worker thread.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from knowledge.parsing.detect import FORMATS, decode_text, detect_format, html_charset
from knowledge.parsing.document import Block, BlockKind, DocumentRejected, ParsedDocument
from knowledge.parsing.limits import ParseLimits

__all__ = [
    "FORMATS",
    "Block",
    "BlockKind",
    "DocumentRejected",
    "ParseLimits",
    "ParsedDocument",
    "parse_document",
]

_DEFAULT_LIMITS = ParseLimits()


def parse_document(
    data: bytes,
    *,
    filename: str,
    media_type: str | None,
    limits: ParseLimits = _DEFAULT_LIMITS,
) -> ParsedDocument:
    """Parse an upload; raises DocumentRejected (and nothing else) when it cannot be indexed."""
    if len(data) > limits.max_bytes:
        raise DocumentRejected(
            f"the file is {len(data):,} bytes, more than the limit of {limits.max_bytes:,}"
        )
    if not data.strip():
        raise DocumentRejected("the file is empty")
    fmt = "document"
    title = PurePosixPath(filename or "").stem or "Untitled"
    try:
        fmt, charset = detect_format(data, filename=filename, media_type=media_type)
        return _parse(fmt, data, charset, title, filename, limits)
    except DocumentRejected:
        raise
    except RecursionError as exc:
        raise DocumentRejected(f"the {fmt} document is nested too deeply to read") from exc
    except MemoryError as exc:
        raise DocumentRejected(f"the {fmt} document is too large to read") from exc
    except Exception as exc:  # a parser library's own error on a damaged file
        raise DocumentRejected(f"the {fmt} document could not be read: {type(exc).__name__}: {exc}") from exc


def _parse(
    fmt: str, data: bytes, charset: str | None, title: str, filename: str, limits: ParseLimits
) -> ParsedDocument:
    if fmt == "pdf":
        from knowledge.parsing.pdf import parse_pdf

        return parse_pdf(data, title=title, limits=limits)
    if fmt == "docx":
        from knowledge.parsing.docx import parse_docx

        return parse_docx(data, title=title, limits=limits)
    if fmt == "xlsx":
        from knowledge.parsing.tabular import parse_xlsx

        return parse_xlsx(data, title=title, limits=limits)
    if fmt == "html" and charset is None:
        charset = html_charset(data)
    text = decode_text(data, charset)
    if fmt == "markdown":
        from knowledge.parsing.text import parse_markdown

        return parse_markdown(text, title=title, limits=limits)
    if fmt == "html":
        from knowledge.parsing.html import parse_html

        return parse_html(text, title=title, limits=limits)
    if fmt == "csv":
        from knowledge.parsing.tabular import parse_csv

        tab = filename.lower().endswith(".tsv")
        return parse_csv(text, title=title, limits=limits, delimiter="\t" if tab else None)
    if fmt in ("json", "jsonl"):
        from knowledge.parsing.records import parse_json

        return parse_json(text, title=title, limits=limits, lines=fmt == "jsonl")
    from knowledge.parsing.text import parse_plain

    return parse_plain(text, title=title, limits=limits)
