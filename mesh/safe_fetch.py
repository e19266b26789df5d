"""Outgoing HTTP to URLs a tenant or a model chose, without reaching inside the mesh.

A URL from a model (orchestrator's ``http_fetch``), a tenant admin (MCP servers over HTTP)
or a user (knowledge's URL ingestion) could otherwise point at the cluster's own services.
The rule: the host must match the allow-list, and every address it resolves to must be
public unless that very address is listed as an allowed private one.

Checking a name and then letting the HTTP client look it up again is not enough: a DNS
server answering a public address to the check and ``127.0.0.1`` to the connect (DNS
rebinding) walks past it. So the check lives in the connection itself: the clients built
here use a network backend that resolves the host, checks every address, and connects to
an address it just checked, never to the name. TLS still uses the URL's host for SNI and
certificate verification, and the ``Host`` header is the URL's, because the HTTP layer
above the socket never learns the address. Redirects need nothing extra: each new
connection passes through the same backend. Proxies from the environment are ignored.

Use :class:`SafeFetcher` for a bounded GET (``await SafeFetcher(policy, ...).get(url)``, or
``async with fetcher.open(url) as response`` to stream the body somewhere), or
:func:`httpx_transport` / :func:`httpx2_transport` to give a client of your own (the
MCP SDK's, which is httpx2) the same guarded connections.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

__all__ = [
    "FetchPolicy",
    "FetchRefused",
    "FetchResult",
    "SafeFetcher",
    "host_matches",
    "httpx2_transport",
    "httpx_transport",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchRefused(Exception):
    """The URL may not be fetched (scheme, allow-list, or a non-public address); the message says why."""


def host_matches(host: str, patterns: Collection[str]) -> bool:
    """``example.com`` matches itself; ``*.example.com`` matches its subdomains (not the apex)."""
    host = host.lower().rstrip(".")
    for raw in patterns:
        pattern = raw.lower().strip().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class FetchPolicy:
    """Where requests may go.

    ``allowed_hosts``: host patterns (``example.com``, ``*.example.com``); None allows any
    name (the address rule still applies). ``private_addresses``: non-public addresses that
    are allowed anyway, each listed by the address itself (``127.0.0.1`` for a local fake).
    ``trusted_hosts``: host names the operator vouches for, whatever they resolve to (an
    internal receiver); connections still go to the address just resolved.
    """

    allowed_hosts: tuple[str, ...] | None = None
    private_addresses: frozenset[str] = field(default_factory=frozenset)
    trusted_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        allowed_hosts: Iterable[str] | None,
        private_addresses: Iterable[str] = (),
        trusted_hosts: Iterable[str] = (),
    ) -> FetchPolicy:
        return cls(
            None if allowed_hosts is None else tuple(allowed_hosts),
            frozenset(a.lower().strip("[]") for a in private_addresses),
            frozenset(h.lower().rstrip(".") for h in trusted_hosts),
        )

    def check_host(self, host: str) -> None:
        if not host:
            raise FetchRefused("the URL has no host")
        if self.allowed_hosts is not None and not host_matches(host, self.allowed_hosts):
            raise FetchRefused(f"host {host!r} is not on the allow-list")

    def check_url(self, url: str) -> tuple[str, int]:
        """(host, port) of a URL that may be requested, as far as the URL alone tells; no DNS."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused("only http and https URLs are allowed")
        if parts.username or parts.password:
            raise FetchRefused("URLs with credentials are not allowed")
        host = (parts.hostname or "").lower()
        self.check_host(host)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchRefused("the URL has an invalid port") from None
        return host, port

    def check_address(self, host: str, address: IPAddress) -> None:
        if host.lower().rstrip(".") in self.trusted_hosts:
            return
        if not address.is_global and str(address) not in self.private_addresses:
            raise FetchRefused(
                f"host {host!r} resolves to a non-public address ({address}), which is not allowed"
            )

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, each checked; FetchRefused if any is not allowed."""
        literal = _literal(host)
        if literal is not None:
            found = [literal]
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror:
                raise FetchRefused(f"cannot resolve host {host!r}") from None
            found = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        for address in found:
            self.check_address(host, address)
        return found

    async def check(self, url: str) -> str:
        """The URL's host if it may be requested now (allow-list, addresses); FetchRefused otherwise.

        For an early, clear refusal only: the guarded connection checks again, and connects to
        what it checked.
        """
        host, port = self.check_url(url)
        await self.addresses(host, port)
        return host


class _GuardedBackend:
    """A network backend (httpcore's or httpcore2's interface) that connects only to checked addresses."""

    def __init__(self, policy: FetchPolicy, inner: Any) -> None:
        self._policy = policy
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        self._policy.check_host(host)
        failure: Exception | None = None
        for address in await self._policy.addresses(host, port):
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except Exception as exc:  # httpcore's ConnectError / ConnectTimeout: try the next address
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        socket_options: Any = None,
    ) -> Any:
        raise FetchRefused("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _guard(transport: Any, policy: FetchPolicy, inner: Any) -> Any:
    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):
        # Loud rather than silently unguarded if the HTTP library changes its insides.
        raise RuntimeError("this httpx version cannot be guarded: its connection pool changed")
    pool._network_backend = _GuardedBackend(policy, inner)
    return transport


def httpx_transport(policy: FetchPolicy, **options: Any) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection is checked by ``policy`` (no proxies, no unix sockets)."""
    transport = httpx.AsyncHTTPTransport(trust_env=False, **options)
    return _guard(transport, policy, httpcore.AnyIOBackend())


