"""The http_fetch built-in: GET a page from an allow-listed domain and hand its text to the model.

Redirects are followed by hand, at most a few, and every hop is checked again (a listed
site redirecting to an unlisted or internal one is refused). The body is read up to a
byte limit; HTML is reduced to its visible text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import httpx

from orchestrator.tools.errors import ToolError
from orchestrator.tools.netguard import check_url

__all__ = ["MAX_REDIRECTS", "PARAMETERS", "HttpFetch", "html_text"]

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg"}
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "description": "http(s) URL on an allowed domain.", "maxLength": 2048},
    },
    "required": ["url"],
    "additionalProperties": False,
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """Visible text of an HTML page, one line per block, blank runs collapsed."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


class HttpFetch:
    """Configured once with the allow-list and limits; each call fetches one URL."""

    def __init__(self, allowed_domains: Sequence[str], *, max_bytes: int, timeout: float) -> None:
        self._allowed = list(allowed_domains)
        self._max_bytes = max_bytes
        self._timeout = timeout

    @property
    def enabled(self) -> bool:
        return bool(self._allowed)

    async def run(self, arguments: dict[str, Any]) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._fetch(str(arguments["url"]))
        except TimeoutError:
            raise ToolError(f"the site did not answer within {self._timeout:g} s") from None

    async def _fetch(self, url: str) -> str:
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self._timeout
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                await check_url(url, allowed_hosts=self._allowed, private_allowed=self._allowed)
                try:
                    async with client.stream(
                        "GET", url, headers={"Accept": "text/*, application/json"}
                    ) as resp:
                        location = resp.headers.get("location")
                        if resp.status_code in _REDIRECTS and location:
                            url = urljoin(url, location)
                            continue
                        body, truncated = await self._read(resp)
                        return self._render(resp, body, truncated)
                except httpx.HTTPError as exc:
                    raise ToolError(f"fetching {url} failed: {type(exc).__name__}") from None
        raise ToolError(f"more than {MAX_REDIRECTS} redirects")

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= self._max_bytes:
                return b"".join(chunks)[: self._max_bytes], True
        return b"".join(chunks), False

    def _render(self, response: httpx.Response, body: bytes, truncated: bool) -> str:
        content_type = response.headers.get("content-type", "")
        text = body.decode(response.charset_encoding or "utf-8", errors="replace")
        if "html" in content_type:
            text = html_text(text)
        if response.status_code >= 400:
            raise ToolError(f"HTTP {response.status_code} from {response.url}: {text[:500]}")
        note = f"\n[truncated at {self._max_bytes} bytes]" if truncated else ""
        return f"HTTP {response.status_code} {content_type}\n\n{text}{note}"
