"""Conversation CRUD through gRPC: validation, idempotent create, isolation, list filters and pages, trash."""

from __future__ import annotations

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2, resources_pb2
from chatmesh.events.v1 import conversation_events_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import text

from mesh.events import EventEnvelope, unpack
from tests.integration.conversation.conv_harness import (
    ALICE,
    BOB,
    MALLORY,
    Service,
    chain,
    create,
    violations,
)

pytestmark = pytest.mark.timeout(60)


async def test_create_normalizes_and_is_idempotent_by_request_id(conv: Service) -> None:
    request = conversations_pb2.CreateConversationRequest(
        conversation=resources_pb2.Conversation(
            title=" Trip ",
            tags=["Travel", "travel", "Plans"],
            folder="home/trips",
            settings=resources_pb2.ConversationSettings(model="gpt-4o", temperature=0.5),
        ),
        request_id="create-1",
    )
    first = (await conv.stub.CreateConversation(request, metadata=ALICE)).conversation
    again = (await conv.stub.CreateConversation(request, metadata=ALICE)).conversation
    assert first.id == again.id
    assert first.title == "Trip" and list(first.tags) == ["travel", "plans"] and first.folder == "home/trips"
    assert first.settings.temperature == 0.5 and first.owner_id and first.tenant_id == "t1"
    other = (await conv.stub.CreateConversation(request, metadata=BOB)).conversation
    assert other.id != first.id


