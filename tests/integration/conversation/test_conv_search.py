"""Full-text search in Chinese and English: segmentation, ranking scope, snippets, isolation."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2

from tests.integration.conversation.conv_harness import BOB, MALLORY, Service, add_message, chain, create

pytestmark = pytest.mark.timeout(60)


async def _search(
    conv: Service, query: str, who: list[tuple[str, str]] = BOB, **kw: Any
) -> list[conversations_pb2.SearchHit]:
    response = await conv.stub.SearchConversations(
        conversations_pb2.SearchConversationsRequest(query=query, **kw), metadata=who
    )
    return list(response.hits)


async def test_chinese_words_inside_longer_runs_are_found(conv: Service) -> None:
    made = await create(conv, BOB, title="数据库笔记")
    ids = await chain(
        conv,
        made.id,
        ["我们需要一个全文搜索引擎来查找对话。", "可以使用PostgreSQL的全文检索功能。"],
        user="bob",
    )
    hits = await _search(conv, "搜索")
    assert [(h.conversation.id, h.message_id) for h in hits] == [(made.id, ids[0])]
    assert "<mark>搜索</mark>" in hits[0].snippet
    title_hit = await _search(conv, "数据库")
    assert title_hit[0].message_id == "" and title_hit[0].snippet == "<mark>数据库</mark>笔记"
    assert {h.message_id for h in await _search(conv, "全文")} == set(ids)
    assert await _search(conv, "搜查") == []
    single = await _search(conv, "擎")
    assert [h.message_id for h in single] == [ids[0]]


async def test_english_words_match_case_insensitively_and_by_prefix(conv: Service) -> None:
    made = await create(conv, BOB, title="Gardening")
    (question,) = await chain(conv, made.id, ["How do I prune Tomato plants in July?"], user="bob")
    hits = await _search(conv, "tomato prun")
    assert [h.message_id for h in hits] == [question]
    assert "<mark>Tomato</mark>" in hits[0].snippet and "<mark>prune</mark>" in hits[0].snippet
    assert await _search(conv, "tomato potato") == []
    mixed = await create(conv, BOB, title="mixed")
    (both,) = await chain(conv, mixed.id, ["用Redis做缓存 cache layer"], user="bob")
    assert [h.message_id for h in await _search(conv, "redis 缓存")] == [both]


async def test_search_is_scoped_to_the_caller_and_live_conversations(conv: Service) -> None:
    made = await create(conv, BOB, title="private")
    await chain(conv, made.id, ["zanzibar quokka"], user="bob")
    assert await _search(conv, "quokka", MALLORY) == []
    archived = await create(conv, BOB, title="shelf")
    await add_message(conv, archived.id, None, "user", "quokka on the shelf", user="bob")
    await conv.stub.ArchiveConversation(
        conversations_pb2.ArchiveConversationRequest(conversation_id=archived.id), metadata=BOB
    )
    assert {h.conversation.id for h in await _search(conv, "quokka")} == {made.id}
    assert {h.conversation.id for h in await _search(conv, "quokka", include_archived=True)} == {
        made.id,
        archived.id,
    }
    await conv.stub.DeleteConversation(
        conversations_pb2.DeleteConversationRequest(conversation_id=made.id), metadata=BOB
    )
    assert await _search(conv, "zanzibar") == []


async def test_empty_query_is_invalid_and_pages_do_not_repeat(conv: Service) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await _search(conv, "  ,. ")
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    made = await create(conv, BOB, title="many")
    await chain(conv, made.id, [f"walrus number {i}" for i in range(5)], user="bob")
    seen: list[str] = []
    token = ""
    while True:
        response = await conv.stub.SearchConversations(
            conversations_pb2.SearchConversationsRequest(query="walrus", page_size=2, page_token=token),
            metadata=BOB,
        )
        seen += [h.message_id for h in response.hits]
        token = response.next_page_token
        if not token:
            break
    assert len(seen) == 5 == len(set(seen))
