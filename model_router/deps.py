"""What model_router's servicer mixins need, built once by `model_router/assembly.py` (or by a test).

Areas may add fields for what they need (one line each, with a default when they can)
and construct them in assembly.open_deps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from mesh.config import Settings
    from mesh.secrets import SecretBox
    from model_router.registry import ChannelRegistry
    from model_router.relay import Relay


@dataclass
class ModelRouterDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    secrets: SecretBox
    channels: ChannelRegistry
    relay: Relay | None = None  # inference (mr-relay); None leaves the inference RPCs UNAVAILABLE
