"""Message RPCs: ListMessages (active path, a branch, a subtree or all), GetMessage, EditMessage,
SwitchBranch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatmesh.conversation.v1 import messages_pb2, resources_pb2

from conversation.api.caller import MESSAGES_READ, MESSAGES_UPDATE, Caller, caller
from conversation.api.convert import conversation_to_proto, message_to_proto, parts_to_json
from conversation.domain.ids import parse_id, parse_optional_id
from conversation.domain.paging import decode_token, encode_token, offset_of, page_size
from conversation.domain.tree import depth_first
from conversation.store import message_reads as reads
from conversation.store import messages as store
from conversation.store.access import owned_conversation
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.ext.asyncio import AsyncSession

    from conversation.deps import ConversationDeps

__all__ = ["MessagesApi", "request_parts"]

_DEFAULT_PAGE = 100
_MAX_PAGE = 1000


def request_parts(
    content: str, parts: list[resources_pb2.ContentPart], *, max_chars: int
) -> list[resources_pb2.ContentPart]:
    """``content`` as a text part followed by ``parts``; INVALID_ARGUMENT when empty or too long."""
    combined = ([resources_pb2.ContentPart(text=content)] if content else []) + [
        p for p in parts if p.WhichOneof("part") is not None
    ]
    if not combined:
        raise InvalidArgument("a message needs content", [FieldViolation("content", "must not be empty")])
    if sum(len(p.text) for p in combined) > max_chars:
        raise InvalidArgument(
            "message too long", [FieldViolation("content", f"at most {max_chars} characters")]
        )
    return combined


class MessagesApi:
    deps: ConversationDeps

    async def _ids_for_view(
        self,
        session: AsyncSession,
        who: Caller,
        conversation_id: uuid.UUID,
        request: messages_pb2.ListMessagesRequest,
        offset: int,
        limit: int,
    ) -> tuple[list[uuid.UUID], int]:
        view = request.view or messages_pb2.MESSAGE_VIEW_ACTIVE_PATH
        anchor = parse_optional_id(request.message_id, "message")
        await owned_conversation(
            session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
        )
        if view == messages_pb2.MESSAGE_VIEW_ACTIVE_PATH and anchor is not None:
            path = await store.ancestor_ids(session, conversation_id, anchor)
            if not path:
                raise NotFound("message not found", reason="MESSAGE_NOT_FOUND")
            return path[offset : offset + limit], len(path)
        if view == messages_pb2.MESSAGE_VIEW_SUBTREE and anchor is None:
            raise InvalidArgument(
                "SUBTREE needs a message", [FieldViolation("message_id", "required for the SUBTREE view")]
            )
        nodes = await reads.tree_nodes(session, conversation_id)
        if anchor is not None and all(node != anchor for node, _ in nodes):
            await store.get_message(
                session, tenant_id=who.tenant_id, conversation_id=conversation_id, message_id=anchor
            )
        order = depth_first(nodes, anchor if view == messages_pb2.MESSAGE_VIEW_SUBTREE else None)
        return order[offset : offset + limit], len(order)

    async def ListMessages(
        self, request: messages_pb2.ListMessagesRequest, context: object
    ) -> messages_pb2.ListMessagesResponse:
        who = await caller(MESSAGES_READ)
        conversation_id = parse_id(request.conversation_id, "conversation")
        scope = f"{request.conversation_id}|{request.view}|{request.message_id}"
        offset = offset_of(decode_token(request.page_token, scope))
        limit = page_size(request.page_size, _DEFAULT_PAGE, _MAX_PAGE)
        async with self.deps.sessions() as session:
            if (
                request.view or messages_pb2.MESSAGE_VIEW_ACTIVE_PATH
            ) == messages_pb2.MESSAGE_VIEW_ACTIVE_PATH and not request.message_id:
                rows, total = await reads.active_page(
                    session,
                    tenant_id=who.tenant_id,
                    owner_id=who.user_id,
                    conversation_id=conversation_id,
                    offset=offset,
                    limit=limit,
                )
                ids = [r.id for r in rows]
            else:
                ids, total = await self._ids_for_view(session, who, conversation_id, request, offset, limit)
                rows = await reads.page_rows(session, conversation_id, ids)
        after = offset + len(ids)
        return messages_pb2.ListMessagesResponse(
            messages=[message_to_proto(r) for r in rows],
            next_page_token=encode_token({"o": after}, scope) if after < total and ids else "",
        )

    async def GetMessage(
        self, request: messages_pb2.GetMessageRequest, context: object
    ) -> messages_pb2.GetMessageResponse:
        who = await caller(MESSAGES_READ)
        conversation_id = parse_id(request.conversation_id, "conversation")
        async with self.deps.sessions() as session:
            await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
            row = await store.get_message(
                session,
                tenant_id=who.tenant_id,
                conversation_id=conversation_id,
                message_id=parse_id(request.message_id, "message"),
                with_children=True,
            )
        return messages_pb2.GetMessageResponse(message=message_to_proto(row))

    async def EditMessage(
        self, request: messages_pb2.EditMessageRequest, context: object
    ) -> messages_pb2.EditMessageResponse:
        who = await caller(MESSAGES_UPDATE)
        conversation_id = parse_id(request.conversation_id, "conversation")
        parts = request_parts(
            request.content, list(request.parts), max_chars=self.deps.config.max_message_chars
        )
        async with self.deps.sessions.begin() as session:
            await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
            original = await store.get_message(
                session,
                tenant_id=who.tenant_id,
                conversation_id=conversation_id,
                message_id=parse_id(request.message_id, "message"),
            )
            if original.role != "user":
                raise FailedPrecondition(
                    "only user messages can be edited; regenerate an answer instead",
                    reason="NOT_A_USER_MESSAGE",
                )
            row = await store.insert_message(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=conversation_id,
                parent_id=original.parent_id,
                message=store.NewMessage(
                    role="user",
                    parts=parts_to_json(parts),
                    attachments=original.attachments,
                    pinned=original.pinned,
                ),
            )
        return messages_pb2.EditMessageResponse(message=message_to_proto(row))

    async def SwitchBranch(
        self, request: messages_pb2.SwitchBranchRequest, context: object
    ) -> messages_pb2.SwitchBranchResponse:
        who = await caller(MESSAGES_UPDATE)
        conversation_id = parse_id(request.conversation_id, "conversation")
        message_id = parse_id(request.message_id, "message")
        async with self.deps.sessions.begin() as session:
            await owned_conversation(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=conversation_id,
                for_update=True,
            )
            await store.set_active_leaf(session, conversation_id, message_id)
            row = await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
        return messages_pb2.SwitchBranchResponse(conversation=conversation_to_proto(row))