async def test_invalid_settings_list_every_violation(conv: Service) -> None:
    settings = resources_pb2.ConversationSettings(
        temperature=2.5, top_p=0.0, max_tokens=0, system_prompt="x" * 40_000, tools=["ok", "bad name!"]
    )
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.CreateConversation(
            conversations_pb2.CreateConversationRequest(
                conversation=resources_pb2.Conversation(settings=settings, folder="a//b")
            ),
            metadata=ALICE,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = set(violations(error.value))
    assert {
        "conversation.settings.temperature",
        "conversation.settings.top_p",
        "conversation.settings.max_tokens",
        "conversation.settings.system_prompt",
        "conversation.settings.tools",
        "conversation.folder",
    } <= fields


async def test_other_users_and_tenants_see_not_found(conv: Service) -> None:
    mine = await create(conv, ALICE, title="secret")
    for who in (BOB, MALLORY):
        for call in (
            conv.stub.GetConversation(
                conversations_pb2.GetConversationRequest(conversation_id=mine.id), metadata=who
            ),
            conv.stub.DeleteConversation(
                conversations_pb2.DeleteConversationRequest(conversation_id=mine.id), metadata=who
            ),
            conv.stub.UpdateConversation(
                conversations_pb2.UpdateConversationRequest(
                    conversation_id=mine.id,
                    conversation=resources_pb2.Conversation(title="stolen"),
                    update_mask=FieldMask(paths=["title"]),
                ),
                metadata=who,
            ),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await call
            assert error.value.code() == grpc.StatusCode.NOT_FOUND
        listed = await conv.stub.ListConversations(conversations_pb2.ListConversationsRequest(), metadata=who)
        assert mine.id not in {c.id for c in listed.conversations}
    still = await conv.stub.GetConversation(
        conversations_pb2.GetConversationRequest(conversation_id=mine.id), metadata=ALICE
    )
    assert still.conversation.title == "secret"


async def test_update_writes_only_masked_fields_and_merges_settings(conv: Service) -> None:
    made = await create(
        conv, ALICE, title="a", settings=resources_pb2.ConversationSettings(model="m1", temperature=1.0)
    )
    updated = (
        await conv.stub.UpdateConversation(
            conversations_pb2.UpdateConversationRequest(
                conversation_id=made.id,
                conversation=resources_pb2.Conversation(
                    title="ignored",
                    pinned=True,
                    settings=resources_pb2.ConversationSettings(top_p=0.9, model="x"),
                ),
                update_mask=FieldMask(paths=["pinned", "settings.top_p"]),
            ),
            metadata=ALICE,
        )
    ).conversation
    assert updated.title == "a" and updated.pinned
    assert updated.settings.model == "m1" and updated.settings.temperature == 1.0
    assert abs(updated.settings.top_p - 0.9) < 1e-9
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.UpdateConversation(
            conversations_pb2.UpdateConversationRequest(
                conversation_id=made.id, update_mask=FieldMask(paths=["owner_id"])
            ),
            metadata=ALICE,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "update_mask" in violations(error.value)


async def test_list_filters_and_pages_without_gaps(conv: Service) -> None:
    made = [
        await create(conv, BOB, title=f"c{i}", tags=["pg"] if i % 2 else [], folder="f") for i in range(7)
    ]
    pinned = made[0].id
    await conv.stub.UpdateConversation(
        conversations_pb2.UpdateConversationRequest(
            conversation_id=pinned,
            conversation=resources_pb2.Conversation(pinned=True),
            update_mask=FieldMask(paths=["pinned"]),
        ),
        metadata=BOB,
    )
    seen: list[str] = []
    token = ""
    while True:
        page = await conv.stub.ListConversations(
            conversations_pb2.ListConversationsRequest(page_size=3, page_token=token, folder="f"),
            metadata=BOB,
        )
        seen += [c.id for c in page.conversations]
        token = page.next_page_token
        if not token:
            break
    assert seen[0] == pinned
    assert sorted(seen) == sorted(c.id for c in made) and len(seen) == 7
    tagged = await conv.stub.ListConversations(
        conversations_pb2.ListConversationsRequest(tag="PG", folder="f"), metadata=BOB
    )
    assert {c.id for c in tagged.conversations} == {made[i].id for i in (1, 3, 5)}
    by_title = await conv.stub.ListConversations(
        conversations_pb2.ListConversationsRequest(order_by="title", folder="f", page_size=2), metadata=BOB
    )
    assert [c.title for c in by_title.conversations] == ["c0", "c1"]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.ListConversations(
            conversations_pb2.ListConversationsRequest(page_token=by_title.next_page_token, folder="g"),
            metadata=BOB,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_archive_delete_restore_cycle(conv: Service) -> None:
    made = await create(conv, ALICE, title="cycle")
    archived = (
        await conv.stub.ArchiveConversation(
            conversations_pb2.ArchiveConversationRequest(conversation_id=made.id), metadata=ALICE
        )
    ).conversation
    assert archived.archived and archived.HasField("archive_time")
    active = await conv.stub.ListConversations(conversations_pb2.ListConversationsRequest(), metadata=ALICE)
    assert made.id not in {c.id for c in active.conversations}
    shelf = await conv.stub.ListConversations(
        conversations_pb2.ListConversationsRequest(archived=True), metadata=ALICE
    )
    assert made.id in {c.id for c in shelf.conversations}
    await conv.stub.UnarchiveConversation(
        conversations_pb2.UnarchiveConversationRequest(conversation_id=made.id), metadata=ALICE
    )
    for _ in range(2):
        await conv.stub.DeleteConversation(
            conversations_pb2.DeleteConversationRequest(conversation_id=made.id), metadata=ALICE
        )
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.GetConversation(
            conversations_pb2.GetConversationRequest(conversation_id=made.id), metadata=ALICE
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    trash = await conv.stub.ListConversations(
        conversations_pb2.ListConversationsRequest(show_deleted=True), metadata=ALICE
    )
    assert made.id in {c.id for c in trash.conversations}
    restored = (
        await conv.stub.RestoreConversation(
            conversations_pb2.RestoreConversationRequest(conversation_id=made.id), metadata=ALICE
        )
    ).conversation
    assert not restored.HasField("delete_time")


async def test_anonymous_and_malformed_ids(conv: Service) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.ListConversations(conversations_pb2.ListConversationsRequest())
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.GetConversation(
            conversations_pb2.GetConversationRequest(conversation_id="not-a-uuid"), metadata=ALICE
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


async def test_trash_is_purged_after_retention_with_an_event(conv: Service) -> None:
    kept = await create(conv, ALICE, title="recent trash")
    doomed = await create(conv, ALICE, title="old trash")
    await chain(conv, doomed.id, ["q", "a"])
    for made in (kept, doomed):
        await conv.stub.DeleteConversation(
            conversations_pb2.DeleteConversationRequest(conversation_id=made.id), metadata=ALICE
        )
    async with conv.deps.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE conversation.conversations SET deleted_at = now() - interval '31 days' WHERE id = :id"
            ),
            {"id": doomed.id},
        )
    assert conv.deps.purge is not None
    assert await conv.deps.purge.run_once() == 1
    async with conv.deps.engine.connect() as conn:
        left = set(
            (
                await conn.execute(
                    text("SELECT id::text FROM conversation.conversations WHERE id IN (:a, :b)"),
                    {"a": kept.id, "b": doomed.id},
                )
            ).scalars()
        )
        orphans = (
            await conn.execute(
                text("SELECT count(*) FROM conversation.messages WHERE conversation_id = :id"),
                {"id": doomed.id},
            )
        ).scalar_one()
        payloads = (
            (
                await conn.execute(
                    text(
                        "SELECT payload FROM conversation.outbox"
                        " WHERE aggregate_id = :id AND event_type LIKE '%ConversationDeleted'"
                    ),
                    {"id": doomed.id},
                )
            )
            .scalars()
            .all()
        )
    assert left == {kept.id} and orphans == 0
    events = [
        unpack(EventEnvelope.FromString(p), conversation_events_pb2.ConversationDeleted) for p in payloads
    ]
    assert sorted(e.permanent for e in events) == [False, True]
