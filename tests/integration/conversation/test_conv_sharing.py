"""Share links: snapshot vs live, no account needed, password, expiry, revocation, view counts, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from chatmesh.conversation.v1 import conversations_pb2, sharing_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text

from tests.integration.conversation.conv_harness import ALICE, BOB, Service, add_message, chain, create

pytestmark = pytest.mark.timeout(60)


async def _share(conv: Service, cid: str, **fields: Any) -> sharing_pb2.ShareLink:
    request = sharing_pb2.CreateShareLinkRequest(
        conversation_id=cid, share_link=sharing_pb2.ShareLink(**fields)
    )
    return (await conv.stub.CreateShareLink(request, metadata=ALICE)).share_link


async def _view(conv: Service, link_id: str, password: str = "") -> sharing_pb2.GetSharedConversationResponse:
    request = sharing_pb2.GetSharedConversationRequest(share_link_id=link_id, password=password)
    return await conv.stub.GetSharedConversation(request)  # no credentials at all


async def _code(call: object) -> grpc.StatusCode:
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_snapshot_stays_and_live_follows(conv: Service) -> None:
    made = await create(conv, ALICE, title="shared chat")
    _, a1 = await chain(conv, made.id, ["q1", "a1"])
    snapshot = await _share(conv, made.id, mode=sharing_pb2.SHARE_MODE_SNAPSHOT)
    live = await _share(conv, made.id, mode=sharing_pb2.SHARE_MODE_LIVE)
    assert snapshot.snapshot_message_id == a1 and not snapshot.password_protected
    await add_message(conv, made.id, a1, "user", "q2")
    frozen = await _view(conv, snapshot.id)
    assert frozen.title == "shared chat" and [m.parts[0].text for m in frozen.messages] == ["q1", "a1"]
    following = await _view(conv, live.id)
    assert [m.parts[0].text for m in following.messages] == ["q1", "a1", "q2"]
    listed = await conv.stub.ListShareLinks(
        sharing_pb2.ListShareLinksRequest(conversation_id=made.id), metadata=ALICE
    )
    counts = {link.id: link.view_count for link in listed.share_links}
    assert counts == {snapshot.id: 1, live.id: 1}


async def test_password_protected_link(conv: Service) -> None:
    made = await create(conv, ALICE, title="locked")
    await chain(conv, made.id, ["q1"])
    link = await _share(conv, made.id, password="open sesame")
    assert link.password_protected and link.password == ""
    assert await _code(_view(conv, link.id)) == grpc.StatusCode.PERMISSION_DENIED
    assert await _code(_view(conv, link.id, "wrong")) == grpc.StatusCode.PERMISSION_DENIED
    assert len((await _view(conv, link.id, "open sesame")).messages) == 1
    async with conv.deps.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT password_hash FROM conversation.share_links WHERE id = :id"), {"id": link.id}
            )
        ).scalar_one()
    assert stored.startswith("$argon2id$") and "open sesame" not in stored


async def test_expired_revoked_and_unknown_links_are_not_found(conv: Service) -> None:
    made = await create(conv, ALICE, title="short-lived")
    soon = Timestamp()
    soon.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    expiring = await _share(conv, made.id, expire_time=soon)
    assert await _code(_view(conv, expiring.id)) == grpc.StatusCode.OK
    async with conv.deps.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE conversation.share_links SET expire_at = now() - interval '1 second' WHERE id = :id"
            ),
            {"id": expiring.id},
        )
    assert await _code(_view(conv, expiring.id)) == grpc.StatusCode.NOT_FOUND
    revoked = await _share(conv, made.id)
    done = await conv.stub.RevokeShareLink(
        sharing_pb2.RevokeShareLinkRequest(conversation_id=made.id, share_link_id=revoked.id), metadata=ALICE
    )
    assert done.share_link.HasField("revoke_time")
    assert await _code(_view(conv, revoked.id)) == grpc.StatusCode.NOT_FOUND
    assert await _code(_view(conv, "no-such-link")) == grpc.StatusCode.NOT_FOUND
    active = await conv.stub.ListShareLinks(
        sharing_pb2.ListShareLinksRequest(conversation_id=made.id), metadata=ALICE
    )
    assert active.share_links == []
    everything = await conv.stub.ListShareLinks(
        sharing_pb2.ListShareLinksRequest(conversation_id=made.id, show_revoked=True), metadata=ALICE
    )
    assert len(everything.share_links) == 2
    past = Timestamp()
    past.FromDatetime(datetime.now(UTC) - timedelta(minutes=1))
    request = sharing_pb2.CreateShareLinkRequest(
        conversation_id=made.id, share_link=sharing_pb2.ShareLink(expire_time=past)
    )
    assert await _code(conv.stub.CreateShareLink(request, metadata=ALICE)) == grpc.StatusCode.INVALID_ARGUMENT


async def test_deleting_the_conversation_revokes_links_and_others_cannot_manage_them(conv: Service) -> None:
    made = await create(conv, ALICE, title="gone")
    link = await _share(conv, made.id)
    request = sharing_pb2.RevokeShareLinkRequest(conversation_id=made.id, share_link_id=link.id)
    assert await _code(conv.stub.RevokeShareLink(request, metadata=BOB)) == grpc.StatusCode.NOT_FOUND
    assert await _code(_view(conv, link.id)) == grpc.StatusCode.OK
    await conv.stub.DeleteConversation(
        conversations_pb2.DeleteConversationRequest(conversation_id=made.id), metadata=ALICE
    )
    assert await _code(_view(conv, link.id)) == grpc.StatusCode.NOT_FOUND
