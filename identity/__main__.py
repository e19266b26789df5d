"""`python -m identity`: wiring only.

First-start seeding (default tenant, roles, super-admin) and the first signing
key are created before the server accepts RPCs; resources are created here
(never at import) and released after the last RPC drained. Identity verifies
its callers' tokens with its own keys, in process.
"""

from __future__ import annotations

from identity import api
from identity.assembly import close_deps, open_deps
from identity.store import outbox
from identity.tenants.bootstrap import ensure_bootstrap
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.server import ServiceParts, run_service
from mesh.wiring import Assembled, Resources, build_service


async def assemble(res: Resources) -> Assembled:
    """Bootstrap, IdentityDeps (areas add theirs in identity/assembly.py), then the relay."""
    await ensure_bootstrap(res.engine, res.settings)
    deps = await open_deps(res.settings, res.engine, res.redis)
    res.stack.push_async_callback(close_deps, deps)
    # Events written to the outbox with each change reach Redis Streams through the relay.
    await res.start_relay(outbox)
    # Identity answers permission questions from its own resolver (no Check round trip to itself).
    if deps.access is None:
        raise RuntimeError("identity's access runtime was not built, so it cannot authorize callers")
    authorizer = Authorizer(deps.access.roles, ttl=0.0)
    return Assembled(bindings=[api.binding(deps)], verifier=deps.verifier, authorizer=authorizer)


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring, no remote verifier: identity checks tokens itself) plus the servicer."""
    return await build_service(settings, "identity", assemble, remote_auth=False)


def main() -> None:
    run_service("identity", build)


if __name__ == "__main__":
    main()
