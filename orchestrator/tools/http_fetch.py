"""The http_fetch built-in: GET a page from an allow-listed domain and hand its text to the model.

The fetch is mesh.safe_fetch's: redirects followed by hand, at most a few, every hop checked
again (a listed site redirecting to an unlisted or internal one is refused), and every
connection made to the address that was checked (no DNS rebinding). The body is read up to
a byte limit; HTML is reduced to its visible text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import httpx

from mesh.safe_fetch import FetchPolicy, FetchRefused, FetchResult, SafeFetcher
from orchestrator.tools.errors import ToolError

__all__ = ["MAX_REDIRECTS", "PARAMETERS", "HttpFetch", "html_text"]

MAX_REDIRECTS = 5
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
    """Configured once with the allow-list and limits; each call fetches one URL (mesh.safe_fetch)."""

    def __init__(self, allowed_domains: Sequence[str], *, max_bytes: int, timeout: float) -> None:
        self._allowed = list(allowed_domains)
        self._max_bytes = max_bytes
        self._timeout = timeout
        # A host on a private address must be listed by that address itself, so the list serves both.
        policy = FetchPolicy.of(self._allowed, self._allowed)
        self._fetcher = SafeFetcher(policy, max_bytes=max_bytes, timeout=timeout, max_redirects=MAX_REDIRECTS)

    @property
    def enabled(self) -> bool:
        return bool(self._allowed)

    async def run(self, arguments: dict[str, Any]) -> str:
        url = str(arguments["url"])
        try:
            result = await self._fetcher.get(url, headers={"Accept": "text/*, application/json"})
        except FetchRefused as refused:
            raise ToolError(str(refused)) from None
        except TimeoutError:
            raise ToolError(f"the site did not answer within {self._timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ToolError(f"fetching {url} failed: {type(exc).__name__}") from None
        return self._render(result)

    def _render(self, result: FetchResult) -> str:
        text = result.text()
        if "html" in result.content_type:
            text = html_text(text)
        if result.status >= 400:
            raise ToolError(f"HTTP {result.status} from {result.url}: {text[:500]}")
        note = f"\n[truncated at {self._max_bytes} bytes]" if result.truncated else ""
        return f"HTTP {result.status} {result.content_type}\n\n{text}{note}"
