"""Generation RPCs: SendMessage, Regenerate, ResumeGeneration, StopGeneration, GetContextWindow,
GenerateTitle and Summarize.

The three streaming RPCs only read a turn's event log (conversation.generation); the turn
itself runs on its own. A caller that disconnects therefore does not stop the turn: it is
finished and stored, and the caller may come back with the last event id it saw
(``after_event_id``, which the gateway fills from ``Last-Event-ID``). StopGeneration is
how a turn ends early.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
from chatmesh.conversation.v1 import conversations_pb2, messages_pb2

from conversation.api.caller import (
    CHAT,
    CONVERSATIONS_UPDATE,
    MESSAGES_CREATE,
    MESSAGES_READ,
    MESSAGES_UPDATE,
    Caller,
    caller,
)
from conversation.api.convert import message_to_proto, parts_to_json
from conversation.api.messages import request_parts
from conversation.domain.ids import parse_id, parse_optional_id
from conversation.generation.event_log import parse_event_id
from conversation.generation.service import Generations
from conversation.generation.turns import NewTurn, Owner
from conversation.store.access import owned_conversation
from conversation.store.conversations import change_conversation
from conversation.store.generations import GenerationRow
from conversation.store.messages import get_message
from mesh.auth import current_principal
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument, Unavailable
from mesh.telemetry import current_request_id
from mesh.tokens import counter_for

if TYPE_CHECKING:
    from conversation.deps import ConversationDeps

__all__ = ["GenerationApi"]


def _owner(who: Caller) -> Owner:
    principal = current_principal()
    api_key_id = principal.token_id if principal.kind == "api_key" else ""
    return Owner(who.tenant_id, who.user_id, api_key_id, current_request_id() or "")


class GenerationApi:
    deps: ConversationDeps

    def _generations(self) -> Generations:
        generations = self.deps.generations
        if not isinstance(generations, Generations):
            raise Unavailable(
                "generation is not available on this instance (no Redis)", reason="NO_GENERATIONS"
            )
        return generations

    async def _resumed(
        self, owner: Owner, conversation_id: str, after_event_id: str
    ) -> tuple[GenerationRow, int]:
        generation_id, after = parse_event_id(after_event_id)
        row = await self._generations().owned(owner, conversation_id, generation_id)
        return row, after

    async def SendMessage(
        self, request: messages_pb2.SendMessageRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[messages_pb2.SendMessageResponse]:
        owner = _owner(await caller(MESSAGES_CREATE, CHAT))
        generations = self._generations()
        if request.after_event_id:
            row, after = await self._resumed(owner, request.conversation_id, request.after_event_id)
        else:
            row, after = await generations.begin(owner, self._send_turn(request)), 0
        async for event in generations.follow(row, after):
            yield messages_pb2.SendMessageResponse(event=event)

    def _send_turn(self, request: messages_pb2.SendMessageRequest) -> NewTurn:
        conversation_id = parse_id(request.conversation_id, "conversation")
        parts = request_parts(
            request.content, list(request.parts), max_chars=self.deps.config.max_message_chars
        )
        text = "\n".join(p.text for p in parts if p.text)
        return NewTurn(
            conversation_id=conversation_id,
            kind="send",
            answer_to=parse_optional_id(request.parent_message_id, "parent message"),
            user_parts=parts_to_json(parts),
            attachments=[{"id": a} for a in request.attachment_ids if a],
            model=request.model,
            request_id=request.request_id,
            user_tokens=counter_for(request.model).text(text),
        )

    async def Regenerate(
        self, request: messages_pb2.RegenerateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[messages_pb2.RegenerateResponse]:
        who = await caller(MESSAGES_UPDATE, CHAT)
        owner = _owner(who)
        generations = self._generations()
        if request.after_event_id:
            row, after = await self._resumed(owner, request.conversation_id, request.after_event_id)
        else:
            turn = await self._regenerate_turn(who, request)
            row, after = await generations.begin(owner, turn), 0
        async for event in generations.follow(row, after):
            yield messages_pb2.RegenerateResponse(event=event)

    async def _regenerate_turn(self, who: Caller, request: messages_pb2.RegenerateRequest) -> NewTurn:
        conversation_id = parse_id(request.conversation_id, "conversation")
        if not request.message_id:
            raise InvalidArgument(
                "which message to answer again?", [FieldViolation("message_id", "is required")]
            )
        message_id = parse_id(request.message_id, "message")
        async with self.deps.sessions() as session:
            await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
            target = await get_message(
                session, tenant_id=who.tenant_id, conversation_id=conversation_id, message_id=message_id
            )
        if target.role == "assistant":
            if target.parent_id is None:
                raise FailedPrecondition("this answer has no question to answer again", reason="NO_PARENT")
            answer_to: uuid.UUID = target.parent_id
        elif target.role == "user":
            answer_to = target.id
        else:
            raise InvalidArgument(
                "only user and assistant messages can be answered again",
                [FieldViolation("message_id", "must be a user or an assistant message")],
            )
        return NewTurn(
            conversation_id=conversation_id,
            kind="regenerate",
            answer_to=answer_to,
            user_parts=None,
            attachments=[],
            model=request.model,
            request_id=request.request_id,
        )

    async def ResumeGeneration(
        self, request: messages_pb2.ResumeGenerationRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[messages_pb2.ResumeGenerationResponse]:
        owner = _owner(await caller(MESSAGES_READ))
        generations = self._generations()
        after = 0
        if request.after_event_id:
            generation_id, after = parse_event_id(request.after_event_id)
            if generation_id != request.generation_id:
                raise InvalidArgument(
                    "the event belongs to another generation",
                    [FieldViolation("after_event_id", "not an event of this generation")],
                )
        row = await generations.owned(owner, request.conversation_id, request.generation_id)
        async for event in generations.follow(row, after):
            yield messages_pb2.ResumeGenerationResponse(event=event)

    async def StopGeneration(
        self, request: messages_pb2.StopGenerationRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.StopGenerationResponse:
        owner = _owner(await caller(MESSAGES_UPDATE))
        generations = self._generations()
        row = await generations.owned(owner, request.conversation_id, request.generation_id)
        return messages_pb2.StopGenerationResponse(stopped=await generations.stop(row))

    async def GetContextWindow(
        self, request: conversations_pb2.GetContextWindowRequest, context: grpc.aio.ServicerContext
    ) -> conversations_pb2.GetContextWindowResponse:
        who = await caller(MESSAGES_READ)
        if request.reserve_tokens < 0:
            raise InvalidArgument("bad reserve", [FieldViolation("reserve_tokens", "must not be negative")])
        window = await self._generations().context.build(
            tenant_id=who.tenant_id,
            owner_id=who.user_id,
            conversation_id=parse_id(request.conversation_id, "conversation"),
            leaf_id=parse_optional_id(request.leaf_message_id, "message"),
            model=request.model,
            reserve_tokens=request.reserve_tokens,
        )
        return conversations_pb2.GetContextWindowResponse(
            system_prompt=window.system_prompt,
            summary=window.summary,
            messages=[message_to_proto(row) for row in window.messages],
            token_count=window.token_count,
            settings=window.settings,
        )

    async def GenerateTitle(
        self, request: conversations_pb2.GenerateTitleRequest, context: grpc.aio.ServicerContext
    ) -> conversations_pb2.GenerateTitleResponse:
        who = await caller(CONVERSATIONS_UPDATE, CHAT)
        conversation_id = parse_id(request.conversation_id, "conversation")
        title = await self._generations().titles.generate(who.tenant_id, who.user_id, conversation_id)
        if not title:
            raise FailedPrecondition(
                "no title could be generated (no messages yet, or the model gave none)", reason="NO_TITLE"
            )
        title = title[: self.deps.config.max_title_chars]
        async with self.deps.sessions.begin() as session:
            await change_conversation(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=conversation_id,
                values={"title": title},
            )
        return conversations_pb2.GenerateTitleResponse(title=title)

    async def Summarize(
        self, request: conversations_pb2.SummarizeRequest, context: grpc.aio.ServicerContext
    ) -> conversations_pb2.SummarizeResponse:
        who = await caller(MESSAGES_READ, CHAT)
        found = await self._generations().context.summarize_through(
            tenant_id=who.tenant_id,
            owner_id=who.user_id,
            conversation_id=parse_id(request.conversation_id, "conversation"),
            leaf_id=parse_optional_id(request.leaf_message_id, "message"),
        )
        if found is None:
            raise Unavailable("the summary could not be generated; try again", reason="SUMMARY_FAILED")
        summary, _ = found
        return conversations_pb2.SummarizeResponse(
            summary=summary.content,
            through_message_id=summary.through_message_id,
            token_count=summary.token_count,
        )
