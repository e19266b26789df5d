"""Export to Markdown and JSON; JSON import recreates the tree with new ids, all-or-nothing."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from chatmesh.conversation.v1 import messages_pb2, resources_pb2, sharing_pb2
from sqlalchemy import text

from tests.integration.conversation.conv_harness import (
    ALICE,
    BOB,
    Service,
    add_message,
    chain,
    create,
    violations,
)

pytestmark = pytest.mark.timeout(60)


async def _export(
    conv: Service, cid: str, fmt: Any, all_branches: bool = False
) -> sharing_pb2.ExportConversationResponse:
    request = sharing_pb2.ExportConversationRequest(
        conversation_id=cid, format=fmt, all_branches=all_branches
    )
    return await conv.stub.ExportConversation(request, metadata=ALICE)


async def _tree(conv: Service, cid: str, who: list[tuple[str, str]] = ALICE) -> list[tuple[str, str, str]]:
    page = await conv.stub.ListMessages(
        messages_pb2.ListMessagesRequest(conversation_id=cid, view=messages_pb2.MESSAGE_VIEW_ALL),
        metadata=who,
    )
    index = {m.id: i for i, m in enumerate(page.messages)}
    return [
        (m.parts[0].text, resources_pb2.MessageRole.Name(m.role), str(index.get(m.parent_id, -1)))
        for m in page.messages
    ]


async def test_markdown_shows_the_active_path_or_every_branch(conv: Service) -> None:
    made = await create(conv, ALICE, title="Trip to 北京")
    q1, _ = await chain(conv, made.id, ["Where to go?", "The Great Wall."])
    await add_message(conv, made.id, q1, "assistant", "The Forbidden City.")
    markdown = await _export(conv, made.id, sharing_pb2.EXPORT_FORMAT_MARKDOWN)
    assert markdown.content_type == "text/markdown" and markdown.filename == "trip-to-北京.md"
    assert markdown.content.startswith("# Trip to 北京")
    assert "## User\n\nWhere to go?" in markdown.content and "Forbidden City" in markdown.content
    assert "Great Wall" not in markdown.content
    every = await _export(conv, made.id, sharing_pb2.EXPORT_FORMAT_MARKDOWN, all_branches=True)
    assert "2. Assistant (reply to 1)" in every.content and "3. Assistant (reply to 1)" in every.content


async def test_json_round_trip_keeps_the_tree(conv: Service) -> None:
    made = await create(
        conv,
        ALICE,
        title="round trip",
        tags=["x"],
        settings=resources_pb2.ConversationSettings(model="m", top_p=0.5),
    )
    q1, a1, q2 = await chain(conv, made.id, ["q1", "a1", "q2"])
    await add_message(conv, made.id, q1, "assistant", "a1 bis")
    await conv.stub.SwitchBranch(
        messages_pb2.SwitchBranchRequest(conversation_id=made.id, message_id=q2), metadata=ALICE
    )
    exported = await _export(conv, made.id, sharing_pb2.EXPORT_FORMAT_JSON)
    document = json.loads(exported.content)
    assert document["format"] == "chatmesh.conversation" and len(document["messages"]) == 4
    imported = (
        await conv.stub.ImportConversation(
            sharing_pb2.ImportConversationRequest(content=exported.content), metadata=BOB
        )
    ).conversation
    assert imported.id != made.id and imported.owner_id != made.owner_id
    assert imported.title == "round trip" and list(imported.tags) == ["x"] and imported.settings.top_p == 0.5
    assert imported.message_count == 4
    assert await _tree(conv, imported.id, BOB) == await _tree(conv, made.id)
    active = await conv.stub.ListMessages(
        messages_pb2.ListMessagesRequest(conversation_id=imported.id), metadata=BOB
    )
    assert [m.parts[0].text for m in active.messages] == ["q1", "a1", "q2"]
    assert not ({m.id for m in active.messages} & {q1, a1, q2})


async def test_bad_import_stores_nothing(conv: Service) -> None:
    made = await create(conv, ALICE, title="source")
    await chain(conv, made.id, ["q1", "a1"])
    document = json.loads((await _export(conv, made.id, sharing_pb2.EXPORT_FORMAT_JSON)).content)
    document["messages"][1]["role"] = "wizard"
    document["messages"].append({"id": "z", "parent_id": "missing", "role": "user", "parts": []})
    async with conv.deps.engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM conversation.conversations"))).scalar_one()
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.ImportConversation(
            sharing_pb2.ImportConversationRequest(content=json.dumps(document)), metadata=ALICE
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {"content.messages[1].role", "content.messages[2].parent_id"} <= set(violations(error.value))
    for content in ("not json", json.dumps({"format": "other"})):
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await conv.stub.ImportConversation(
                sharing_pb2.ImportConversationRequest(content=content), metadata=ALICE
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    async with conv.deps.engine.connect() as conn:
        after = (await conn.execute(text("SELECT count(*) FROM conversation.conversations"))).scalar_one()
    assert after == before


async def test_export_of_someone_elses_conversation_is_not_found(conv: Service) -> None:
    made = await create(conv, ALICE, title="mine")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await conv.stub.ExportConversation(
            sharing_pb2.ExportConversationRequest(conversation_id=made.id), metadata=BOB
        )
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
