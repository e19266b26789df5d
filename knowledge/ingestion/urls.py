"""URL import: fetching a document through the mesh's allow-listed fetcher.

``mesh.safe_fetch`` (the same fetcher as orchestrator's http_fetch): the host must be on the
allow-list, every address it resolves to public (or listed by that address), each redirect
checked again, and every connection made to the address that was checked (no DNS
rebinding). The body streams into the upload under a byte limit. Disabled (the RPC answers
FAILED_PRECONDITION) while no host is allowed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from knowledge.originals import SpooledUpload
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument
from mesh.safe_fetch import FetchPolicy, FetchRefused, SafeFetcher

__all__ = ["Fetched", "UrlFetcher"]

MAX_REDIRECTS = 5


@dataclass
class Fetched:
    url: str
    media_type: str
    filename: str


class UrlFetcher:
    def __init__(self, allowed_domains: list[str], *, max_bytes: int, timeout: float) -> None:
        self._allowed = list(allowed_domains)
        self._max_bytes = max_bytes
        self._timeout = timeout
        policy = FetchPolicy.of(self._allowed, self._allowed)
        self._fetcher = SafeFetcher(policy, max_bytes=max_bytes, timeout=timeout, max_redirects=MAX_REDIRECTS)

    async def fetch(self, url: str, into: SpooledUpload) -> Fetched:
        if not self._allowed:
            raise FailedPrecondition("URL import is not enabled on this server", reason="URL_IMPORT_DISABLED")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidArgument("bad url", [FieldViolation("url", "an http(s) URL")])
        try:
            async with asyncio.timeout(self._timeout):
                return await self._fetch(url, into)
        except FetchRefused as refused:
            raise InvalidArgument(
                "this URL may not be fetched", [FieldViolation("url", str(refused))]
            ) from None
        except TimeoutError:
            raise FailedPrecondition(
                f"the site did not answer within {self._timeout:g} s", reason="URL_TIMEOUT"
            ) from None
        except httpx.HTTPError as exc:
            raise FailedPrecondition(
                f"fetching the URL failed: {type(exc).__name__}", reason="URL_FETCH_FAILED"
            ) from None

    async def _fetch(self, url: str, into: SpooledUpload) -> Fetched:
        async with self._fetcher.open(url) as response:
            if response.status_code >= 400:
                raise FailedPrecondition(
                    f"the URL answered HTTP {response.status_code}", reason="URL_HTTP_ERROR"
                )
            async for chunk in response.aiter_bytes():
                into.write(chunk)
                if into.size > self._max_bytes:
                    raise InvalidArgument(
                        "the document is too large",
                        [FieldViolation("url", f"over {self._max_bytes:,} bytes")],
                    )
            final = str(response.url)
            media_type = response.headers.get("content-type", "").split(";")[0].strip()
            name = urlsplit(final).path.rsplit("/", 1)[-1] or urlsplit(final).hostname or "document"
            return Fetched(url=final, media_type=media_type, filename=name[:255])
