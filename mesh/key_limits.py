"""An API key's limits (allowed models, allowed source networks), checked wherever a key acts.

identity checks them when it authenticates a key, but the model a request ends up using is
often chosen later and elsewhere: a conversation's settings, a regenerate with another
model, the orchestrator's default. So the limits also travel in the principal
(:class:`mesh.auth.Principal`) and are enforced by :func:`require_model` in the service that
picks the model (model_router, for every caller acting for a key, whatever path the request
took) and, to refuse early with a clear error, where a model choice is stored (conversation).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from mesh.errors import PermissionDenied

if TYPE_CHECKING:
    from mesh.auth import Principal

__all__ = ["client_address", "ip_allowed", "model_allowed", "require_model"]

MODEL_NOT_ALLOWED = "API_KEY_MODEL_NOT_ALLOWED"


@lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr, strict=False)


@lru_cache(maxsize=4096)
def client_address(client_ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address of ``client_ip`` (brackets allowed, IPv4-mapped IPv6 unwrapped); ValueError if none."""
    address = ipaddress.ip_address(client_ip.strip().strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def ip_allowed(cidrs: Sequence[str], client_ip: str) -> bool:
    """Empty allow-list: any address. Otherwise an unknown address is never allowed."""
    if not cidrs:
        return True
    if not client_ip:
        return False
    try:
        address = client_address(client_ip)
    except ValueError:
        return False
    return any(address in _network(cidr) for cidr in cidrs)


def model_allowed(patterns: Sequence[str], model: str) -> bool:
    """Empty allow-list or empty model: allowed. Patterns are shell-style (``gpt-4o*``)."""
    return not patterns or not model or any(fnmatch.fnmatchcase(model, p) for p in patterns)


def require_model(principal: Principal, model: str) -> None:
    """PERMISSION_DENIED when ``principal`` acts for a key that may not use ``model``.

    The same reason identity gives at the edge, so a client sees one error whichever hop refused.
    """
    if principal.allowed_models and not model_allowed(principal.allowed_models, model):
        raise PermissionDenied(
            f"API key not allowed to use model {model[:128]!r}",
            reason=MODEL_NOT_ALLOWED,
            metadata={"api_key_id": principal.token_id, "model": model[:128]},
        )
