"""What conversation's servicer mixins need, built once by `conversation/assembly.py` (or by a test).

``generations`` (the turn runner) is filled in by assembly.open_deps after the rest exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conversation.config import ConversationConfig

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from conversation.generation.service import Generations
    from conversation.purge import PurgeTask
    from mesh.clients import ServiceClients
    from mesh.config import Settings


@dataclass
class ConversationDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    clients: ServiceClients | None = None
    config: ConversationConfig = field(default_factory=ConversationConfig)
    purge: PurgeTask | None = None  # hard deletion past retention (started by assembly.open_deps)
    generations: Generations | None = None  # the turn runner (conversation/generation/)
