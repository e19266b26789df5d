"""Deciding whether an outgoing request may go to a host: allow-list patterns and address checks.

Tools reach the network on behalf of a model (http_fetch) or a tenant admin (MCP over
HTTP), so a request could otherwise be pointed at the cluster's own services. A host
must match the allow-list, and every address it resolves to must be public unless that
very address is listed as an allowed private one. The check runs before each request,
redirects included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from orchestrator.tools.errors import ToolError

__all__ = ["check_url", "host_matches"]


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


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ToolError(f"cannot resolve host {host!r}") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_url(
    url: str, *, allowed_hosts: Collection[str] | None, private_allowed: Collection[str]
) -> str:
    """The URL's host when the URL may be requested; ToolError saying why not otherwise.

    ``allowed_hosts`` None means any host name (the address check still applies).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ToolError("only http and https URLs are allowed")
    host = (parts.hostname or "").lower()
    if not host:
        raise ToolError("the URL has no host")
    if parts.username or parts.password:
        raise ToolError("URLs with credentials are not allowed")
    if allowed_hosts is not None and not host_matches(host, allowed_hosts):
        raise ToolError(f"host {host!r} is not on the allow-list")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ToolError("the URL has an invalid port") from None
    allowed_private = {p.lower().strip("[]") for p in private_allowed}
    for address in await _addresses(host, port):
        if not address.is_global and str(address) not in allowed_private:
            raise ToolError(
                f"host {host!r} resolves to a non-public address ({address}), which is not allowed"
            )
    return host
