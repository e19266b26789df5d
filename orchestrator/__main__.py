"""`python -m orchestrator`: wiring only — resources are created here (never at import) and released
after the last RPC drained.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from mesh.auth_jwt import remote_verifier
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.server import ServiceParts, run_service
from orchestrator import api


async def build(settings: Settings) -> ServiceParts:
    """Engine, discovery, token verifier and servicer; on failure, what was opened is closed again."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings, "orchestrator")
        stack.push_async_callback(engine.dispose)
        discovery = make_discovery(settings)
        stack.push_async_callback(discovery.close)
        verifier, close_verifier = await remote_verifier(settings, discovery)
        stack.push_async_callback(close_verifier)
        parts = ServiceParts(
            bindings=[api.binding()],
            discovery=discovery,
            on_shutdown=[close_verifier, engine.dispose],
            verifier=verifier,
        )
        stack.pop_all()
        return parts


def main() -> None:
    run_service("orchestrator", build)


if __name__ == "__main__":
    main()
