"""`python -m conversation`: wiring only.

Resources are created here (never at import) and released after the last RPC drained.
Events written to the outbox with each change reach Redis Streams through the relay.
"""

from __future__ import annotations

from conversation import api
from conversation.assembly import close_deps, open_deps
from conversation.store import outbox
from mesh.config import Settings
from mesh.server import ServiceParts, run_service
from mesh.wiring import Assembled, Resources, build_service


async def assemble(res: Resources) -> Assembled:
    """ConversationDeps (areas add theirs in conversation/assembly.py), then the relay."""
    deps = await open_deps(res.settings, res.engine, res.redis, res.service_clients())
    res.stack.push_async_callback(close_deps, deps)
    await res.start_relay(outbox)
    return Assembled(bindings=[api.binding(deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring) plus the conversation servicer."""
    return await build_service(settings, "conversation", assemble)


def main() -> None:
    run_service("conversation", build)


if __name__ == "__main__":
    main()
