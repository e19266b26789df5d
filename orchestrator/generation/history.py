"""The history window of a turn when the caller sends none: conversation's GetContextWindow.

Stored messages become chat messages by their text and image parts; earlier tool calls are
not replayed (the stored answer text already carries what the tools contributed).
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from chatmesh.conversation.v1 import conversations_pb2, resources_pb2
from chatmesh.model_router.v1 import chat_pb2

from mesh.errors import FailedPrecondition, error_from_rpc
from orchestrator.generation.retrieval import StubSource

__all__ = ["Window", "fetch_window", "to_chat_message"]

_ROLES = {
    resources_pb2.MESSAGE_ROLE_USER: "user",
    resources_pb2.MESSAGE_ROLE_ASSISTANT: "assistant",
    resources_pb2.MESSAGE_ROLE_SYSTEM: "system",
}


@dataclass(frozen=True)
class Window:
    system_prompt: str
    summary: str
    messages: list[chat_pb2.ChatMessage]


def to_chat_message(message: resources_pb2.Message) -> chat_pb2.ChatMessage | None:
    """The chat form of a stored message; None for roles the model is not sent (tool results)."""
    role = _ROLES.get(message.role)
    if role is None:
        return None
    texts = [part.text for part in message.parts if part.WhichOneof("part") == "text"]
    images = [part.image for part in message.parts if part.WhichOneof("part") == "image" and part.image.url]
    if not images:
        return chat_pb2.ChatMessage(role=role, content="".join(texts))
    parts = [chat_pb2.ContentPart(type="text", text=text) for text in texts if text]
    parts.extend(
        chat_pb2.ContentPart(
            type="image_url", image_url=chat_pb2.ImageUrl(url=image.url, detail=image.detail)
        )
        for image in images
    )
    return chat_pb2.ChatMessage(role=role, content_parts=parts)


async def fetch_window(
    stubs: StubSource | None, conversation_id: str, leaf_message_id: str, model: str
) -> Window:
    if stubs is None or not conversation_id:
        raise FailedPrecondition(
            "the request carries no messages and the conversation history cannot be fetched",
            reason="HISTORY_UNAVAILABLE",
        )
    request = conversations_pb2.GetContextWindowRequest(
        conversation_id=conversation_id, leaf_message_id=leaf_message_id, model=model
    )
    try:
        response = await stubs.stub("conversation").GetContextWindow(request)
    except grpc.aio.AioRpcError as exc:
        raise error_from_rpc(exc) from None
    messages = [chat for message in response.messages if (chat := to_chat_message(message)) is not None]
    return Window(response.system_prompt, response.summary, messages)
