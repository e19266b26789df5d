"""URL import: fetching a document through the mesh's allow-listed fetcher.

Uses ``mesh.safe_fetch`` (allow-list plus address pinning) when present; until it lands it
falls back to the orchestrator's allow-list check (every resolved address checked before
each request and redirect) with httpx streaming the body under a byte limit. Disabled (the
RPC answers FAILED_PRECONDITION) while no host is allowed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from knowledge.originals import SpooledUpload
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument

__all__ = ["Fetched", "UrlFetcher"]

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


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

    async def _check(self, url: str) -> None:
        try:
            from orchestrator.tools.netguard import check_url

            await check_url(url, allowed_hosts=self._allowed, private_allowed=self._allowed)
        except Exception as exc:
            raise InvalidArgument("this URL may not be fetched", [FieldViolation("url", str(exc))]) from None

    async def fetch(self, url: str, into: SpooledUpload) -> Fetched:
        if not self._allowed:
            raise FailedPrecondition("URL import is not enabled on this server", reason="URL_IMPORT_DISABLED")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidArgument("bad url", [FieldViolation("url", "an http(s) URL")])
        try:
            async with asyncio.timeout(self._timeout):
                return await self._fetch(url, into)
        except TimeoutError:
            raise FailedPrecondition(
                f"the site did not answer within {self._timeout:g} s", reason="URL_TIMEOUT"
            ) from None
        except httpx.HTTPError as exc:
            raise FailedPrecondition(
                f"fetching the URL failed: {type(exc).__name__}", reason="URL_FETCH_FAILED"
            ) from None

    async def _fetch(self, url: str, into: SpooledUpload) -> Fetched:
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self._timeout
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                await self._check(url)
                async with client.stream("GET", url) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
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
                    media_type = response.headers.get("content-type", "").split(";")[0].strip()
                    name = urlsplit(url).path.rsplit("/", 1)[-1] or urlsplit(url).hostname or "document"
                    return Fetched(url=url, media_type=media_type, filename=name[:255])
        raise FailedPrecondition(f"more than {MAX_REDIRECTS} redirects", reason="URL_TOO_MANY_REDIRECTS")
