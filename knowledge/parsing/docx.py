"""DOCX: paragraphs and tables in body order, headings from paragraph styles.

The archive's directory is checked for zip-bomb sizes before python-docx reads it (its XML
parser does not resolve entities). A paragraph is a heading when its style, or a style it is
based on, is "Title" or "Heading n", or carries an outline level; headings open sections as
in Markdown. List paragraphs are gathered into one ``list`` block. Each table row becomes a
``table_row`` block, "header: value; …" when the first row reads as a header. Word has no
fixed pages, so blocks carry no page number.
"""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from knowledge.parsing.document import HeadingStack, ParsedDocument, TextBuilder
from knowledge.parsing.limits import ParseLimits, check_zip

__all__ = ["parse_docx"]

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_STYLE_CHAIN = 20


def parse_docx(data: bytes, *, title: str, limits: ParseLimits) -> ParsedDocument:
    check_zip(data, limits, "DOCX")
    document = Document(io.BytesIO(data))
    builder = TextBuilder(max_chars=limits.max_text_chars)
    headings = HeadingStack()
    list_items: list[str] = []
    styled_title = ""

    def flush_list() -> None:
        if list_items:
            builder.add("\n".join(list_items), "list", heading_path=headings.path)
            list_items.clear()

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            flush_list()
            _table(item, builder, headings.path)
            continue
        paragraph: Paragraph = item
        text = paragraph.text.strip()
        if not text:
            continue
        level = _heading_level(paragraph)
        if level is not None:
            flush_list()
            if level == 0:
                styled_title = styled_title or text
                level = 1
            builder.add(text, "heading", heading_path=headings.push(level, text))
        elif _is_list(paragraph):
            list_items.append(f"- {text}")
        else:
            flush_list()
            builder.add(text, "paragraph", heading_path=headings.path)
    flush_list()
    core_title = (document.core_properties.title or "").strip()
    first_heading = next((b.text for b in builder.blocks if b.kind == "heading"), "")
    return builder.build(title=core_title or styled_title or first_heading or title, format="docx")


def _heading_level(paragraph: Paragraph) -> int | None:
    """0 for a Title, n for Heading n (or outline level n-1), None for body text."""
    outline = _outline_level(paragraph._p.pPr)
    if outline is not None:
        return outline
    style: Any = paragraph.style
    for _ in range(_MAX_STYLE_CHAIN):
        if style is None:
            return None
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return max(1, int(match.group(1)))
        outline = _outline_level(style.element.pPr)
        if outline is not None:
            return outline
        style = style.base_style
    return None


def _outline_level(ppr: Any) -> int | None:
    if ppr is None:
        return None
    node = ppr.find(f"{_W}outlineLvl")
    if node is None:
        return None
    try:
        level = int(node.get(f"{_W}val"))
    except (TypeError, ValueError):
        return None
    return level + 1 if 0 <= level < 9 else None  # 9 means body text


def _is_list(paragraph: Paragraph) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.find(f"{_W}numPr") is not None:
        return True
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.lower().startswith("list")


def _table(table: Table, builder: TextBuilder, path: tuple[str, ...]) -> None:
    rows = [[_cell_text(cell) for cell in row.cells] for row in table.rows]
    rows = [_dedupe_merged(row) for row in rows if any(row)]
    if not rows:
        return
    header = rows[0] if len(rows) > 1 and all(rows[0]) else None
    for row in rows[1:] if header else rows:
        if header and len(header) == len(row):
            text = "; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=True) if v)
        else:
            text = " | ".join(v for v in row if v)
        builder.add(text, "table_row", heading_path=path)


def _cell_text(cell: Any) -> str:
    return " ".join(cell.text.split())


def _dedupe_merged(row: list[str]) -> list[str]:
    """python-docx repeats a horizontally merged cell once per grid column; keep one."""
    out: list[str] = []
    for value in row:
        if not out or value != out[-1] or not value:
            out.append(value)
    return out
