"""The caller's inbox: get, list with unread count, mark read, delete, and the live Subscribe stream."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatmesh.notification.v1 import notifications_pb2 as pb

from mesh import authz
from mesh.errors import FieldViolation, InvalidArgument, NotFound
from mesh.paging import page_size
from notification.api.caller import SEND, Caller, caller, target_user
from notification.api.convert import CHANNEL_FROM_PB, notification_to_pb
from notification.domain.kinds import Channel
from notification.inbox.live import valid_event_id
from notification.inbox.payloads import decode, state_event
from notification.store import notifications as store

if TYPE_CHECKING:
    from notification.deps import NotificationDeps

__all__ = ["InboxApi"]

MAX_MARK_IDS = 1000


def _encode_cursor(row: Any) -> str:
    return base64.urlsafe_b64encode(f"k:{row.created_at.isoformat()}|{row.id}".encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[datetime, uuid.UUID] | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, nid = text.removeprefix("k:").split("|")
        if text.startswith("k:"):
            return datetime.fromisoformat(stamp), uuid.UUID(nid)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidArgument("bad page_token", [FieldViolation("page_token", "not a token from this list")])


def _ids(values: list[str], field: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values]
    except ValueError as exc:
        raise InvalidArgument("bad id", [FieldViolation(field, "is not a notification id")]) from exc


class InboxApi:
    deps: NotificationDeps

    async def GetNotification(
        self, request: pb.GetNotificationRequest, context: Any
    ) -> pb.GetNotificationResponse:
        [nid] = _ids([request.notification_id], "notification_id")
        me = caller()
        async with self.deps.sessions() as db:
            row = await store.get(db, me.tenant_id, nid)
        if row is None or row.deleted_at is not None:
            raise NotFound("no such notification", reason="NOTIFICATION_NOT_FOUND")
        if row.user_id != me.user_id and not await authz.holds(SEND):
            raise NotFound("no such notification", reason="NOTIFICATION_NOT_FOUND")
        return pb.GetNotificationResponse(notification=notification_to_pb(row._mapping))

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Any
    ) -> pb.ListNotificationsResponse:
        config = self.deps.config
        size = page_size(request.page_size, config.default_page_size, config.max_page_size)
        after = _decode_cursor(request.page_token)
        channel = CHANNEL_FROM_PB.get(request.channel, Channel.IN_APP) if request.channel else Channel.IN_APP
        who = await target_user(request.user_id)
        async with self.deps.sessions() as db:
            rows = await store.list_inbox(
                db,
                tenant_id=who.tenant_id,
                user_id=who.user_id,
                channel=channel.value,
                unread_only=request.unread_only,
                category=request.category,
                after=after,
                limit=size + 1,
            )
            unread = await store.unread_count(db, who.tenant_id, who.user_id)
        more = len(rows) > size
        rows = rows[:size]
        return pb.ListNotificationsResponse(
            notifications=[notification_to_pb(r._mapping) for r in rows],
            next_page_token=_encode_cursor(rows[-1]) if more else "",
            unread_count=unread,
        )

    async def MarkRead(self, request: pb.MarkReadRequest, context: Any) -> pb.MarkReadResponse:
        if request.all and request.notification_ids:
            raise InvalidArgument(
                "choose one", [FieldViolation("all", "cannot be combined with notification_ids")]
            )
        if not request.all and not request.notification_ids:
            raise InvalidArgument("nothing to mark", [FieldViolation("notification_ids", "is required")])
        if len(request.notification_ids) > MAX_MARK_IDS:
            raise InvalidArgument("too many", [FieldViolation("notification_ids", f"at most {MAX_MARK_IDS}")])
        ids = None if request.all else _ids(list(request.notification_ids), "notification_ids")
        me = caller()
        async with self.deps.sessions.begin() as db:
            changed = await store.mark_read(db, me.tenant_id, me.user_id, ids, datetime.now(UTC))
            unread = await store.unread_count(db, me.tenant_id, me.user_id)
        if changed:
            await self._announce(me, unread, changed, [])
        return pb.MarkReadResponse(updated_count=len(changed), unread_count=unread)

    async def DeleteNotification(
        self, request: pb.DeleteNotificationRequest, context: Any
    ) -> pb.DeleteNotificationResponse:
        [nid] = _ids([request.notification_id], "notification_id")
        me = caller()
        async with self.deps.sessions.begin() as db:
            deleted = await store.mark_deleted(db, me.tenant_id, me.user_id, nid, datetime.now(UTC))
            unread = await store.unread_count(db, me.tenant_id, me.user_id)
        if not deleted:
            raise NotFound("no such notification", reason="NOTIFICATION_NOT_FOUND")
        await self._announce(me, unread, [], [str(nid)])
        return pb.DeleteNotificationResponse()

    async def _announce(self, me: Caller, unread: int, read: list[str], deleted: list[str]) -> None:
        await self.deps.live.append(me.tenant_id, me.user_id, state_event(unread, read, deleted))

    async def Subscribe(
        self, request: pb.SubscribeRequest, context: Any
    ) -> AsyncIterator[pb.SubscribeResponse]:
        resume = request.last_event_id
        if resume and not valid_event_id(resume):
            raise InvalidArgument(
                "bad last_event_id", [FieldViolation("last_event_id", "not an event id of this stream")]
            )
        me = caller()
        categories = set(request.categories)
        live = self.deps.live
        after = resume
        if not resume:
            after = await live.last_id(me.tenant_id, me.user_id)
            async with self.deps.sessions() as db:
                unread = await store.unread_count(db, me.tenant_id, me.user_id)
            yield pb.SubscribeResponse(event_id=after, inbox_state=pb.InboxState(unread_count=unread))
        async for event_id, payload in live.follow(me.tenant_id, me.user_id, after):
            event = decode(payload)
            if event.get("kind") == "notification":
                row = event["row"]
                if categories and row.get("category") not in categories:
                    continue
                yield pb.SubscribeResponse(event_id=event_id, notification=notification_to_pb(row))
            elif event.get("kind") == "state":
                state = pb.InboxState(
                    unread_count=event["unread"],
                    read_notification_ids=event["read"],
                    deleted_notification_ids=event["deleted"],
                )
                yield pb.SubscribeResponse(event_id=event_id, inbox_state=state)
