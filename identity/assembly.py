"""The only place identity is wired: its dependencies, its servicer, its start-up work.

:func:`build` is what ``python -m identity`` runs. First-start seeding (default tenant,
roles, super-admin) and the first signing key are created before the server accepts
RPCs. Identity verifies its callers' tokens with its own keys and answers permission
questions from its own resolver, in process. :func:`open_deps` is shared with the tests:
resources (engine, Redis) are created and closed by the caller; what it builds that
needs closing is closed by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from identity import api
from identity.api.api_key_auth import LocalApiKeyVerifier
from identity.config import IdentitySettings, load_identity_settings
from identity.deps import IdentityDeps
from identity.sessions.keyring import Keyring
from identity.sessions.tokens import TokenService
from identity.store import outbox
from identity.store.access_runtime import AccessRuntime
from identity.tenants.bootstrap import ensure_bootstrap
from mesh.auth_jwt import JwtVerifier
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.db import session_factory
from mesh.secrets import secret_box
from mesh.server import ServiceParts
from mesh.wiring import Assembled, Resources, build_service

__all__ = ["build", "close_deps", "open_deps"]


async def open_deps(
    settings: Settings, engine: AsyncEngine, redis: Redis, config: IdentitySettings | None = None
) -> IdentityDeps:
    """Keys loaded (the first one created if needed), verifier in process, access caches listening."""
    sessions = session_factory(engine)
    secrets = secret_box(settings)
    # Retired keys stay published as long as any token they signed can still be presented.
    publish = max(settings.refresh_token_ttl_seconds, settings.access_token_ttl_seconds)
    keyring = Keyring(engine, secrets, publish_seconds=publish + int(settings.jwt_leeway_seconds) + 60)
    await keyring.start()
    access = AccessRuntime.create(sessions, redis)
    await access.start()
    verifier = JwtVerifier(settings, keyring, redis, api_keys=LocalApiKeyVerifier(access))
    tokens = TokenService(settings, sessions, redis, keyring, verifier)
    return IdentityDeps(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis,
        secrets=secrets,
        tokens=tokens,
        verifier=verifier,
        access=access,
        config=config or IdentitySettings(),
    )


async def close_deps(deps: IdentityDeps) -> None:
    await deps.oauth.aclose()
    if deps.access is not None:
        await deps.access.close()


async def assemble(res: Resources, config: IdentitySettings) -> Assembled:
    """Bootstrap, IdentityDeps, then the outbox relay; identity is its own authorizer."""
    await ensure_bootstrap(res.engine, res.settings, config)
    deps = await open_deps(res.settings, res.engine, res.redis, config)
    res.stack.push_async_callback(close_deps, deps)
    # Events written to the outbox with each change reach Redis Streams through the relay.
    await res.start_relay(outbox)
    # Identity answers permission questions from its own resolver (no Check round trip to itself).
    if deps.access is None:
        raise RuntimeError("identity's access runtime was not built, so it cannot authorize callers")
    authorizer = Authorizer(deps.access.roles, ttl=0.0)
    return Assembled(bindings=[api.binding(deps)], verifier=deps.verifier, authorizer=authorizer)


async def build(settings: Settings, config: IdentitySettings | None = None) -> ServiceParts:
    """Shared resources (mesh.wiring, no remote verifier: identity checks tokens itself) plus the servicer."""
    own = config or load_identity_settings()
    return await build_service(settings, "identity", lambda res: assemble(res, own), remote_auth=False)
