"""What identity's servicer mixins need, built once in `identity/__main__.py` (or by a test).

Other identity areas may add fields for what they need (one line each, with a
default when they can) and construct them in `identity/__main__.py`'s build section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
    access: AccessRuntime | None = None  # id-access: API key cache, RBAC resolver (built in __main__)
    oauth: OAuthClients = field(default_factory=OAuthClients)  # id-flows: provider calls; aclose on shutdown
