"""Conversation titles from a short background model call.

After the first exchange of a conversation completes, a title is generated off the
request path and stored only if the conversation still has none (a title the user typed
meanwhile wins). GenerateTitle asks on demand and replaces the title.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation.context.builder import conversation_settings, path_messages
from conversation.generation.background import BackgroundModel
from conversation.store import generations as generation_store
from conversation.store.access import owned_conversation
from conversation.store.messages import path_to

if TYPE_CHECKING:
    from conversation.generation.request import TurnIdentity

__all__ = ["Titles"]

TITLE_MESSAGES = 4


class Titles:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], model: BackgroundModel) -> None:
        self._sessions = sessions
        self._model = model

    async def after_first_exchange(self, turn: TurnIdentity) -> None:
        """Title the conversation if this turn answered its first message and it has no title yet."""
        title = await self.generate(
            turn.tenant_id,
            turn.owner_id,
            uuid.UUID(turn.conversation_id),
            leaf_id=uuid.UUID(turn.assistant_message_id),
            only_first_exchange=True,
        )
        if title:
            async with self._sessions.begin() as session:
                await generation_store.set_title_if_empty(
                    session, turn.tenant_id, turn.conversation_id, title
                )

    async def generate(
        self,
        tenant_id: str,
        owner_id: str,
        conversation_id: uuid.UUID,
        *,
        leaf_id: uuid.UUID | None = None,
        only_first_exchange: bool = False,
    ) -> str | None:
        """A title for the branch's opening messages (not stored); None when there is nothing to name
        or the model gave nothing (or, with ``only_first_exchange``, when this is not the first one)."""
        async with self._sessions() as session:
            conversation = await owned_conversation(
                session, tenant_id=tenant_id, owner_id=owner_id, conversation_id=conversation_id
            )
            if only_first_exchange and conversation.title:
                return None
            rows = await path_to(
                session, tenant_id=tenant_id, conversation_id=conversation_id, leaf_id=leaf_id
            )
        if only_first_exchange and len(rows) != 2:
            return None
        model = conversation_settings(conversation).model
        opening = path_messages(rows[:TITLE_MESSAGES], model)
        if not opening:
            return None
        return await self._model.title(
            tenant_id=tenant_id,
            owner_id=owner_id,
            conversation_id=str(conversation_id),
            model=model,
            messages=opening,
        )
