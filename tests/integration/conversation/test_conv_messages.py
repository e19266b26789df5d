"""The message tree through gRPC: active path, edits as siblings, branch switching, views and pages."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2, messages_pb2, resources_pb2
from sqlalchemy import text

from conversation.store import messages as store
from tests.integration.conversation.conv_harness import (
    ALICE,
    BOB,
    MALLORY,
    PRINCIPALS,
    Service,
    add_message,
    chain,
    create,
)

pytestmark = pytest.mark.timeout(60)


async def _list(conv: Service, cid: str, **kw: Any) -> list[resources_pb2.Message]:
    out: list[resources_pb2.Message] = []
    token = ""
    while True:
        page = await conv.stub.ListMessages(
            messages_pb2.ListMessagesRequest(conversation_id=cid, page_token=token, **kw), metadata=ALICE
        )
        out += list(page.messages)
        token = page.next_page_token
        if not token:
            return out


def _texts(messages: list[resources_pb2.Message]) -> list[str]:
    return [m.parts[0].text for m in messages]


async def test_active_path_pages_in_order(conv: Service) -> None:
    made = await create(conv, ALICE, title="paged")
    ids = await chain(conv, made.id, [f"m{i}" for i in range(25)])
    listed = await _list(conv, made.id, page_size=7)
    assert [m.id for m in listed] == ids
    assert listed[0].parent_id == "" and listed[1].parent_id == ids[0]
    assert listed[3].child_ids == [ids[4]] and listed[-1].child_ids == []
    got = await conv.stub.GetConversation(
        conversations_pb2.GetConversationRequest(conversation_id=made.id), metadata=ALICE
    )
    assert got.conversation.active_leaf_id == ids[-1] and got.conversation.message_count == 25


async def test_edit_creates_sibling_branch_and_switch_goes_back(conv: Service) -> None:
    made = await create(conv, ALICE, title="branches")
    q1, a1, q2, a2 = await chain(conv, made.id, ["q1", "a1", "q2", "a2"])
    edited = (
        await conv.stub.EditMessage(
            messages_pb2.EditMessageRequest(conversation_id=made.id, message_id=q2, content="q2 edited"),
            metadata=ALICE,
        )
    ).message
    assert edited.parent_id == a1 and edited.id != q2
    assert _texts(await _list(conv, made.id)) == ["q1", "a1", "q2 edited"]
    parent = (
        await conv.stub.GetMessage(
            messages_pb2.GetMessageRequest(conversation_id=made.id, message_id=a1), metadata=ALICE
        )
    ).message
    assert list(parent.child_ids) == [q2, edited.id]
    answer = await add_message(conv, made.id, edited.id, "assistant", "a2'")
    switched = (
        await conv.stub.SwitchBranch(
            messages_pb2.SwitchBranchRequest(conversation_id=made.id, message_id=q2), metadata=ALICE
        )
    ).conversation
    assert switched.active_leaf_id == a2
    assert _texts(await _list(conv, made.id)) == ["q1", "a1", "q2", "a2"]
    await conv.stub.SwitchBranch(
        messages_pb2.SwitchBranchRequest(conversation_id=made.id, message_id=a1), metadata=ALICE
    )
    assert [m.id for m in await _list(conv, made.id)][-1] == answer  # newest descendant leaf of a1
    branch = await _list(conv, made.id, message_id=a2)
    assert _texts(branch) == ["q1", "a1", "q2", "a2"]
    subtree = await _list(conv, made.id, view=messages_pb2.MESSAGE_VIEW_SUBTREE, message_id=a1, page_size=2)
    assert _texts(subtree) == ["a1", "q2", "a2", "q2 edited", "a2'"]
    everything = await _list(conv, made.id, view=messages_pb2.MESSAGE_VIEW_ALL)
    assert len(everything) == 6 and everything[0].id == q1


async def test_new_message_under_an_older_parent_cuts_the_path(conv: Service) -> None:
    made = await create(conv, ALICE, title="regen")
    q1, a1 = await chain(conv, made.id, ["q1", "a1"])
    sibling = await add_message(conv, made.id, q1, "assistant", "a1 again")
    assert [m.id for m in await _list(conv, made.id)] == [q1, sibling]
    other = await add_message(conv, made.id, None, "user", "new root")
    assert [m.id for m in await _list(conv, made.id)] == [other]
    off_path = await add_message(conv, made.id, a1, "user", "deep", activate=True)
    assert [m.id for m in await _list(conv, made.id)] == [q1, a1, off_path]


async def test_only_user_messages_can_be_edited_and_content_is_required(conv: Service) -> None:
    made = await create(conv, ALICE, title="edits")
    q1, a1 = await chain(conv, made.id, ["q1", "a1"])
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.EditMessage(
            messages_pb2.EditMessageRequest(conversation_id=made.id, message_id=a1, content="x"),
            metadata=ALICE,
        )
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.EditMessage(
            messages_pb2.EditMessageRequest(conversation_id=made.id, message_id=q1), metadata=ALICE
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_messages_are_isolated(conv: Service) -> None:
    made = await create(conv, ALICE, title="private")
    (q1,) = await chain(conv, made.id, ["q1"])
    for who in (BOB, MALLORY):
        for call in (
            conv.stub.ListMessages(messages_pb2.ListMessagesRequest(conversation_id=made.id), metadata=who),
            conv.stub.GetMessage(
                messages_pb2.GetMessageRequest(conversation_id=made.id, message_id=q1), metadata=who
            ),
            conv.stub.EditMessage(
                messages_pb2.EditMessageRequest(conversation_id=made.id, message_id=q1, content="x"),
                metadata=who,
            ),
            conv.stub.SwitchBranch(
                messages_pb2.SwitchBranchRequest(conversation_id=made.id, message_id=q1), metadata=who
            ),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await call
            assert error.value.code() == grpc.StatusCode.NOT_FOUND
    other = await create(conv, ALICE, title="other")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.GetMessage(
            messages_pb2.GetMessageRequest(conversation_id=other.id, message_id=q1), metadata=ALICE
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


async def test_message_created_events_are_in_the_outbox(conv: Service) -> None:
    made = await create(conv, ALICE, title="events")
    ids = await chain(conv, made.id, ["q", "a"])
    async with conv.deps.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT event_type, aggregate_id FROM conversation.outbox"
                    " WHERE aggregate_id = :id ORDER BY created_at"
                ),
                {"id": made.id},
            )
        ).all()
    types = [r[0] for r in rows]
    assert types[0].endswith("ConversationCreated")
    assert sum(t.endswith("MessageCreated") for t in types) == len(ids)


async def test_views_need_a_message_of_this_conversation(conv: Service) -> None:
    made = await create(conv, ALICE, title="views")
    other = await create(conv, ALICE, title="elsewhere")
    (foreign,) = await chain(conv, other.id, ["not here"])
    for view in (messages_pb2.MESSAGE_VIEW_ACTIVE_PATH, messages_pb2.MESSAGE_VIEW_SUBTREE):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await conv.stub.ListMessages(
                messages_pb2.ListMessagesRequest(conversation_id=made.id, view=view, message_id=foreign),
                metadata=ALICE,
            )
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.ListMessages(
            messages_pb2.ListMessagesRequest(conversation_id=made.id, view=messages_pb2.MESSAGE_VIEW_SUBTREE),
            metadata=ALICE,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    empty = await conv.stub.ListMessages(
        messages_pb2.ListMessagesRequest(conversation_id=made.id), metadata=ALICE
    )
    assert list(empty.messages) == [] and empty.next_page_token == ""


async def test_a_repeated_request_id_stores_one_message(conv: Service) -> None:
    made = await create(conv, ALICE, title="retry")
    ids = set()
    for _ in range(2):
        async with conv.deps.sessions.begin() as session:
            row = await store.insert_message(
                session,
                tenant_id="t1",
                owner_id=PRINCIPALS["alice"].subject,
                conversation_id=uuid.UUID(made.id),
                parent_id=None,
                message=store.NewMessage(role="user", parts=[{"text": "once"}], request_id="send-1"),
            )
        ids.add(row.id)
    assert len(ids) == 1
    got = await conv.stub.GetConversation(
        conversations_pb2.GetConversationRequest(conversation_id=made.id), metadata=ALICE
    )
    assert got.conversation.message_count == 1
