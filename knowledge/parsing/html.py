"""HTML: the page's main text, with headings, lists and table rows as blocks.

Parsed with selectolax (the Lexbor HTML5 parser, tolerant of broken markup). What is not
content is removed first: scripts, styles, templates, forms, navigation, page header and
footer, asides, hidden elements and ARIA navigation/banners. The walk then starts at the
page's ``<main>``, or its largest ``<article>``, or ``<body>``, where blocks named like
boilerplate (nav, sidebar, share, cookie, comments …) or made mostly of links are pruned
(see ``_prune``). Block-level elements end a
paragraph, ``<h1>`` to ``<h6>`` open sections, ``<li>`` items become lines of a list, ``<pre>``
keeps its line breaks and each table row becomes a ``table_row`` block ("header: value; …"
when the table has a header row). The walk is iterative, so deep nesting cannot exhaust
the stack; past ``max_html_depth`` deeper elements are read as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from knowledge.parsing.document import HeadingStack, ParsedDocument, TextBuilder
from knowledge.parsing.limits import ParseLimits

__all__ = ["parse_html"]

_DROP = (
    "script, style, noscript, template, svg, canvas, iframe, object, embed, form, button, select, "
    "nav, aside, dialog, [hidden], [aria-hidden=true], [role=navigation], "
    "[role=banner], [role=contentinfo], [role=search], [role=complementary]"
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = frozenset(
    "p div section article main li ul ol dl dt dd blockquote pre table thead tbody tfoot tr td th "
    "figure figcaption address details summary center hr br body html".split()
)
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")
_PRUNABLE = frozenset("div section ul ol dl table p span menu".split())
_BOILERPLATE_NAME = re.compile(
    r"(?<![a-z])(nav|navbar|navigation|menu|breadcrumbs?|sidebar|cookies?|consent|gdpr|banner|"
    r"ads?|advert\w*|sponsor\w*|promo|share|sharing|social|related|newsletter|subscribe|popup|"
    r"modal|pagination|pager|comments?|disqus|skip-link|toc-mobile)(?![a-z])"
)


@dataclass
class _Walk:
    builder: TextBuilder
    headings: HeadingStack = field(default_factory=HeadingStack)
    buffer: list[str] = field(default_factory=list)
    list_items: list[str] = field(default_factory=list)
    first_h1: str | None = None

    def flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.buffer)).strip()
        self.buffer.clear()
        if text:
            self.builder.add(text, heading_path=self.headings.path)

    def flush_list(self) -> None:
        self.flush()
        if self.list_items:
            self.builder.add("\n".join(self.list_items), "list", heading_path=self.headings.path)
            self.list_items.clear()


def parse_html(text: str, *, title: str, limits: ParseLimits) -> ParsedDocument:
    tree = LexborHTMLParser(text)
    page_title = tree.css_first("title")
    head_title = _inline_text(page_title) if page_title is not None else ""
    _remove(tree.css(_DROP))
    # The page's banner and footer go; an article's own header (its title) stays.
    _remove(
        node
        for node in tree.css("header, footer")
        if _ancestor(node, "article") is None and _ancestor(node, "main") is None
    )
    root = _main_root(tree)
    walk = _Walk(TextBuilder(max_chars=limits.max_text_chars))
    if root is not None:
        _prune(root)
        _walk(root, walk, limits.max_html_depth)
    walk.flush_list()
    return walk.builder.build(title=head_title or walk.first_h1 or title, format="html")


def _remove(nodes: Iterable[LexborNode]) -> None:
    """Decompose each node once: one inside an already removed node is skipped."""
    removed: set[int] = set()
    for node in nodes:
        parent, inside = node.parent, False
        while parent is not None and not inside:
            inside = parent.mem_id in removed
            parent = parent.parent
        if not inside:
            removed.add(node.mem_id)
            node.decompose()


@dataclass(slots=True)
class _Size:
    text: int = 0
    links: int = 0
    link_text: int = 0
    has_h1: bool = False


def _prune(root: LexborNode) -> None:
    """Drop boilerplate inside the content root: blocks named like navigation, sharing,
    cookie banners or comments, and blocks that are mostly links (menus, tag clouds,
    "related" lists). A block holding half the root's text or its h1 is always kept.
    Sizes are measured in one bottom-up pass, so the cost stays linear in the page."""
    sizes = _measure(root)
    whole = sizes[root.mem_id].text
    stack = [child for child in root.iter() if child.tag and not child.tag.startswith("-")]
    while stack:
        node = stack.pop()
        size = sizes.get(node.mem_id)
        if size is None:
            continue
        if not size.has_h1 and size.text * 2 < whole and _is_boilerplate(node, size):
            node.decompose()
            continue
        stack.extend(child for child in node.iter() if child.tag and not child.tag.startswith("-"))


def _is_boilerplate(node: LexborNode, size: _Size) -> bool:
    if node.tag not in _PRUNABLE:
        return False
    names = f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}".lower()
    if _BOILERPLATE_NAME.search(names):
        return True
    return size.links >= 3 and size.link_text * 10 > size.text * 7


def _measure(root: LexborNode) -> dict[int, _Size]:
    sizes: dict[int, _Size] = {}
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        tag = node.tag or ""
        if tag == "-text":
            continue
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in node.iter() if child.tag != "-text")
            continue
        size = _Size(has_h1=tag == "h1")
        for child in node.iter(include_text=True):
            if child.tag == "-text":
                size.text += len((child.text_content or "").strip())
                continue
            inner = sizes.get(child.mem_id)
            if inner is not None:
                size.text += inner.text
                size.links += inner.links
                size.link_text += inner.link_text
                size.has_h1 = size.has_h1 or inner.has_h1
        if tag == "a":
            size.links += 1
            size.link_text = size.text
        sizes[node.mem_id] = size
    return sizes


def _main_root(tree: LexborHTMLParser) -> LexborNode | None:
    main = tree.css_first("main, [role=main]")
    if main is not None:
        return main
    articles = tree.css("article")
    if articles:
        return max(articles, key=lambda node: len(node.text(strip=True)))
    return tree.body or tree.root


def _walk(root: LexborNode, walk: _Walk, max_depth: int) -> None:
    # (node, depth, leaving): a node is visited on entry and, for block elements, again on exit.
    stack: list[tuple[LexborNode, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, leaving = stack.pop()
        tag = node.tag or ""
        if leaving:
            if tag in ("ul", "ol", "dl"):
                walk.flush_list()
            elif tag in _BLOCKS:
                walk.flush()
            continue
        if tag == "-text":
            walk.buffer.append(node.text_content or "")
            continue
        if tag.startswith("-"):  # comments, doctype
            continue
        if depth >= max_depth:
            walk.buffer.append(" " + node.text(separator=" ") + " ")
            continue
        if tag in _HEADINGS:
            _heading(node, walk, _HEADINGS[tag])
            continue
        if tag == "tr":
            walk.flush()
            _table_row(node, walk)
            continue
        if tag in ("li", "dt", "dd"):
            walk.flush()
            item = _SPACES.sub(" ", node.text(separator=" ")).strip()
            if item:
                walk.list_items.append(f"- {item}")
            continue
        if tag == "pre":
            walk.flush_list()
            walk.builder.add(node.text(), "code", heading_path=walk.headings.path)
            continue
        if tag == "br":
            walk.buffer.append("\n")
            continue
        if tag == "img":
            alt = node.attributes.get("alt") or ""
            if alt:
                walk.buffer.append(f" {alt} ")
            continue
        if tag in _BLOCKS:
            walk.flush()
            stack.append((node, depth, True))
        children = list(node.iter(include_text=True))
        stack.extend((child, depth + 1, False) for child in reversed(children))


def _heading(node: LexborNode, walk: _Walk, level: int) -> None:
    walk.flush_list()
    text = _inline_text(node)
    if not text:
        return
    if level == 1 and walk.first_h1 is None:
        walk.first_h1 = text
    walk.builder.add(text, "heading", heading_path=walk.headings.push(level, text))


def _table_row(row: LexborNode, walk: _Walk) -> None:
    cells = [c for c in row.iter() if c.tag in ("td", "th")]
    values = [_inline_text(c) for c in cells]
    if not any(values):
        return
    table = _ancestor(row, "table")
    header = _header_of(table) if table is not None else None
    if all(c.tag == "th" for c in cells) or header is None or len(header) != len(values):
        walk.builder.add(" | ".join(values), "table_row", heading_path=walk.headings.path)
        return
    pairs = [f"{h}: {v}" if h else v for h, v in zip(header, values, strict=True) if v]
    walk.builder.add("; ".join(pairs), "table_row", heading_path=walk.headings.path)


def _header_of(table: LexborNode) -> list[str] | None:
    first = table.css_first("tr")
    if first is None:
        return None
    cells = [c for c in first.iter() if c.tag in ("td", "th")]
    if not cells or not all(c.tag == "th" for c in cells):
        return None
    return [_inline_text(c) for c in cells]


def _ancestor(node: LexborNode, tag: str) -> LexborNode | None:
    parent = node.parent
    while parent is not None and parent.tag != tag:
        parent = parent.parent
    return parent


def _inline_text(node: LexborNode) -> str:
    return _SPACES.sub(" ", node.text(separator=" ")).strip()
