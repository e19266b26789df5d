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


def test_boilerplate_blocks_are_pruned_without_main() -> None:
    prose = "Vector indexes trade a little recall for a lot of speed. " * 6
    html = f"""<html><body>
    <div class="site-menu"><a href="/">Home</a> <a href="/docs">Docs</a> <a href="/blog">Blog</a></div>
    <div id="cookie-consent">We use cookies to improve your experience.</div>
    <div class="content"><h1>HNSW explained</h1><p>{prose}</p>
      <p>See <a href="/a">the paper</a> for details on graph layers and search.</p>
      <div class="share-buttons">Share on social media</div>
      <ul><li><a href="/x">Tag one</a></li><li><a href="/y">Tag two</a></li>
        <li><a href="/z">Tag three</a></li></ul>
    </div>
    <div class="sidebar-widget">Popular posts this week</div>
    <section id="comments"><p>Great post!</p></section>
    </body></html>""".encode()
    doc = parse_document(html, filename="post.html", media_type="text/html")
    assert doc.title == "HNSW explained"
    assert "Vector indexes trade" in doc.text
    assert "See the paper for details" in doc.text  # a few links inside prose stay
    for dropped in ("Home", "cookies", "Share on", "Tag one", "Popular posts", "Great post"):
        assert dropped not in doc.text


def test_a_page_that_is_mostly_links_keeps_its_text() -> None:
    names = [b"One", b"Two", b"Three"]
    items = b"".join(b"<li><a href=/%d>%s</a></li>" % (i, name) for i, name in enumerate(names))
    html = b"<html><body><ul>" + items + b"</ul></body></html>"
    doc = parse_document(html, filename="links.html", media_type=None)
    assert doc.text == "- One\n- Two\n- Three"


def test_meta_charset_is_honoured() -> None:
    html = '<html><head><meta charset="shift_jis"></head><body><p>日本語のテキスト</p></body></html>'
    doc = parse_document(html.encode("shift_jis"), filename="ja.html", media_type="text/html")
    assert doc.text == "日本語のテキスト"
    legacy = '<meta http-equiv="Content-Type" content="text/html; charset=gbk"><p>中文网页</p>'
    assert parse_document(legacy.encode("gbk"), filename="zh.html", media_type=None).text == "中文网页"
