"""OpenAI- and Anthropic-compatible developer APIs, mapped onto ModelRouterService.

gw-core mounts :func:`routes` in ``create_app`` ahead of the transcoded routes, so these
explicit handlers answer ``/v1/chat/completions``, ``/v1/embeddings``, ``/v1/models`` and
``/v1/messages`` in the exact shapes existing SDK clients expect.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from gateway.compat.anthropic_routes import AnthropicRoutes
from gateway.compat.openai_routes import OpenAIRoutes
from gateway.compat.upstream import Clients
from gateway.edge_auth import Authenticator
from mesh.config import Settings

__all__ = ["routes"]


def routes(settings: Settings, clients: Clients, authenticator: Authenticator) -> list[BaseRoute]:
    """The compatible routes.

    ``clients`` is mesh.clients.ServiceClients; ``authenticator`` is gateway.edge_auth.EdgeAuthenticator.
    """
    return [
        *OpenAIRoutes(settings, clients, authenticator).routes(),
        *AnthropicRoutes(settings, clients, authenticator).routes(),
    ]
