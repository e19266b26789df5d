"""mesh.safe_fetch against real loopback servers and a resolver that rebinds.

The resolver answers the first lookup of ``rebind.test`` with an allowed address and every
later one with a forbidden one, as a hostile DNS server would: a client that checks and
then looks the name up again lands on the forbidden address; a guarded one never asks twice
per connection and connects to the address it checked. The servers listen on 0.0.0.0 and
report which local address the connection reached.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from mesh.safe_fetch import FetchPolicy, FetchRefused, SafeFetcher, httpx_transport
from tests.fakes.smtp_sink import self_signed_context

ALLOWED, FORBIDDEN = "127.0.0.1", "127.0.0.2"
HOST = "rebind.test"


class Rebinding:
    """getaddrinfo for HOST: ``first`` once, then ``then``; other names resolve normally."""

    def __init__(self, real: Any, first: str, then: str) -> None:
        self.real, self.first, self.then, self.lookups = real, first, then, 0

    async def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HOST:
            return await self.real(host, port, *args, **kwargs)
        self.lookups += 1
        address = self.first if self.lookups == 1 else self.then
        return [(2, 1, 6, "", (address, int(port)))]


async def _rebind(monkeypatch: pytest.MonkeyPatch, first: str, then: str) -> Rebinding:
    loop = asyncio.get_running_loop()
    resolver = Rebinding(loop.getaddrinfo, first, then)
    monkeypatch.setattr(loop, "getaddrinfo", resolver)
    return resolver


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request = await reader.readuntil(b"\r\n\r\n")
    host = next(
        (
            line.split(b":", 1)[1].strip()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"host:")
        ),
        b"",
    )
    local = writer.get_extra_info("sockname")[0]
    body = f"reached {local} host={host.decode()}".encode()
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()
    writer.close()


@pytest_asyncio.fixture
async def plain_port() -> AsyncIterator[int]:
    server = await asyncio.start_server(_answer, "0.0.0.0", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def test_a_rebinding_name_is_connected_at_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch, plain_port: int
) -> None:
    resolver = await _rebind(monkeypatch, ALLOWED, FORBIDDEN)
    policy = FetchPolicy.of([HOST], [ALLOWED])
    # The early check (what the old code did before connecting) sees the allowed address ...
    assert await policy.check(f"http://{HOST}:{plain_port}/") == HOST
    # ... and every later lookup now answers the forbidden one: the guarded connection refuses it.
    with pytest.raises(FetchRefused, match="non-public"):
        await SafeFetcher(policy, max_bytes=1000, timeout=10).get(f"http://{HOST}:{plain_port}/")
    assert resolver.lookups == 2


async def test_the_connection_goes_to_the_checked_address_with_the_url_host(
    monkeypatch: pytest.MonkeyPatch, plain_port: int
) -> None:
    await _rebind(monkeypatch, ALLOWED, FORBIDDEN)
    policy = FetchPolicy.of([HOST], [ALLOWED])
    result = await SafeFetcher(policy, max_bytes=1000, timeout=10).get(f"http://{HOST}:{plain_port}/")
    assert result.status == 200
    assert result.text() == f"reached {ALLOWED} host={HOST}:{plain_port}"


async def test_private_addresses_unlisted_hosts_and_odd_urls_are_refused(plain_port: int) -> None:
    fetcher = SafeFetcher(FetchPolicy.of(None, []), max_bytes=1000, timeout=10)
    for url, why in [
        (f"http://127.0.0.1:{plain_port}/", "non-public"),
        (f"http://localhost:{plain_port}/", "non-public"),
        (f"http://[::ffff:127.0.0.1]:{plain_port}/", "non-public"),
        ("file:///etc/passwd", "http and https"),
        (f"http://user:pw@example.com:{plain_port}/", "credentials"),
    ]:
        with pytest.raises(FetchRefused, match=why):
            await fetcher.get(url)
    listed = SafeFetcher(FetchPolicy.of(["example.com"], []), max_bytes=10, timeout=10)
    with pytest.raises(FetchRefused, match="allow-list"):
        await listed.get("http://example.org/")


async def test_a_redirect_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.2:9/\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(redirect, ALLOWED, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        fetcher = SafeFetcher(FetchPolicy.of(None, [ALLOWED]), max_bytes=100, timeout=10)
        with pytest.raises(FetchRefused, match=re.escape(FORBIDDEN)):
            await fetcher.get(f"http://{ALLOWED}:{port}/")
    finally:
        server.close()
        await server.wait_closed()


async def test_tls_keeps_the_url_host_for_sni_and_certificate_checks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server_context = self_signed_context(tmp_path, HOST)
    cert_path = tmp_path / "cert.pem"
    names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc,return-value]
    server = await asyncio.start_server(_answer, "0.0.0.0", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    await _rebind(monkeypatch, ALLOWED, FORBIDDEN)
    try:
        trust = ssl.create_default_context(cafile=str(cert_path))
        policy = FetchPolicy.of([HOST], [ALLOWED])
        async with httpx.AsyncClient(
            transport=httpx_transport(policy, verify=trust), trust_env=False
        ) as client:
            response = await client.get(f"https://{HOST}:{port}/")
        assert response.text == f"reached {ALLOWED} host={HOST}:{port}"
        assert names == [HOST]
    finally:
        server.close()
        await server.wait_closed()


async def test_trusted_hosts_may_resolve_anywhere_and_still_connect_where_they_resolved(
    monkeypatch: pytest.MonkeyPatch, plain_port: int
) -> None:
    """The operator vouches for a name (an internal webhook receiver): its private address is fine."""
    await _rebind(monkeypatch, FORBIDDEN, ALLOWED)
    policy = FetchPolicy.of(None, trusted_hosts=[HOST])
    async with httpx.AsyncClient(transport=httpx_transport(policy), trust_env=False) as client:
        response = await client.get(f"http://{HOST}:{plain_port}/")
    assert response.text == f"reached {FORBIDDEN} host={HOST}:{plain_port}"
    with pytest.raises(FetchRefused, match="non-public"):
        await SafeFetcher(FetchPolicy.of(None), max_bytes=100, timeout=10).get(
            f"http://localhost:{plain_port}/"
        )
