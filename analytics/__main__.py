"""`python -m analytics`: wiring only — resources are created here (never at import) and released
after the last RPC drained.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from analytics import api
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.server import ServiceParts, run_service


async def build(settings: Settings) -> ServiceParts:
    """Engine, discovery and servicer; if any step fails, what was already opened is closed again."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings, "analytics")
        stack.push_async_callback(engine.dispose)
        discovery = make_discovery(settings)
        stack.push_async_callback(discovery.close)
        parts = ServiceParts(bindings=[api.binding()], discovery=discovery, on_shutdown=[engine.dispose])
        stack.pop_all()
        return parts


def main() -> None:
    run_service("analytics", build)


if __name__ == "__main__":
    main()
