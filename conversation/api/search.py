"""SearchConversations: Chinese and English full-text search with ``<mark>`` snippets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatmesh.conversation.v1 import conversations_pb2

from conversation.api.caller import CONVERSATIONS_READ, MESSAGES_READ, caller
from conversation.api.convert import conversation_to_proto
from conversation.domain.paging import decode_token, encode_token, offset_of, page_size
from conversation.store import search as store
from mesh.errors import FieldViolation, InvalidArgument
from mesh.search_text import highlight, query_terms, tsquery_text

if TYPE_CHECKING:
    from conversation.deps import ConversationDeps

__all__ = ["SearchApi"]

_MAX_QUERY_CHARS = 500


class SearchApi:
    deps: ConversationDeps

    async def SearchConversations(
        self, request: conversations_pb2.SearchConversationsRequest, context: object
    ) -> conversations_pb2.SearchConversationsResponse:
        who = await caller(CONVERSATIONS_READ, MESSAGES_READ)
        terms = query_terms(request.query[: _MAX_QUERY_CHARS + 1])
        if not terms or len(request.query) > _MAX_QUERY_CHARS:
            raise InvalidArgument(
                "bad query",
                [FieldViolation("query", f"words to find, at most {_MAX_QUERY_CHARS} characters")],
            )
        scope = f"{' '.join(terms)}|{request.include_archived}"
        offset = offset_of(decode_token(request.page_token, scope))
        limit = page_size(request.page_size, 20, 100)
        async with self.deps.sessions() as session:
            rows = await store.search(
                session,
                tenant_id=who.tenant_id,
                owner_id=who.user_id,
                tsquery=tsquery_text(terms),
                include_archived=request.include_archived,
                offset=offset,
                limit=limit + 1,
            )
            page = rows[:limit]
            by_conversation, texts = await store.hit_details(session, page)
        hits = []
        for row in page:
            conversation = by_conversation[row.conversation_id]
            source = texts.get(row.message_id, "") if row.message_id else conversation.title
            hits.append(
                conversations_pb2.SearchHit(
                    conversation=conversation_to_proto(conversation),
                    message_id=str(row.message_id or ""),
                    snippet=highlight(source, terms),
                    rank=row.rank,
                )
            )
        more = len(rows) > limit
        return conversations_pb2.SearchConversationsResponse(
            hits=hits, next_page_token=encode_token({"o": offset + limit}, scope) if more else ""
        )
