"""Plain text and Markdown.

Plain text becomes one paragraph block per run of non-blank lines. Markdown is parsed with
markdown-it (CommonMark plus tables) for its block structure only: headings (ATX and setext)
open sections, every other top-level block keeps its source lines, so code fences, tables
and lists stay readable and "# inside a code fence" is never taken for a heading. A YAML front
matter block is dropped from the text (its ``title`` becomes the document title).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from knowledge.parsing.document import BlockKind, HeadingStack, ParsedDocument, TextBuilder, normalize_text
from knowledge.parsing.limits import ParseLimits

__all__ = ["parse_markdown", "parse_plain"]

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_BLOCK_KINDS: dict[str, BlockKind] = {
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "blockquote_open": "paragraph",
    "table_open": "table",
    "fence": "code",
    "code_block": "code",
    "html_block": "paragraph",
}


def parse_plain(text: str, *, title: str, limits: ParseLimits) -> ParsedDocument:
    builder = TextBuilder(max_chars=limits.max_text_chars)
    for paragraph in _PARAGRAPHS.split(normalize_text(text)):
        builder.add(paragraph)
    return builder.build(title=title, format="text")


def parse_markdown(text: str, *, title: str, limits: ParseLimits) -> ParsedDocument:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    front_title = None
    front = _FRONT_MATTER.match(text)
    if front:
        found = _FRONT_TITLE.search(front.group(1))
        front_title = found.group(1).strip("'\"") if found else None
        text = text[front.end() :]
    lines = text.split("\n")
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(text)
    builder = TextBuilder(max_chars=limits.max_text_chars)
    headings = HeadingStack()
    first_h1: str | None = None
    for i, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        if token.type == "heading_open":
            heading = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
            if not heading:
                continue
            level = int(token.tag[1:])
            if level == 1 and first_h1 is None:
                first_h1 = heading
            builder.add(heading, "heading", heading_path=headings.push(level, heading))
            continue
        kind = _BLOCK_KINDS.get(token.type)
        if kind is None:
            continue
        source = token.content if token.type == "fence" else "\n".join(lines[token.map[0] : token.map[1]])
        builder.add(source, kind, heading_path=headings.path)
    return builder.build(title=front_title or first_h1 or title, format="markdown")
