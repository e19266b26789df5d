"""ExportConversation (Markdown or lossless JSON) and ImportConversation (JSON, all-or-nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatmesh.conversation.v1 import sharing_pb2

from conversation.api.caller import (
    CONVERSATIONS_CREATE,
    CONVERSATIONS_READ,
    MESSAGES_CREATE,
    MESSAGES_READ,
    caller,
)
from conversation.api.convert import conversation_to_proto
from conversation.api.import_document import parse_import
from conversation.domain.export import ExportedMessage, filename_for, json_document, markdown_document
from conversation.domain.ids import parse_id
from conversation.domain.tree import depth_first
from conversation.store import transfer
from conversation.store.access import owned_conversation
from conversation.store.rows import ConversationRow, MessageRow

if TYPE_CHECKING:
    from conversation.deps import ConversationDeps

__all__ = ["ExportApi"]


def _exported(row: MessageRow) -> ExportedMessage:
    return ExportedMessage(
        id=str(row.id),
        parent_id=str(row.parent_id or ""),
        role=row.role,
        parts=row.parts,
        attachments=row.attachments,
        status=row.status,
        model=row.model,
        finish_reason=row.finish_reason,
        usage=row.usage,
        tool_calls=row.tool_calls,
        citations=row.citations,
        token_count=row.token_count,
        pinned=row.pinned,
        generation_id=row.generation_id,
        create_time=row.created_at.isoformat(),
    )


def _conversation_meta(row: ConversationRow) -> dict[str, object]:
    return {
        "title": row.title,
        "tags": row.tags,
        "folder": row.folder,
        "pinned": row.pinned,
        "settings": row.settings,
        "summary": row.summary,
        "active_leaf_id": str(row.active_leaf_id or ""),
        "create_time": row.created_at.isoformat(),
    }


class ExportApi:
    deps: ConversationDeps

    async def ExportConversation(
        self, request: sharing_pb2.ExportConversationRequest, context: object
    ) -> sharing_pb2.ExportConversationResponse:
        who = await caller(CONVERSATIONS_READ, MESSAGES_READ)
        conversation_id = parse_id(request.conversation_id, "conversation")
        async with self.deps.sessions() as session:
            conversation = await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
            rows = await transfer.all_messages(session, conversation_id)
            active = await transfer.active_path_ids(session, conversation_id)
        by_id = {r.id: r for r in rows}
        as_json = request.format == sharing_pb2.EXPORT_FORMAT_JSON
        if as_json or request.all_branches:
            order = depth_first([(r.id, r.parent_id) for r in rows])
        else:
            order = active
        exported = [_exported(by_id[i]) for i in order if i in by_id]
        if as_json:
            content = json_document(_conversation_meta(conversation), exported, datetime.now(UTC))
            return sharing_pb2.ExportConversationResponse(
                filename=filename_for(conversation.title, "json"),
                content_type="application/json",
                content=content,
            )
        content = markdown_document(conversation.title, exported, all_branches=request.all_branches)
        return sharing_pb2.ExportConversationResponse(
            filename=filename_for(conversation.title, "md"), content_type="text/markdown", content=content
        )

    async def ImportConversation(
        self, request: sharing_pb2.ImportConversationRequest, context: object
    ) -> sharing_pb2.ImportConversationResponse:
        who = await caller(CONVERSATIONS_CREATE, MESSAGES_CREATE)
        plan = parse_import(request.content, request.title, self.deps.config)
        async with self.deps.sessions.begin() as session:
            row = await transfer.insert_tree(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation={
                    "title": plan.title,
                    "tags": plan.tags,
                    "folder": plan.folder,
                    "settings": plan.settings,
                    "summary": plan.summary,
                },
                tree=[(m.id, m.parent_id, m.values) for m in plan.messages],
                active_leaf=plan.active_leaf,
            )
        return sharing_pb2.ImportConversationResponse(conversation=conversation_to_proto(row))
