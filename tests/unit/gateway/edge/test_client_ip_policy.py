"""The edge's client address: X-Forwarded-For counts only when our own proxy sent it."""

from __future__ import annotations

import ipaddress

import pytest
from starlette.types import Receive, Scope, Send

from gateway.policies.client_ip import PEER_KEY, ClientIpMiddleware, resolve_client_ip

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # Without trusted proxies, or from an untrusted peer, the header is ignored.
        ("198.51.100.9", ["1.2.3.4"], "198.51.100.9"),
        # From our proxy: the rightmost address that is not one of ours.
        ("10.0.0.5", ["1.2.3.4, 203.0.113.7"], "203.0.113.7"),
        ("10.0.0.5", ["1.2.3.4, 203.0.113.7, 10.0.0.9"], "203.0.113.7"),
        ("10.0.0.5", ["1.2.3.4", "203.0.113.7"], "203.0.113.7"),
        # Only proxies: the leftmost of them; nothing forwarded: the proxy itself.
        ("10.0.0.5", ["10.0.0.7, 10.0.0.9"], "10.0.0.7"),
        ("10.0.0.5", [], "10.0.0.5"),
        # Garbage stops the walk at the proxy that reported it.
        ("10.0.0.5", ["1.2.3.4, nonsense, 10.0.0.9"], "10.0.0.9"),
        ("fd00::1", ["[2001:db8::1]"], "2001:db8::1"),
    ],
)
def test_resolution(peer: str, forwarded: list[str], client: str) -> None:
    assert resolve_client_ip(peer, forwarded, PROXIES) == client


def test_no_trusted_proxies_means_the_peer() -> None:
    assert resolve_client_ip("10.0.0.5", ["1.2.3.4"], []) == "10.0.0.5"


async def _run(middleware_proxies: list[str], client: tuple[str, int], xff: bytes) -> Scope:
    seen: dict[str, Scope] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen["scope"] = scope

    scope: Scope = {"type": "http", "client": client, "headers": [(b"x-forwarded-for", xff)]}
    await ClientIpMiddleware(app, middleware_proxies)(scope, None, None)  # type: ignore[arg-type]
    return seen["scope"]


async def test_the_middleware_rewrites_the_scope_only_for_trusted_proxies() -> None:
    trusted = await _run(["10.0.0.0/8"], ("10.0.0.5", 4000), b"203.0.113.7")
    assert trusted["client"] == ("203.0.113.7", 0) and trusted[PEER_KEY] == "10.0.0.5"
    spoofed = await _run(["10.0.0.0/8"], ("198.51.100.9", 4000), b"203.0.113.7")
    assert spoofed["client"] == ("198.51.100.9", 4000)
    default = await _run([], ("127.0.0.1", 4000), b"203.0.113.7")
    assert default["client"] == ("127.0.0.1", 4000)
