"""Short model calls off the user's turn: rolling summaries and titles.

They go through the orchestrator's Generate at BACKGROUND priority (so a tenant at its
concurrency limit runs its users' turns first) rather than straight to model_router: the
orchestrator applies the tenant's default model and the same quota and usage accounting
as any other turn. Each call is a one-message prompt with tools and knowledge off; its
answer is read from the final ``completed`` event (or the text deltas, if that never came).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import grpc
from chatmesh.model_router.v1 import chat_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from conversation.context.fitting import PathMessage
from conversation.context.summary_prompt import (
    SUMMARY_INSTRUCTIONS,
    TITLE_INSTRUCTIONS,
    clean_title,
    summary_request_text,
    title_request_text,
)

if TYPE_CHECKING:
    from mesh.clients import ServiceClients

__all__ = ["BackgroundModel"]

log = logging.getLogger(__name__)

CALL_SECONDS = 60.0
TITLE_MAX_TOKENS = 24


class BackgroundModel:
    """Summaries and titles through the orchestrator (the context builder's Summarizer)."""

    def __init__(self, clients: ServiceClients | None, *, call_seconds: float = CALL_SECONDS) -> None:
        self._clients = clients
        self._call_seconds = call_seconds

    async def summarize(
        self,
        *,
        tenant_id: str,
        owner_id: str,
        conversation_id: str,
        model: str,
        previous: str,
        messages: Sequence[PathMessage],
        limit: int,
    ) -> str | None:
        text = await self._ask(
            tenant_id=tenant_id,
            owner_id=owner_id,
            conversation_id=conversation_id,
            model=model,
            instructions=SUMMARY_INSTRUCTIONS.format(limit=limit),
            prompt=summary_request_text(previous, messages),
            max_tokens=limit,
        )
        return text.strip() if text else None

    async def title(
        self,
        *,
        tenant_id: str,
        owner_id: str,
        conversation_id: str,
        model: str,
        messages: Sequence[PathMessage],
    ) -> str | None:
        text = await self._ask(
            tenant_id=tenant_id,
            owner_id=owner_id,
            conversation_id=conversation_id,
            model=model,
            instructions=TITLE_INSTRUCTIONS,
            prompt=title_request_text(messages),
            max_tokens=TITLE_MAX_TOKENS,
        )
        return clean_title(text) or None if text else None

    async def _ask(
        self,
        *,
        tenant_id: str,
        owner_id: str,
        conversation_id: str,
        model: str,
        instructions: str,
        prompt: str,
        max_tokens: int,
    ) -> str | None:
        if self._clients is None:
            return None
        request = generation_pb2.GenerateRequest(
            generation_id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            user_id=owner_id,
            conversation_id=conversation_id,
            messages=[chat_pb2.ChatMessage(role="user", content=prompt)],
            settings=generation_pb2.GenerationSettings(
                model=model,
                system_prompt=instructions,
                parameters=generation_pb2.ModelParameters(temperature=0.2, max_tokens=max_tokens),
            ),
            priority=generation_pb2.GENERATION_PRIORITY_BACKGROUND,
        )
        pieces: list[str] = []
        try:
            call = self._clients.stub("orchestrator").Generate(request, timeout=self._call_seconds)
            async for response in call:
                kind = response.WhichOneof("event")
                if kind == "text_delta":
                    pieces.append(response.text_delta.text)
                elif kind == "completed":
                    return response.completed.content or "".join(pieces)
                elif kind == "error":
                    log.warning("background model call failed: %s", response.error.message)
                    return None
        except (TimeoutError, grpc.aio.AioRpcError):
            log.warning("background model call failed", exc_info=True)
            return None
        return "".join(pieces) or None
