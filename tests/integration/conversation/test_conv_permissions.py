"""Every conversation RPC asks identity (mesh.authz) for its permission: a user without roles gets nothing.

The stand-in grants alice the built-in user role and "stripped" nothing, while stripped's
token still claims the user role: the decision must come from identity, not the claim.
"""

from __future__ import annotations

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2, messages_pb2

from tests.integration.conversation.conv_harness import ALICE, Service, as_user, create

STRIPPED = as_user("stripped")


async def _code(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await call  # type: ignore[misc]
    return failed.value.code()


async def test_a_user_without_roles_cannot_create_read_or_send(conv: Service) -> None:
    stub = conv.stub
    denied = grpc.StatusCode.PERMISSION_DENIED
    assert (
        await _code(
            stub.CreateConversation(
                conversations_pb2.CreateConversationRequest(), metadata=STRIPPED, timeout=10
            )
        )
        == denied
    )
    assert (
        await _code(
            stub.ListConversations(
                conversations_pb2.ListConversationsRequest(), metadata=STRIPPED, timeout=10
            )
        )
        == denied
    )
    assert (
        await _code(
            stub.SearchConversations(
                conversations_pb2.SearchConversationsRequest(query="x"), metadata=STRIPPED, timeout=10
            )
        )
        == denied
    )
    mine = await create(conv, ALICE, title="alice's")
    send = stub.SendMessage(
        messages_pb2.SendMessageRequest(conversation_id=mine.id, content="hi"), metadata=STRIPPED, timeout=10
    )
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        async for _ in send:
            pass
    assert failed.value.code() == denied
    listed = await stub.ListConversations(
        conversations_pb2.ListConversationsRequest(), metadata=ALICE, timeout=10
    )
    assert [c.id for c in listed.conversations] == [mine.id]
