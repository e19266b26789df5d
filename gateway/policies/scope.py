"""What the edge policies read from an ASGI scope: the client's address and the route's name.

The client address is the connection's peer, or, behind our own proxies or load balancers
(``CHATMESH_GATEWAY_TRUSTED_PROXIES``), the address they report: gateway.policies.client_ip
settles it before anything reads the scope, and the limits and logs use it.
"""

from __future__ import annotations

from starlette.types import Scope

__all__ = ["ROUTE_KEY", "UNMATCHED", "client_ip", "route_template"]

# A router that dispatches many routes from one Starlette route (the transcoder) names the
# matched one here, e.g. "/v1/conversations/{conversation_id}", for metrics and access logs.
ROUTE_KEY = "chatmesh.route"
UNMATCHED = "unmatched"


def client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def route_template(scope: Scope) -> str:
    """The matched route's template: low-cardinality, so it can label metrics."""
    named = scope.get(ROUTE_KEY)
    if isinstance(named, str) and named:
        return named
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED
