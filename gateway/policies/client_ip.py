"""The client's address, decided once at the edge: the socket peer, or what trusted proxies say.

``X-Forwarded-For`` is whatever the sender wrote, so it is believed only when the socket peer
is one of our own proxies (``CHATMESH_GATEWAY_TRUSTED_PROXIES``, CIDRs; empty by default, so
out of the box the peer is the client). Then the list is read from the right, skipping our
proxies, and the first address that is not one of them is the client: everything to its left
was written by the client itself. The result replaces ``scope["client"]``, so the rate limits,
the access log, API-key network checks and the address sealed for the services
(mesh.client_ip) all use the same, verified address. uvicorn's own proxy-header handling is
turned off (gateway.__main__): by default it believes any header from 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["PEER_KEY", "ClientIpMiddleware", "resolve_client_ip"]

# The socket peer as it was, kept for the access log when a proxy's word replaced it.
PEER_KEY = "chatmesh.peer"
_MAX_HOPS = 32
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def resolve_client_ip(peer: str, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, then the rightmost untrusted hop.

    A malformed hop ends the walk at the proxy that reported it; a chain of nothing but
    trusted proxies names its leftmost one.
    """
    nearest = _address(peer)
    if nearest is None or not proxies or not _trusted(nearest, proxies):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops[-_MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            break
        nearest = address
        if not _trusted(address, proxies):
            break
    return str(nearest)


class ClientIpMiddleware:
    """Sets ``scope["client"]`` to the verified client address (see the module docstring)."""

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self._proxies = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self._proxies and scope["type"] in ("http", "websocket") and client:
            peer = str(client[0])
            headers = scope.get("headers", ())
            forwarded = (value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for")
            resolved = resolve_client_ip(peer, forwarded, self._proxies)
            if resolved != peer:
                scope = {**scope, "client": (resolved, 0), PEER_KEY: peer}
        await self.app(scope, receive, send)
