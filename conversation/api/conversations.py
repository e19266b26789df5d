"""Conversation RPCs: create, get, list, update (field mask), archive, trash and restore."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from chatmesh.conversation.v1 import conversations_pb2, resources_pb2
from sqlalchemy import func, null

from conversation.api.caller import (
    CONVERSATIONS_CREATE,
    CONVERSATIONS_DELETE,
    CONVERSATIONS_READ,
    CONVERSATIONS_UPDATE,
    caller,
)
from conversation.api.convert import conversation_to_proto, settings_from_json, settings_to_json
from conversation.api.knowledge_access import check_knowledge_bases, knowledge_base_ids
from conversation.domain import fields
from conversation.domain.ids import parse_id
from conversation.domain.paging import decode_token, encode_token, page_size
from conversation.store import conversations as store
from conversation.store.access import owned_conversation
from mesh.auth import current_principal
from mesh.errors import FieldViolation, InvalidArgument
from mesh.key_limits import require_model

if TYPE_CHECKING:
    from conversation.deps import ConversationDeps

__all__ = ["ConversationsApi", "settings_values"]

_WRITABLE = ("title", "tags", "folder", "pinned", "settings")
_SETTINGS_FIELDS = frozenset(resources_pb2.ConversationSettings.DESCRIPTOR.fields_by_name)
_REPEATED_SETTINGS = frozenset({"knowledge_base_ids", "tools"})
_OPTIONAL_SETTINGS = frozenset({"temperature", "max_tokens", "top_p"})


def settings_values(s: resources_pb2.ConversationSettings) -> fields.SettingsValues:
    return fields.SettingsValues(
        model=s.model,
        temperature=s.temperature if s.HasField("temperature") else None,
        max_tokens=s.max_tokens if s.HasField("max_tokens") else None,
        top_p=s.top_p if s.HasField("top_p") else None,
        system_prompt=s.system_prompt,
        knowledge_base_ids=list(s.knowledge_base_ids),
        tools=list(s.tools),
        agent_id=s.agent_id,
    )


def _default_mask(conversation: resources_pb2.Conversation) -> list[str]:
    """Without an update mask, the populated writable fields are written (AIP-134)."""
    present = {f.name for f, _ in conversation.ListFields()}
    return [name for name in _WRITABLE if name in present]


class ConversationsApi:
    deps: ConversationDeps

    def _values(
        self, conversation: resources_pb2.Conversation, paths: list[str], current: dict[str, Any]
    ) -> dict[str, Any]:
        """Column values for the masked fields, validated together (every violation at once)."""
        config = self.deps.config
        problems: list[FieldViolation] = []
        values: dict[str, Any] = {}
        merged = settings_from_json(current)
        for path in paths:
            if path == "title":
                problems += fields.check_title(conversation.title, config, "conversation.title")
                values["title"] = conversation.title.strip()
            elif path == "tags":
                tags, bad = fields.normalize_tags(conversation.tags, config, "conversation.tags")
                problems += bad
                values["tags"] = tags
            elif path == "folder":
                problems += fields.check_folder(conversation.folder, config, "conversation.folder")
                values["folder"] = conversation.folder
            elif path == "pinned":
                values["pinned"] = conversation.pinned
            elif path == "settings":
                merged.CopyFrom(conversation.settings)
            elif path.startswith("settings.") and path[len("settings.") :] in _SETTINGS_FIELDS:
                name = path[len("settings.") :]
                source = conversation.settings
                if name in _REPEATED_SETTINGS:
                    getattr(merged, name)[:] = getattr(source, name)
                elif name in _OPTIONAL_SETTINGS and not source.HasField(name):
                    merged.ClearField(name)
                else:
                    setattr(merged, name, getattr(source, name))
            else:
                problems.append(FieldViolation("update_mask", f"{path!r} is not a writable field"))
        if any(p == "settings" or p.startswith("settings.") for p in paths):
            problems += fields.check_settings(settings_values(merged), config, "conversation.settings")
            values["settings"] = settings_to_json(merged)
        fields.raise_if_any(problems)
        if "settings" in values:
            # A key limited to some models cannot store another one to be used later on its behalf.
            require_model(current_principal(), merged.model)
        return values

    async def CreateConversation(
        self, request: conversations_pb2.CreateConversationRequest, context: object
    ) -> conversations_pb2.CreateConversationResponse:
        who = await caller(CONVERSATIONS_CREATE)
        paths = _default_mask(request.conversation)
        values = self._values(request.conversation, paths, {})
        await check_knowledge_bases(self.deps.clients, knowledge_base_ids(values))
        async with self.deps.sessions.begin() as session:
            row = await store.create_conversation(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                values=values,
                request_id=request.request_id or None,
            )
        return conversations_pb2.CreateConversationResponse(conversation=conversation_to_proto(row))

    async def GetConversation(
        self, request: conversations_pb2.GetConversationRequest, context: object
    ) -> conversations_pb2.GetConversationResponse:
        who = await caller(CONVERSATIONS_READ)
        async with self.deps.sessions() as session:
            row = await owned_conversation(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=parse_id(request.conversation_id, "conversation"),
            )
        return conversations_pb2.GetConversationResponse(conversation=conversation_to_proto(row))

    async def ListConversations(
        self, request: conversations_pb2.ListConversationsRequest, context: object
    ) -> conversations_pb2.ListConversationsResponse:
        who = await caller(CONVERSATIONS_READ)
        order = request.order_by.strip().lower() or "update_time desc"
        if order not in ("update_time desc", "create_time desc", "title"):
            raise InvalidArgument(
                "bad order_by",
                [FieldViolation("order_by", "one of `update_time desc`, `create_time desc`, `title`")],
            )
        flt = store.ConversationFilter(
            tenant_id=who.tenant_id,
            owner_id=who.user_id,
            archived=request.archived,
            deleted=request.show_deleted,
            tag=request.tag,
            folder=request.folder or None,
            updated_since=request.updated_since.ToDatetime(tzinfo=UTC)
            if request.HasField("updated_since")
            else None,
            order=order,
        )
        scope = repr((flt.archived, flt.deleted, flt.tag, flt.folder, flt.updated_since, flt.order))
        cursor = decode_token(request.page_token, scope)
        limit = page_size(
            request.page_size, self.deps.config.default_page_size, self.deps.config.max_page_size
        )
        async with self.deps.sessions() as session:
            rows, after = await store.list_conversations(session, flt, limit, cursor)
        return conversations_pb2.ListConversationsResponse(
            conversations=[conversation_to_proto(r) for r in rows],
            next_page_token=encode_token(after, scope) if after else "",
        )

    async def UpdateConversation(
        self, request: conversations_pb2.UpdateConversationRequest, context: object
    ) -> conversations_pb2.UpdateConversationResponse:
        who = await caller(CONVERSATIONS_UPDATE)
        conversation_id = parse_id(request.conversation_id, "conversation")
        paths = list(request.update_mask.paths) or _default_mask(request.conversation)
        async with self.deps.sessions.begin() as session:
            current = await owned_conversation(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=conversation_id,
                for_update=True,
            )
            values = self._values(request.conversation, paths, current.settings)
            attached = set(knowledge_base_ids({"settings": current.settings}))
            await check_knowledge_bases(
                self.deps.clients, [i for i in knowledge_base_ids(values) if i not in attached]
            )
            row = current
            if values:
                row = await store.change_conversation(
                    session,
                    tenant_id=who.tenant_id,
                    owner_id=who.user_id,
                    conversation_id=conversation_id,
                    values=values,
                )
        return conversations_pb2.UpdateConversationResponse(conversation=conversation_to_proto(row))

    async def _set_archived(self, conversation_id: str, archived: bool) -> resources_pb2.Conversation:
        who = await caller(CONVERSATIONS_UPDATE)
        cid = parse_id(conversation_id, "conversation")
        async with self.deps.sessions.begin() as session:
            current = await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=cid, for_update=True
            )
            if (current.archived_at is not None) == archived:
                return conversation_to_proto(current)
            row = await store.change_conversation(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=cid,
                values={"archived_at": func.now() if archived else null()},
            )
        return conversation_to_proto(row)

    async def ArchiveConversation(
        self, request: conversations_pb2.ArchiveConversationRequest, context: object
    ) -> conversations_pb2.ArchiveConversationResponse:
        conversation = await self._set_archived(request.conversation_id, True)
        return conversations_pb2.ArchiveConversationResponse(conversation=conversation)

    async def UnarchiveConversation(
        self, request: conversations_pb2.UnarchiveConversationRequest, context: object
    ) -> conversations_pb2.UnarchiveConversationResponse:
        conversation = await self._set_archived(request.conversation_id, False)
        return conversations_pb2.UnarchiveConversationResponse(conversation=conversation)

    async def DeleteConversation(
        self, request: conversations_pb2.DeleteConversationRequest, context: object
    ) -> conversations_pb2.DeleteConversationResponse:
        who = await caller(CONVERSATIONS_DELETE)
        conversation_id = parse_id(request.conversation_id, "conversation")
        async with self.deps.sessions.begin() as session:
            await store.trash_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
        if self.deps.generations is not None:
            await self.deps.generations.stop_conversation(who.tenant_id, str(conversation_id))
        return conversations_pb2.DeleteConversationResponse()

    async def RestoreConversation(
        self, request: conversations_pb2.RestoreConversationRequest, context: object
    ) -> conversations_pb2.RestoreConversationResponse:
        who = await caller(CONVERSATIONS_DELETE)
        async with self.deps.sessions.begin() as session:
            row = await store.restore_conversation(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=parse_id(request.conversation_id, "conversation"),
            )
        return conversations_pb2.RestoreConversationResponse(conversation=conversation_to_proto(row))
