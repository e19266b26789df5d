"""Channel admin RPCs: create, read, list, update (field mask), delete, enable/disable, keys.

Admin-only: reads need ``channels:read``, writes ``channels:update`` (identity's
permission catalogue; super_admin holds both). Every committed change reloads this
instance's registry and announces it to the others (model_router.channels.registry).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.model_router.v1 import channel_keys_pb2, channels_pb2
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.auth import current_principal
from mesh.authz import require
from mesh.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from mesh.paging import decode_offset, encode_offset, page_size
from mesh.secrets import key_hint
from model_router.api.channel_messages import (
    KEY_STATUS_FROM_PROTO,
    STATUS_FROM_PROTO,
    apply_update,
    channel_message,
    decorate_channel,
    draft_from_message,
    draft_from_row,
    draft_values,
    etag_of,
    key_message,
    update_paths,
)
from model_router.domain.channel_rules import validate_channel, validate_keys
from model_router.domain.channels import ChannelKey
from model_router.store import channels as channel_store
from model_router.store import health as health_store
from model_router.store.channels import CHANNEL_KEY_CONTEXT, StoredKey, routable_channel
from model_router.store.health import HealthEventRow

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["READ_PERMISSION", "UPDATE_PERMISSION", "ChannelsApi"]

READ_PERMISSION = "channels:read"
UPDATE_PERMISSION = "channels:update"
_CREATABLE_STATUSES = {
    channels_pb2.CHANNEL_STATUS_UNSPECIFIED: "enabled",
    channels_pb2.CHANNEL_STATUS_ENABLED: "enabled",
    channels_pb2.CHANNEL_STATUS_MANUALLY_DISABLED: "manually_disabled",
}

_SETTABLE_KEY_STATUSES = {
    channel_keys_pb2.CHANNEL_KEY_STATUS_ACTIVE: "active",
    channel_keys_pb2.CHANNEL_KEY_STATUS_DISABLED: "disabled",
}


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(f"bad {field}", [FieldViolation(field, "not a valid id")]) from None


def _not_found(channel_id: uuid.UUID) -> NotFound:
    return NotFound("channel not found", reason="CHANNEL_NOT_FOUND", metadata={"channel_id": str(channel_id)})


def _check_etag(row: dict[str, Any], etag: str) -> None:
    if etag and etag != etag_of(row):
        raise Aborted("the channel changed since it was read", reason="ETAG_MISMATCH")


class ChannelsApi:
    deps: ModelRouterDeps

    def _stored_keys(self, keys: Sequence[str]) -> list[StoredKey]:
        box = self.deps.secrets
        unique = {box.fingerprint(k, CHANNEL_KEY_CONTEXT): k for k in keys}
        return [
            StoredKey(ciphertext=box.encrypt(k, CHANNEL_KEY_CONTEXT), fingerprint=fp, hint=key_hint(k))
            for fp, k in unique.items()
        ]

    async def _message(self, conn: AsyncConnection, row: dict[str, Any]) -> channels_pb2.Channel:
        counts = await channel_store.key_counts(conn, [row["id"]])
        last_test = await health_store.last_test(conn, row["id"])
        circuit = self.deps.channels.health.circuit(str(row["id"]))
        return decorate_channel(channel_message(row, counts.get(row["id"], (0, 0))), circuit, last_test)

    async def _test_draft(self, values: dict[str, Any], keys: Sequence[str]) -> None:
        """CreateChannel's test_first: the test request through the unsaved channel, refused on failure."""
        row = {**values, "id": "unsaved", "created_at": None}
        channel = routable_channel(row, tuple(ChannelKey(str(uuid.uuid4()), k) for k in keys))
        outcome = await self.deps.channels.tester.test(channel)
        if not outcome.success:
            raise FailedPrecondition(
                f"channel test failed: {outcome.error}",
                reason="CHANNEL_TEST_FAILED",
                metadata={"http_status": str(outcome.http_status), "model": outcome.model},
            )

    async def _existing(self, conn: AsyncConnection, channel_id: uuid.UUID) -> dict[str, Any]:
        row = await channel_store.get_channel(conn, channel_id, for_update=True)
        if row is None:
            raise _not_found(channel_id)
        return row

    async def CreateChannel(
        self, request: channels_pb2.CreateChannelRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.CreateChannelResponse:
        await require(UPDATE_PERMISSION)
        draft = draft_from_message(request.channel)
        bad = validate_channel(draft) + validate_keys(request.channel.keys, "channel.keys")
        status = _CREATABLE_STATUSES.get(request.channel.status)
        if status is None:
            bad.append(FieldViolation("channel.status", "only ENABLED or MANUALLY_DISABLED on create"))
        if bad:
            raise InvalidArgument("invalid channel", bad)
        if request.test_first:
            await self._test_draft(draft_values(draft), request.channel.keys)
        keys = self._stored_keys(request.channel.keys)
        try:
            async with self.deps.engine.begin() as conn:
                row = await channel_store.create_channel(conn, {**draft_values(draft), "status": status})
                await channel_store.insert_keys(conn, row["id"], keys)
                message = await self._message(conn, row)
        except IntegrityError:
            raise AlreadyExists(
                "a channel with this name exists", reason="CHANNEL_NAME_TAKEN", metadata={"name": draft.name}
            ) from None
        await self.deps.channels.changed()
        return channels_pb2.CreateChannelResponse(channel=message)

    async def GetChannel(
        self, request: channels_pb2.GetChannelRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.GetChannelResponse:
        await require(READ_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        async with self.deps.engine.connect() as conn:
            row = await channel_store.get_channel(conn, channel_id)
            if row is None:
                raise _not_found(channel_id)
            return channels_pb2.GetChannelResponse(channel=await self._message(conn, row))

    async def ListChannels(
        self, request: channels_pb2.ListChannelsRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.ListChannelsResponse:
        await require(READ_PERMISSION)
        size = page_size(request.page_size, 50, 1000)
        offset = decode_offset(request.page_token)
        order = " ".join(request.order_by.split()).lower()
        if order not in channel_store.CHANNEL_ORDERS:
            raise InvalidArgument(
                "bad order_by",
                [
                    FieldViolation(
                        "order_by", f"one of {', '.join(o for o in channel_store.CHANNEL_ORDERS if o)}"
                    )
                ],
            )
        flt = channel_store.ChannelFilter(
            type=request.type,
            status=STATUS_FROM_PROTO.get(request.status, ""),
            group=request.group,
            model=request.model,
            name_contains=request.name_contains,
            tag=request.tag,
        )
        async with self.deps.engine.connect() as conn:
            rows, total = await channel_store.list_channels(
                conn, flt, order_by=order, offset=offset, limit=size
            )
            counts = await channel_store.key_counts(conn, [r["id"] for r in rows])
        more = offset + len(rows) < total
        health = self.deps.channels.health
        return channels_pb2.ListChannelsResponse(
            channels=[
                decorate_channel(
                    channel_message(r, counts.get(r["id"], (0, 0))), health.circuit(str(r["id"])), None
                )
                for r in rows
            ],
            next_page_token=encode_offset(offset + len(rows)) if more else "",
            total_size=total,
        )

    async def UpdateChannel(
        self, request: channels_pb2.UpdateChannelRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.UpdateChannelResponse:
        await require(UPDATE_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        paths = update_paths(request.channel, list(request.update_mask.paths))
        bad = validate_keys(request.channel.keys, "channel.keys") if "keys" in paths else []
        if bad:
            raise InvalidArgument("invalid channel", bad)
        keys = self._stored_keys(request.channel.keys) if "keys" in paths else []
        try:
            async with self.deps.engine.begin() as conn:
                row = await self._existing(conn, channel_id)
                _check_etag(row, request.channel.etag)
                draft = apply_update(draft_from_row(row), request.channel, paths)
                bad = validate_channel(draft)
                if bad:
                    raise InvalidArgument("invalid channel", bad)
                updated = await channel_store.patch_channel(conn, channel_id, draft_values(draft))
                assert updated is not None  # locked above
                if "keys" in paths:
                    await channel_store.replace_keys(conn, channel_id, keys)
                message = await self._message(conn, updated)
        except IntegrityError:
            raise AlreadyExists("a channel with this name exists", reason="CHANNEL_NAME_TAKEN") from None
        await self.deps.channels.changed()
        return channels_pb2.UpdateChannelResponse(channel=message)

    async def DeleteChannel(
        self, request: channels_pb2.DeleteChannelRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.DeleteChannelResponse:
        await require(UPDATE_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        async with self.deps.engine.begin() as conn:
            row = await self._existing(conn, channel_id)
            _check_etag(row, request.etag)
            await channel_store.delete_channel(conn, channel_id)
        await self.deps.channels.changed()
        return channels_pb2.DeleteChannelResponse()

    async def _set_status(
        self, channel_id: uuid.UUID, status: str, reason: str | None
    ) -> channels_pb2.Channel:
        circuit = self.deps.channels.health.circuit(str(channel_id))
        async with self.deps.engine.begin() as conn:
            before = await self._existing(conn, channel_id)
            row = await channel_store.patch_channel(
                conn, channel_id, {"status": status, "status_reason": reason}
            )
            assert row is not None  # locked above
            if before["status"] != status:
                event = HealthEventRow(
                    channel_id,
                    before["status"],
                    status,
                    circuit,
                    "closed" if status == "enabled" else circuit,
                    "manual",
                    reason or "enabled by an operator",
                    actor_user_id=current_principal().subject,
                )
                await health_store.insert_events(conn, [event])
            message = await self._message(conn, row)
        if status == "enabled":
            self.deps.channels.health.forget(str(channel_id))
        await self.deps.channels.changed()
        return message

    async def EnableChannel(
        self, request: channels_pb2.EnableChannelRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.EnableChannelResponse:
        await require(UPDATE_PERMISSION)
        channel = await self._set_status(_uuid(request.channel_id, "channel_id"), "enabled", None)
        return channels_pb2.EnableChannelResponse(channel=channel)

    async def DisableChannel(
        self, request: channels_pb2.DisableChannelRequest, context: grpc.aio.ServicerContext
    ) -> channels_pb2.DisableChannelResponse:
        await require(UPDATE_PERMISSION)
        if len(request.reason) > 500:
            raise InvalidArgument("reason too long", [FieldViolation("reason", "at most 500 characters")])
        channel = await self._set_status(
            _uuid(request.channel_id, "channel_id"),
            "manually_disabled",
            request.reason or "disabled by an operator",
        )
        return channels_pb2.DisableChannelResponse(channel=channel)

    async def AddChannelKeys(
        self, request: channel_keys_pb2.AddChannelKeysRequest, context: grpc.aio.ServicerContext
    ) -> channel_keys_pb2.AddChannelKeysResponse:
        await require(UPDATE_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        bad = validate_keys(request.keys, "keys")
        if not request.keys:
            bad.append(FieldViolation("keys", "at least one key"))
        if bad:
            raise InvalidArgument("invalid keys", bad)
        keys = self._stored_keys(request.keys)
        async with self.deps.engine.begin() as conn:
            await self._existing(conn, channel_id)
            rows = await channel_store.insert_keys(conn, channel_id, keys)
            if rows:
                await channel_store.touch_channel(conn, channel_id)
        if rows:
            await self.deps.channels.changed()
        return channel_keys_pb2.AddChannelKeysResponse(keys=[key_message(r) for r in rows])

    async def ListChannelKeys(
        self, request: channel_keys_pb2.ListChannelKeysRequest, context: grpc.aio.ServicerContext
    ) -> channel_keys_pb2.ListChannelKeysResponse:
        await require(READ_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        size = page_size(request.page_size, 100, 1000)
        offset = decode_offset(request.page_token)
        if request.status == channel_keys_pb2.CHANNEL_KEY_STATUS_INVALID:
            return channel_keys_pb2.ListChannelKeysResponse()  # no key is marked invalid in this slice
        async with self.deps.engine.connect() as conn:
            if await channel_store.get_channel(conn, channel_id) is None:
                raise _not_found(channel_id)
            rows = await channel_store.list_keys(
                conn,
                channel_id,
                status=KEY_STATUS_FROM_PROTO.get(request.status),
                offset=offset,
                limit=size + 1,
            )
        page = rows[:size]
        return channel_keys_pb2.ListChannelKeysResponse(
            keys=[key_message(r) for r in page],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateChannelKey(
        self, request: channel_keys_pb2.UpdateChannelKeyRequest, context: grpc.aio.ServicerContext
    ) -> channel_keys_pb2.UpdateChannelKeyResponse:
        await require(UPDATE_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        key_id = _uuid(request.key_id, "key_id")
        paths = list(request.update_mask.paths) or ["status"]
        if paths != ["status"]:
            raise InvalidArgument(
                "bad update_mask", [FieldViolation("update_mask", "only 'status' can be updated")]
            )
        status = _SETTABLE_KEY_STATUSES.get(request.key.status)
        if status is None:
            raise InvalidArgument("bad status", [FieldViolation("key.status", "must be ACTIVE or DISABLED")])
        async with self.deps.engine.begin() as conn:
            await self._existing(conn, channel_id)
            reason = "disabled by an operator" if status == "disabled" else None
            row = await channel_store.set_key_status(conn, channel_id, key_id, status, reason)
            if row is None:
                raise NotFound(
                    "key not found", reason="CHANNEL_KEY_NOT_FOUND", metadata={"key_id": str(key_id)}
                )
            await channel_store.touch_channel(conn, channel_id)
        await self.deps.channels.changed()
        return channel_keys_pb2.UpdateChannelKeyResponse(key=key_message(row))

    async def DeleteChannelKey(
        self, request: channel_keys_pb2.DeleteChannelKeyRequest, context: grpc.aio.ServicerContext
    ) -> channel_keys_pb2.DeleteChannelKeyResponse:
        await require(UPDATE_PERMISSION)
        channel_id = _uuid(request.channel_id, "channel_id")
        key_id = _uuid(request.key_id, "key_id")
        async with self.deps.engine.begin() as conn:
            await self._existing(conn, channel_id)
            if not await channel_store.delete_key(conn, channel_id, key_id):
                raise NotFound(
                    "key not found", reason="CHANNEL_KEY_NOT_FOUND", metadata={"key_id": str(key_id)}
                )
            await channel_store.touch_channel(conn, channel_id)
        await self.deps.channels.changed()
        return channel_keys_pb2.DeleteChannelKeyResponse()
