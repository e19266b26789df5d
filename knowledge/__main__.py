"""`python -m knowledge`: wiring only.

Resources are created here (never at import) and released after the last RPC drained.
Events written to the outbox with each change reach Redis Streams through the relay;
ingestion workers run in this process (knowledge/ingestion/queue.py).
"""

from __future__ import annotations

from knowledge import api
from knowledge.assembly import close_deps, open_deps
from knowledge.config import KnowledgeSettings
from knowledge.store import outbox
from mesh.config import Settings
from mesh.server import ServiceParts, run_service
from mesh.wiring import Assembled, Resources, build_service


async def assemble(res: Resources) -> Assembled:
    deps = await open_deps(
        res.settings, res.engine, res.redis, res.service_clients(), config=KnowledgeSettings()
    )
    res.stack.push_async_callback(close_deps, deps)
    await res.start_relay(outbox)
    return Assembled(bindings=[api.binding(deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring) plus the knowledge servicer and its workers."""
    return await build_service(settings, "knowledge", assemble)


def main() -> None:
    run_service("knowledge", build)


if __name__ == "__main__":
    main()
