"""http_fetch against a real loopback site: allow-list, redirects, size and time limits."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from orchestrator.tools.errors import ToolError
from orchestrator.tools.http_fetch import HttpFetch, html_text

PAGE = (
    "<html><head><style>p{}</style><script>alert(1)</script></head>"
    "<body><h1>Title</h1><p>Hello &amp; welcome</p></body></html>"
)


async def _page(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def _redirect(request: Request) -> Response:
    return RedirectResponse(request.query_params["to"], status_code=302)


async def _big(request: Request) -> Response:
    return PlainTextResponse("a" * 50_000)


async def _missing(request: Request) -> Response:
    return PlainTextResponse("no such page", status_code=404)


async def _slow(request: Request) -> Response:
    await asyncio.sleep(1.5)
    return PlainTextResponse("late")


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[str]:
    app = Starlette(
        routes=[
            Route("/page", _page),
            Route("/redirect", _redirect),
            Route("/big", _big),
            Route("/missing", _missing),
            Route("/slow", _slow),
        ]
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def _fetcher(*domains: str, max_bytes: int = 1_000_000, timeout: float = 10.0) -> HttpFetch:
    return HttpFetch(list(domains), max_bytes=max_bytes, timeout=timeout)


async def test_fetches_text_of_an_allowed_page(site: str) -> None:
    text = await _fetcher("127.0.0.1").run({"url": f"{site}/page"})
    assert text.startswith("HTTP 200 text/html")
    assert "Title\nHello & welcome" in text
    assert "alert" not in text


async def test_follows_a_redirect_within_the_allow_list(site: str) -> None:
    text = await _fetcher("127.0.0.1").run({"url": f"{site}/redirect?to=/page"})
    assert "Hello & welcome" in text


async def test_redirect_to_a_host_not_listed_is_refused(site: str) -> None:
    port = site.rsplit(":", 1)[1]
    with pytest.raises(ToolError, match="'localhost' is not on the allow-list"):
        await _fetcher("127.0.0.1").run({"url": f"{site}/redirect?to=http://localhost:{port}/page"})
    with pytest.raises(ToolError, match="not on the allow-list"):
        await _fetcher("127.0.0.1").run({"url": f"{site}/redirect?to=https://evil.example/x"})


async def test_listed_name_on_a_private_address_is_refused(site: str) -> None:
    port = site.rsplit(":", 1)[1]
    with pytest.raises(ToolError, match="non-public address"):
        await _fetcher("localhost").run({"url": f"http://localhost:{port}/page"})


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://example.org/", "not on the allow-list"),
        ("ftp://127.0.0.1/file", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:pw@127.0.0.1/", "credentials"),
    ],
)
async def test_disallowed_urls(url: str, fragment: str) -> None:
    with pytest.raises(ToolError, match=fragment):
        await _fetcher("127.0.0.1", "*.example.com").run({"url": url})


async def test_body_is_cut_at_the_size_limit(site: str) -> None:
    text = await _fetcher("127.0.0.1", max_bytes=1000).run({"url": f"{site}/big"})
    assert text.endswith("\n\n" + "a" * 1000 + "\n[truncated at 1000 bytes]")


async def test_error_status_is_a_tool_error(site: str) -> None:
    with pytest.raises(ToolError, match="HTTP 404"):
        await _fetcher("127.0.0.1").run({"url": f"{site}/missing"})


async def test_slow_site_times_out(site: str) -> None:
    with pytest.raises(ToolError, match="did not answer within"):
        await _fetcher("127.0.0.1", timeout=0.3).run({"url": f"{site}/slow"})


def test_html_text_keeps_blocks_apart() -> None:
    assert html_text("<div>a</div><div>b <b>c</b></div><noscript>x</noscript>") == "a\nb c"
