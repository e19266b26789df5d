"""Share-link RPCs: create, list, revoke (owner only) and the public GetSharedConversation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatmesh.conversation.v1 import sharing_pb2

from conversation.api.caller import CONVERSATIONS_READ, CONVERSATIONS_UPDATE, caller
from conversation.api.convert import message_to_proto, share_link_to_proto, timestamp
from conversation.domain.fields import raise_if_any
from conversation.domain.ids import parse_id
from conversation.domain.paging import decode_token, encode_token, offset_of, page_size
from conversation.domain.share_passwords import (
    hash_share_password,
    share_password_problems,
    verify_share_password,
)
from conversation.store import messages as message_store
from conversation.store import sharing as store
from conversation.store.access import owned_conversation
from mesh.errors import FieldViolation, PermissionDenied

if TYPE_CHECKING:
    from conversation.deps import ConversationDeps

__all__ = ["SharingApi"]

_MAX_LINK_ID = 128


class SharingApi:
    deps: ConversationDeps

    async def CreateShareLink(
        self, request: sharing_pb2.CreateShareLinkRequest, context: object
    ) -> sharing_pb2.CreateShareLinkResponse:
        who = await caller(CONVERSATIONS_UPDATE)
        conversation_id = parse_id(request.conversation_id, "conversation")
        link = request.share_link
        problems = share_password_problems(link.password, "share_link.password")
        expire_at = link.expire_time.ToDatetime(tzinfo=UTC) if link.HasField("expire_time") else None
        if expire_at is not None and expire_at <= datetime.now(UTC):
            problems.append(FieldViolation("share_link.expire_time", "must be in the future"))
        raise_if_any(problems, "invalid share link")
        password_hash = await asyncio.to_thread(hash_share_password, link.password) if link.password else None
        async with self.deps.sessions.begin() as session:
            await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
            row = await store.create_share_link(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                conversation_id=conversation_id,
                mode="live" if link.mode == sharing_pb2.SHARE_MODE_LIVE else "snapshot",
                expire_at=expire_at,
                password_hash=password_hash,
            )
        return sharing_pb2.CreateShareLinkResponse(share_link=share_link_to_proto(row))

    async def ListShareLinks(
        self, request: sharing_pb2.ListShareLinksRequest, context: object
    ) -> sharing_pb2.ListShareLinksResponse:
        who = await caller(CONVERSATIONS_READ)
        conversation_id = parse_id(request.conversation_id, "conversation")
        scope = f"{request.conversation_id}|{request.show_revoked}"
        offset = offset_of(decode_token(request.page_token, scope))
        limit = page_size(
            request.page_size, self.deps.config.default_page_size, self.deps.config.max_page_size
        )
        async with self.deps.sessions() as session:
            await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
            rows = await store.list_share_links(
                session,
                conversation_id=conversation_id,
                show_revoked=request.show_revoked,
                offset=offset,
                limit=limit + 1,
            )
        more = len(rows) > limit
        return sharing_pb2.ListShareLinksResponse(
            share_links=[share_link_to_proto(r) for r in rows[:limit]],
            next_page_token=encode_token({"o": offset + limit}, scope) if more else "",
        )

    async def RevokeShareLink(
        self, request: sharing_pb2.RevokeShareLinkRequest, context: object
    ) -> sharing_pb2.RevokeShareLinkResponse:
        who = await caller(CONVERSATIONS_UPDATE)
        conversation_id = parse_id(request.conversation_id, "conversation")
        async with self.deps.sessions.begin() as session:
            await owned_conversation(
                session, tenant_id=who.tenant_id, owner_id=who.user_id, conversation_id=conversation_id
            )
            row = await store.revoke_share_link(
                session, conversation_id=conversation_id, link_id=request.share_link_id
            )
        return sharing_pb2.RevokeShareLinkResponse(share_link=share_link_to_proto(row))

    async def GetSharedConversation(
        self, request: sharing_pb2.GetSharedConversationRequest, context: object
    ) -> sharing_pb2.GetSharedConversationResponse:
        """Public: anyone with the link id. Revoked, expired and unknown links all answer NOT_FOUND."""
        if not request.share_link_id or len(request.share_link_id) > _MAX_LINK_ID:
            raise store.share_link_not_found()
        async with self.deps.sessions() as session:
            link, conversation = await store.open_share_link(session, request.share_link_id)
        if link.password_hash is not None:
            if not request.password:
                raise PermissionDenied("this link needs a password", reason="SHARE_PASSWORD_REQUIRED")
            if not await asyncio.to_thread(verify_share_password, link.password_hash, request.password):
                raise PermissionDenied("wrong password", reason="SHARE_PASSWORD_INVALID")
        path = link.snapshot_path if link.mode == "snapshot" else conversation.active_path
        async with self.deps.sessions.begin() as session:
            await store.count_view(session, link.id)
            rows = await message_store.messages_by_ids(session, link.conversation_id, list(path or []))
        messages = [message_to_proto(r) for r in rows]
        return sharing_pb2.GetSharedConversationResponse(
            title=conversation.title,
            messages=messages,
            create_time=timestamp(conversation.created_at),
            update_time=timestamp(conversation.updated_at),
        )
