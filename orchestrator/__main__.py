"""`python -m orchestrator`: wiring only.

Resources are created here (never at import) and released after the last RPC drained.
Calls to model_router, conversation and knowledge go through mesh.clients, which
forwards the caller's credentials.
"""

from __future__ import annotations

from mesh.config import Settings
from mesh.server import ServiceParts, run_service
from mesh.wiring import Assembled, Resources, build_service
from orchestrator import api
from orchestrator.assembly import close_deps, open_deps


async def assemble(res: Resources) -> Assembled:
    """OrchestratorDeps; areas add what they need in orchestrator/assembly.py."""
    deps = await open_deps(res.settings, res.engine, res.redis, res.service_clients())
    res.stack.push_async_callback(close_deps, deps)
    return Assembled(bindings=[api.binding(deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring) plus the orchestrator servicer."""
    return await build_service(settings, "orchestrator", assemble)


def main() -> None:
    run_service("orchestrator", build)


if __name__ == "__main__":
    main()
