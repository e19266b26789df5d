"""The orchestrator's GenerateRequest for a turn, from the fitted window and the conversation's settings."""

from __future__ import annotations

from dataclasses import dataclass

from chatmesh.conversation.v1 import resources_pb2
from chatmesh.model_router.v1 import chat_pb2
from chatmesh.orchestrator.v1 import generation_pb2

from conversation.context.builder import Window
from conversation.store.rows import MessageRow

__all__ = ["TurnIdentity", "chat_message", "generate_request", "generation_settings"]


@dataclass(frozen=True)
class TurnIdentity:
    """Who a turn runs for and how it is known downstream."""

    generation_id: str
    tenant_id: str
    owner_id: str
    conversation_id: str
    user_message_id: str
    assistant_message_id: str
    request_id: str = ""
    api_key_id: str = ""
    model: str = ""


def generation_settings(
    settings: resources_pb2.ConversationSettings, model: str
) -> generation_pb2.GenerationSettings:
    parameters = generation_pb2.ModelParameters()
    if settings.HasField("temperature"):
        parameters.temperature = settings.temperature
    if settings.HasField("top_p"):
        parameters.top_p = settings.top_p
    if settings.HasField("max_tokens"):
        parameters.max_tokens = settings.max_tokens
    return generation_pb2.GenerationSettings(
        model=model,
        parameters=parameters,
        system_prompt=settings.system_prompt,
        knowledge_base_ids=list(settings.knowledge_base_ids),
        tools=list(settings.tools),
        agent_id=settings.agent_id,
    )


def chat_message(row: MessageRow) -> chat_pb2.ChatMessage:
    """Text as ``content``; with images given by URL, OpenAI's parts form (text first, then the images)."""
    images = [p["image"] for p in row.parts if isinstance(p.get("image"), dict) and p["image"].get("url")]
    if not images:
        return chat_pb2.ChatMessage(role=row.role, content=row.text)
    parts = [chat_pb2.ContentPart(type="text", text=row.text)] if row.text else []
    parts += [
        chat_pb2.ContentPart(
            type="image_url", image_url=chat_pb2.ImageUrl(url=image["url"], detail=image.get("detail", ""))
        )
        for image in images
    ]
    return chat_pb2.ChatMessage(role=row.role, content_parts=parts)


def generate_request(turn: TurnIdentity, window: Window) -> generation_pb2.GenerateRequest:
    """INTERACTIVE priority; the system prompt travels in the settings (the orchestrator fills its
    template), the summary as ``history_summary``, the kept messages verbatim."""
    return generation_pb2.GenerateRequest(
        generation_id=turn.generation_id,
        tenant_id=turn.tenant_id,
        user_id=turn.owner_id,
        conversation_id=turn.conversation_id,
        message_id=turn.user_message_id,
        messages=[chat_message(row) for row in window.messages],
        settings=generation_settings(window.settings, window.model),
        priority=generation_pb2.GENERATION_PRIORITY_INTERACTIVE,
        request_id=turn.request_id,
        api_key_id=turn.api_key_id,
        history_summary=window.summary,
    )
