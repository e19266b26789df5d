"""conversation's gRPC servicer: every RPC answers UNIMPLEMENTED until issue 6 builds it."""

from __future__ import annotations

from mesh import unbuilt
from mesh.server import ServiceBinding


def binding() -> ServiceBinding:
    return unbuilt.binding("conversation", "ConversationService", issue="issue 6")
