"""Knowledge base CRUD: validation, permissions, sharing, tenant isolation, paging, deletion."""

from __future__ import annotations

import grpc
import pytest
from chatmesh.knowledge.v1 import knowledge_bases_pb2, resources_pb2
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import select

from knowledge.store.tables import outbox
from tests.integration.knowledge.kb_harness import ALICE, BOB, BOB_ID, MALLORY, Service, create_kb

pytestmark = pytest.mark.timeout(120)


def _violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.description for v in bad.field_violations})
    return found


async def _get(kb: Service, kb_id: str, who: list[tuple[str, str]]) -> resources_pb2.KnowledgeBase:
    request = knowledge_bases_pb2.GetKnowledgeBaseRequest(knowledge_base_id=kb_id)
    return (await kb.stub.GetKnowledgeBase(request, metadata=who)).knowledge_base


async def _list(
    kb: Service, who: list[tuple[str, str]], **fields: object
) -> knowledge_bases_pb2.ListKnowledgeBasesResponse:
    return await kb.stub.ListKnowledgeBases(
        knowledge_bases_pb2.ListKnowledgeBasesRequest(**fields), metadata=who
    )


async def test_create_reports_every_bad_field_at_once(kb: Service) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await create_kb(
            kb,
            name=" ",
            chunking=resources_pb2.ChunkingConfig(chunk_size_tokens=10, chunk_overlap_tokens=8),
            retrieval=resources_pb2.RetrievalConfig(top_k=99, score_threshold=2.0),
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(error.value)) >= {
        "knowledge_base.name",
        "knowledge_base.chunking.chunk_size_tokens",
        "knowledge_base.retrieval.top_k",
        "knowledge_base.retrieval.score_threshold",
    }
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await create_kb(kb, name="x", embedding_model="local/unknown-model")
    assert "knowledge_base.embedding_model" in _violations(unknown.value)


async def test_defaults_and_settings_round_trip(kb: Service) -> None:
    made = await create_kb(
        kb,
        name="Settings",
        description="d",
        retrieval=resources_pb2.RetrievalConfig(
            top_k=7, vector_weight=2.0, keyword_weight=0.5, score_threshold=0.1
        ),
    )
    assert made.chunking.chunk_size_tokens == 512 and made.chunking.chunk_overlap_tokens == 64
    assert list(made.chunking.separators)
    assert made.retrieval.top_k == 7 and made.retrieval.vector_weight == 2.0
    assert (await _get(kb, made.id, ALICE)) == made


async def test_plain_users_may_not_create_and_others_see_nothing(kb: Service) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await create_kb(kb, BOB, name="not allowed")
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    made = await create_kb(kb, name="private notes")
    for who in (BOB, MALLORY):
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await _get(kb, made.id, who)
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
        assert made.id not in {k.id for k in (await _list(kb, who)).knowledge_bases}
    with pytest.raises(grpc.aio.AioRpcError) as bad_id:
        await _get(kb, "not-a-uuid", ALICE)
    assert bad_id.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_sharing_lets_a_user_read_but_not_change(kb: Service) -> None:
    made = await create_kb(kb, name="shared")
    update = knowledge_bases_pb2.UpdateKnowledgeBaseRequest(
        knowledge_base_id=made.id,
        knowledge_base=resources_pb2.KnowledgeBase(shared_user_ids=[BOB_ID], description="now shared"),
        update_mask=field_mask_pb2.FieldMask(paths=["shared_user_ids", "description"]),
    )
    changed = (await kb.stub.UpdateKnowledgeBase(update, metadata=ALICE)).knowledge_base
    assert list(changed.shared_user_ids) == [BOB_ID] and changed.description == "now shared"
    assert (await _get(kb, made.id, BOB)).name == "shared"
    kb.rbac.grants[BOB_ID].add("knowledge_bases:update")
    with pytest.raises(grpc.aio.AioRpcError) as not_owner:
        await kb.stub.UpdateKnowledgeBase(update, metadata=BOB)
    assert not_owner.value.code() == grpc.StatusCode.PERMISSION_DENIED
    by_role = await create_kb(kb, name="for users", shared_roles=["user"])
    assert (await _get(kb, by_role.id, BOB)).id == by_role.id
    with pytest.raises(grpc.aio.AioRpcError) as wrong_mask:
        await kb.stub.UpdateKnowledgeBase(
            knowledge_bases_pb2.UpdateKnowledgeBaseRequest(
                knowledge_base_id=made.id, update_mask=field_mask_pb2.FieldMask(paths=["owner_id"])
            ),
            metadata=ALICE,
        )
    assert "update_mask" in _violations(wrong_mask.value)


async def test_list_pages_and_filters_by_name(kb: Service) -> None:
    for i in range(5):
        await create_kb(kb, name=f"paged {i}")
    first = await _list(kb, ALICE, page_size=2, query="PAGED")
    second = await _list(kb, ALICE, page_size=2, query="paged", page_token=first.next_page_token)
    third = await _list(kb, ALICE, page_size=2, query="paged", page_token=second.next_page_token)
    names = [k.name for page in (first, second, third) for k in page.knowledge_bases]
    assert sorted(names) == [f"paged {i}" for i in range(5)] and third.next_page_token == ""
    with pytest.raises(grpc.aio.AioRpcError) as bad_token:
        await _list(kb, ALICE, page_token="garbage")
    assert bad_token.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_delete_removes_it_and_announces_it(kb: Service) -> None:
    made = await create_kb(kb, name="doomed")
    request = knowledge_bases_pb2.DeleteKnowledgeBaseRequest(knowledge_base_id=made.id)
    with pytest.raises(grpc.aio.AioRpcError) as other_tenant:
        await kb.stub.DeleteKnowledgeBase(request, metadata=MALLORY)
    assert other_tenant.value.code() == grpc.StatusCode.NOT_FOUND
    await kb.stub.DeleteKnowledgeBase(request, metadata=ALICE)
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await _get(kb, made.id, ALICE)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    async with kb.deps.sessions() as session:
        subjects = set(
            (
                await session.execute(
                    select(outbox.c.aggregate_id).where(outbox.c.event_type.endswith("KnowledgeBaseDeleted"))
                )
            ).scalars()
        )
    assert made.id in subjects
