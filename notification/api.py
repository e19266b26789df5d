"""notification's gRPC servicer: every RPC answers UNIMPLEMENTED until its issue is planned and built."""

from __future__ import annotations

from mesh import unbuilt
from mesh.server import ServiceBinding


def binding() -> ServiceBinding:
    return unbuilt.binding("notification", "NotificationService", issue="not yet planned")
