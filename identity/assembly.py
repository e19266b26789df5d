"""Building identity's dependencies from an engine and a Redis client: shared by __main__ and the tests.

Resources (engine, Redis) are created and closed by the caller; what this builds
that needs closing is closed by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from identity.api.api_key_auth import LocalApiKeyVerifier
from identity.deps import IdentityDeps
from identity.sessions.keyring import Keyring
from identity.sessions.tokens import TokenService
from identity.store.access_runtime import AccessRuntime
from mesh.auth_jwt import JwtVerifier
from mesh.config import Settings
from mesh.db import session_factory
from mesh.secrets import secret_box

__all__ = ["close_deps", "open_deps"]


async def open_deps(settings: Settings, engine: AsyncEngine, redis: Redis) -> IdentityDeps:
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
    )


async def close_deps(deps: IdentityDeps) -> None:
    await deps.oauth.aclose()
    if deps.access is not None:
        await deps.access.close()
