"""The service starts on its migrated schema and unbuilt RPCs answer UNIMPLEMENTED."""

from __future__ import annotations

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2
from sqlalchemy import text

from tests.integration.conversation.conv_harness import ALICE, Service


async def test_schema_has_the_tree_tables(conv: Service) -> None:
    async with conv.deps.engine.connect() as conn:
        names = set(
            (
                await conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'conversation'"
                    )
                )
            ).scalars()
        )
    assert {"conversations", "messages", "share_links", "outbox"} <= names


async def test_generation_rpcs_are_unimplemented_until_built(conv: Service) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.GenerateTitle(
            conversations_pb2.GenerateTitleRequest(conversation_id="x"), metadata=ALICE
        )
    assert error.value.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.NOT_FOUND)
