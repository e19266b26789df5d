"""`python -m model_router`: wiring only.

The seed channel from settings is written and the channel registry loaded before the
server accepts RPCs; the outbox relay publishes the usage events settlements write.
Resources are created here (never at import) and released after the last RPC drained.
Admin RPCs ask identity's Check for permissions (mesh.authz).
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from mesh.config import Settings
from mesh.server import ServiceParts, run_service
from mesh.wiring import Assembled, Resources, build_service
from model_router import api
from model_router.assembly import close_deps, open_deps
from model_router.bootstrap import ensure_seed_channel
from model_router.store.tables import outbox


async def assemble(res: Resources) -> Assembled:
    """Seed channel, ModelRouterDeps (areas add theirs in model_router/assembly.py), relay.

    The relay stops after the deps closed, so usage events the last settlements write
    are still published.
    """
    await ensure_seed_channel(res.engine, res.settings)
    after_deps = AsyncExitStack()
    res.stack.push_async_callback(after_deps.aclose)
    deps = await open_deps(res.settings, res.engine, res.redis)
    res.stack.push_async_callback(close_deps, deps)
    await res.start_relay(outbox, after_deps)
    return Assembled(bindings=[api.binding(deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring) with the remote authorizer, plus the model_router servicer."""
    return await build_service(settings, "model_router", assemble)


def main() -> None:
    run_service("model_router", build)


if __name__ == "__main__":
    main()
