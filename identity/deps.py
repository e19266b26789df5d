"""What identity's servicer mixins and use cases need, built once by ``identity/assembly.py`` (or a test).

A field per dependency; it is constructed in ``assembly.open_deps`` and, when it
holds a connection or a task, released in ``assembly.close_deps``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from identity.config import IdentitySettings
from identity.oauth.providers import OAuthClients

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from identity.sessions.tokens import TokenService
    from identity.store.access_runtime import AccessRuntime
    from mesh.auth_jwt import JwtVerifier
    from mesh.config import Settings
    from mesh.secrets import SecretBox


@dataclass
class IdentityDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    secrets: SecretBox
    tokens: TokenService
    verifier: JwtVerifier
    config: IdentitySettings = field(default_factory=IdentitySettings)  # identity's own settings
    access: AccessRuntime | None = None  # API key cache and RBAC resolver
    oauth: OAuthClients = field(default_factory=OAuthClients)  # provider calls; aclosed on shutdown
