"""Search: modes, fusion, filters, several knowledge bases, thresholds, CJK, and isolation."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from chatmesh.knowledge.v1 import resources_pb2, search_pb2
from google.protobuf import timestamp_pb2

from tests.integration.knowledge.kb_harness import (
    ALICE,
    BOB,
    BOB_ID,
    MALLORY,
    Service,
    create_kb,
    search,
    upload,
    wait_job,
)

pytestmark = pytest.mark.timeout(120)

GARDEN = "Tomatoes need six hours of sun. Prune the suckers of tomato plants in July."
KITCHEN = "Bake sourdough bread at 250 degrees with steam for the first twenty minutes."
CHINESE = "我们需要一个全文搜索引擎来查找文档。数据库的备份每天凌晨执行。"


async def _kb_with(
    service: Service, name: str, docs: dict[str, tuple[str, list[str]]], who=ALICE
) -> tuple[str, dict[str, str]]:
    made = await create_kb(service, who, name=name)
    ids = {}
    for filename, (text, tags) in docs.items():
        done = await upload(service, made.id, filename, text.encode(), who=who, tags=tags)
        job = await wait_job(service, done.ingestion_job.id, who=who)
        assert job.state == resources_pb2.INGESTION_JOB_STATE_SUCCEEDED, job
        ids[filename] = done.document.id
    return made.id, ids


async def test_modes_find_the_right_passage_and_hybrid_scores_both(kb: Service) -> None:
    kb_id, ids = await _kb_with(kb, "home", {"garden.txt": (GARDEN, []), "kitchen.txt": (KITCHEN, [])})
    for mode in (
        search_pb2.SEARCH_MODE_VECTOR,
        search_pb2.SEARCH_MODE_KEYWORD,
        search_pb2.SEARCH_MODE_HYBRID,
    ):
        results = await search(kb, "prune tomato plants", [kb_id], mode=mode)
        assert results[0].source.document_id == ids["garden.txt"], mode
    hybrid = await search(kb, "prune tomato plants", [kb_id])
    top = hybrid[0]
    assert top.vector_score > 0 and top.keyword_score > 0 and 0 < top.score <= 1.0
    assert [r.score for r in hybrid] == sorted((r.score for r in hybrid), reverse=True)
    strict = await search(kb, "prune tomato plants", [kb_id], min_score=0.99)
    assert [r.source.document_id for r in strict] == [ids["garden.txt"]] and strict[0].score == pytest.approx(
        1.0
    )
    keyword_only = await search(kb, "sourdough", [kb_id], mode=search_pb2.SEARCH_MODE_KEYWORD)
    assert [r.source.document_id for r in keyword_only] == [ids["kitchen.txt"]]


async def test_filters_by_document_tag_metadata_and_date(kb: Service) -> None:
    kb_id, ids = await _kb_with(
        kb, "filtered", {"garden.txt": (GARDEN, ["outdoor"]), "kitchen.txt": (KITCHEN, ["indoor", "food"])}
    )
    only_kitchen = await search(kb, "tomato plants", [kb_id], tags=["indoor"])
    assert {r.source.document_id for r in only_kitchen} == {ids["kitchen.txt"]}
    by_doc = await search(kb, "bread", [kb_id], document_ids=[ids["garden.txt"]])
    assert {r.source.document_id for r in by_doc} == {ids["garden.txt"]}
    future = timestamp_pb2.Timestamp()
    future.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert await search(kb, "tomato", [kb_id], created_after=future) == []
    assert await search(kb, "tomato", [kb_id], tags=["nobody"]) == []


async def test_several_knowledge_bases_in_one_call_and_chinese(kb: Service) -> None:
    first, first_ids = await _kb_with(kb, "one", {"garden.txt": (GARDEN, [])})
    second, second_ids = await _kb_with(kb, "two", {"zh.txt": (CHINESE, [])})
    both = await search(kb, "搜索 tomato", [first, second], mode=search_pb2.SEARCH_MODE_KEYWORD)
    assert {r.source.document_id for r in both} == {first_ids["garden.txt"], second_ids["zh.txt"]}
    chinese = await search(kb, "数据库备份", [second], mode=search_pb2.SEARCH_MODE_KEYWORD)
    assert [r.source.document_id for r in chinese] == [second_ids["zh.txt"]]


async def test_other_tenants_and_unshared_users_are_refused_not_skipped(kb: Service) -> None:
    kb_id, _ = await _kb_with(kb, "secret", {"garden.txt": (GARDEN, [])})
    theirs, _ = await _kb_with(kb, "theirs", {"kitchen.txt": (KITCHEN, [])}, who=MALLORY)
    for who, ids in ((MALLORY, [kb_id]), (BOB, [kb_id]), (ALICE, [kb_id, theirs])):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await search(kb, "tomato", ids, who=who)
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    mallory_sees = await search(kb, "tomato sourdough bread", [theirs], who=MALLORY)
    assert {r.source.knowledge_base_id for r in mallory_sees} == {theirs}
    shared = await create_kb(kb, name="shared", shared_user_ids=[BOB_ID])
    assert await search(kb, "tomato", [shared.id], who=BOB) == []


async def test_bad_requests_name_their_fields(kb: Service) -> None:
    made = await create_kb(kb, name="validation")
    for fields in (
        {"query": " "},
        {"top_k": 500},
        {"knowledge_base_ids": []},
        {"knowledge_base_ids": ["nope"]},
    ):
        request = {"query": "x", "knowledge_base_ids": [made.id]} | fields
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await kb.stub.Search(search_pb2.SearchRequest(**request), metadata=ALICE)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT, fields
