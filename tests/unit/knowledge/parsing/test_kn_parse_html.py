"""HTML: main content only, headings, lists, tables, code."""

from __future__ import annotations

from knowledge.parsing import parse_document

PAGE = b"""<!doctype html><html><head><title>The Page</title><script>var secret = 1;</script>
<style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav><header>Site banner</header>
<main><h1>Main Title</h1><p>First <b>bold</b> paragraph
spanning lines.</p><div>Loose text<p>nested paragraph</p>tail</div>
<h2>Section &amp; Two</h2><ul><li>one</li><li>two <i>items</i></li></ul>
<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>31</td></tr></table>
<pre>code line 1
  code line 2</pre><div hidden>hidden text</div><form><input value="x"><button>Send</button></form></main>
<aside>Related links</aside><footer>Copyright 2026</footer></body></html>"""


def test_main_content_with_structure() -> None:
    doc = parse_document(PAGE, filename="page.html", media_type="text/html; charset=utf-8")
    assert doc.format == "html"
    assert doc.title == "The Page"
    got = [(b.kind, b.heading_path, b.text) for b in doc.blocks]
    assert got == [
        ("heading", ("Main Title",), "Main Title"),
        ("paragraph", ("Main Title",), "First bold paragraph spanning lines."),
        ("paragraph", ("Main Title",), "Loose text"),
        ("paragraph", ("Main Title",), "nested paragraph"),
        ("paragraph", ("Main Title",), "tail"),
        ("heading", ("Main Title", "Section & Two"), "Section & Two"),
        ("list", ("Main Title", "Section & Two"), "- one\n- two items"),
        ("table_row", ("Main Title", "Section & Two"), "Name | Age"),
        ("table_row", ("Main Title", "Section & Two"), "Name: Ann; Age: 31"),
        ("code", ("Main Title", "Section & Two"), "code line 1\n  code line 2"),
    ]
    for dropped in ("secret", "Home", "banner", "hidden text", "Send", "Related", "Copyright"):
        assert dropped not in doc.text
    for block in doc.blocks:
        assert doc.text[block.char_start : block.char_end] == block.text


def test_article_keeps_its_own_header_and_page_without_main() -> None:
    html = b"""<html><body><header>Banner</header><article><header><h1>Story</h1></header>
    <p>Body of the story.</p></article><article><p>x</p></article></body></html>"""
    doc = parse_document(html, filename="", media_type=None)
    assert doc.format == "html"
    assert [b.text for b in doc.blocks] == ["Story", "Body of the story."]
    assert doc.title == "Story"


def test_deep_nesting_does_not_crash() -> None:
    html = b"<html><body>" + b"<div>" * 20_000 + b"deep text" + b"</div>" * 20_000 + b"</body></html>"
    doc = parse_document(html, filename="deep.html", media_type=None)
    assert "deep text" in doc.text


def test_broken_markup_is_tolerated() -> None:
    doc = parse_document(b"<html><body><p>open <b>bold<p>second", filename="b.htm", media_type=None)
    assert doc.text == "open bold\n\nsecond"