def httpx2_transport(policy: FetchPolicy, **options: Any) -> Any:
    """The same for httpx2 (the MCP SDK's HTTP client); imported on first use."""
    import httpcore2
    import httpx2

    transport = httpx2.AsyncHTTPTransport(trust_env=False, **options)
    return _guard(transport, policy, httpcore2.AnyIOBackend())


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool  # reading stopped at max_bytes (the body may have been longer)

    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")


class SafeFetcher:
    """GET a URL under a :class:`FetchPolicy`: redirects followed by hand (each hop checked),
    the whole call bounded by ``timeout`` seconds; :meth:`get` reads the body up to
    ``max_bytes``, :meth:`open` hands over the response to stream it elsewhere.

    Raises FetchRefused for a URL the policy refuses (or too many redirects), TimeoutError
    when the site is too slow, and httpx.HTTPError when the transfer fails; an HTTP error
    status is a result, not an error.
    """

    def __init__(
        self, policy: FetchPolicy, *, max_bytes: int, timeout: float, max_redirects: int = 5
    ) -> None:
        self.policy = policy
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._max_redirects = max_redirects

    @asynccontextmanager
    async def open(self, url: str, *, headers: dict[str, str] | None = None) -> AsyncIterator[httpx.Response]:
        """The final response (after redirects), body not read yet; ``response.url`` says from where."""
        async with (
            asyncio.timeout(self._timeout),
            httpx.AsyncClient(
                transport=httpx_transport(self.policy),
                follow_redirects=False,
                trust_env=False,
                timeout=self._timeout,
            ) as client,
        ):
            for _ in range(self._max_redirects + 1):
                self.policy.check_url(url)
                async with client.stream("GET", url, headers=headers) as response:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECT_STATUSES and location:
                        url = urljoin(url, location)
                        continue
                    yield response
                    return
        raise FetchRefused(f"more than {self._max_redirects} redirects")

    async def get(self, url: str, *, headers: dict[str, str] | None = None) -> FetchResult:
        async with self.open(url, headers=headers) as response:
            body, truncated = await self._read(response)
            return FetchResult(
                url=str(response.url),
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                charset=response.charset_encoding,
                body=body,
                truncated=truncated,
            )

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= self._max_bytes:
                return b"".join(chunks)[: self._max_bytes], True
        return b"".join(chunks), False
