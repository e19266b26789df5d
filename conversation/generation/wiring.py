"""Building the generation machinery for a service's deps (called from conversation/assembly.py).

The api layer's row-to-proto mapping is handed in here, so the generation package never
imports the api package (which imports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversation.api.convert import message_to_proto
from conversation.generation.service import Generations

if TYPE_CHECKING:
    from conversation.deps import ConversationDeps

__all__ = ["close_generations", "open_generations"]


async def open_generations(deps: ConversationDeps) -> Generations | None:
    """Running turns for ``deps``; None without Redis (generation RPCs then answer UNAVAILABLE)."""
    if deps.redis is None:
        return None
    generations = Generations(deps.sessions, deps.redis, deps.clients, deps.config, message_to_proto)
    await generations.start()
    return generations


async def close_generations(deps: ConversationDeps) -> None:
    if isinstance(deps.generations, Generations):
        await deps.generations.close()
