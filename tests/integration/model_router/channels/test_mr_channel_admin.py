"""Channel admin RPCs over gRPC against Postgres: CRUD, validation, permissions, keys at rest."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from chatmesh.model_router.v1 import channel_keys_pb2, channels_pb2
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from sqlalchemy import select

from mesh.errors import parse_rpc_error
from model_router.store import tables
from model_router.store.channels import CHANNEL_KEY_CONTEXT
from tests.integration.model_router.harness import ADMIN, USER, Router


def _channel(name: str = "primary", **overrides: Any) -> channels_pb2.Channel:
    values: dict[str, Any] = {
        "name": name,
        "type": "openai",
        "base_url": "https://upstream.example/v1/",
        "models": ["gpt-4o-mini", "gpt-4*"],
        "keys": ["sk-first-key-1234", "sk-second-key-5678"],
        "priority": 5,
        "weight": 3,
    }
    values.update(overrides)
    return channels_pb2.Channel(**values)


async def _create(router: Router, **overrides: Any) -> channels_pb2.Channel:
    response = await router.stub.CreateChannel(
        channels_pb2.CreateChannelRequest(channel=_channel(**overrides)), metadata=ADMIN
    )
    return response.channel


async def _error(call: Any) -> tuple[grpc.StatusCode, list[str]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    code, _, details = parse_rpc_error(caught.value)
    fields = [
        v.field for d in details if isinstance(d, error_details_pb2.BadRequest) for v in d.field_violations
    ]
    return code, fields


async def test_create_returns_the_channel_without_keys_and_stores_keys_encrypted(router: Router) -> None:
    created = await _create(router)
    assert created.id and created.etag
    assert created.base_url == "https://upstream.example/v1"
    assert list(created.keys) == []
    assert (created.key_count, created.usable_key_count) == (2, 2)
    assert created.status == channels_pb2.CHANNEL_STATUS_ENABLED
    assert list(created.groups) == ["default"]

    async with router.deps.engine.connect() as conn:
        rows = (await conn.execute(select(tables.channel_keys))).mappings().all()
    assert {row["key_hint"] for row in rows} == {"1234", "5678"}
    for row in rows:
        assert b"sk-" not in bytes(row["key_ciphertext"])
    plain = {
        router.deps.secrets.decrypt(bytes(r["key_ciphertext"]), CHANNEL_KEY_CONTEXT).decode() for r in rows
    }
    assert plain == {"sk-first-key-1234", "sk-second-key-5678"}

    fetched = (
        await router.stub.GetChannel(channels_pb2.GetChannelRequest(channel_id=created.id), metadata=ADMIN)
    ).channel
    assert fetched == created


async def test_invalid_channel_reports_every_bad_field_and_writes_nothing(router: Router) -> None:
    bad = channels_pb2.Channel(
        name="",
        type="nonsense",
        models=["bad model!"],
        weight=-1,
        groups=["no spaces allowed"],
        keys=["has space"],
    )
    code, fields = await _error(
        router.stub.CreateChannel(channels_pb2.CreateChannelRequest(channel=bad), metadata=ADMIN)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert {
        "channel.name",
        "channel.type",
        "channel.models[0]",
        "channel.weight",
        "channel.groups[0]",
    } <= set(fields)
    assert "channel.keys[0]" in fields
    listed = await router.stub.ListChannels(channels_pb2.ListChannelsRequest(), metadata=ADMIN)
    assert listed.total_size == 0


async def test_base_url_is_required_where_the_type_has_no_default(router: Router) -> None:
    code, fields = await _error(
        router.stub.CreateChannel(
            channels_pb2.CreateChannelRequest(channel=_channel(type="azure", base_url="")), metadata=ADMIN
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["channel.base_url"])
    anthropic = await _create(router, name="claude", type="anthropic", base_url="", models=["claude-*"])
    assert anthropic.base_url == "https://api.anthropic.com"


async def test_only_admins_may_read_or_change_channels(router: Router) -> None:
    code, _ = await _error(
        router.stub.CreateChannel(channels_pb2.CreateChannelRequest(channel=_channel()), metadata=USER)
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await _error(router.stub.ListChannels(channels_pb2.ListChannelsRequest(), metadata=USER))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await _error(router.stub.ListChannels(channels_pb2.ListChannelsRequest()))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert {"channels:update", "channels:read"} <= set(router.checker.asked)


async def test_duplicate_name_is_already_exists(router: Router) -> None:
    await _create(router)
    code, _ = await _error(
        router.stub.CreateChannel(channels_pb2.CreateChannelRequest(channel=_channel()), metadata=ADMIN)
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS


async def test_update_changes_only_masked_fields_and_honours_etag(router: Router) -> None:
    created = await _create(router)
    request = channels_pb2.UpdateChannelRequest(
        channel_id=created.id,
        channel=channels_pb2.Channel(priority=9, weight=7, description="ignored: not in mask"),
        update_mask=field_mask_pb2.FieldMask(paths=["priority"]),
    )
    updated = (await router.stub.UpdateChannel(request, metadata=ADMIN)).channel
    assert (updated.priority, updated.weight, updated.description) == (9, 3, "")
    assert updated.etag != created.etag

    stale = channels_pb2.UpdateChannelRequest(
        channel_id=created.id, channel=channels_pb2.Channel(weight=1, etag=created.etag)
    )
    code, _ = await _error(router.stub.UpdateChannel(stale, metadata=ADMIN))
    assert code == grpc.StatusCode.ABORTED

    code, fields = await _error(
        router.stub.UpdateChannel(
            channels_pb2.UpdateChannelRequest(
                channel_id=created.id, update_mask=field_mask_pb2.FieldMask(paths=["status", "id"])
            ),
            metadata=ADMIN,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["update_mask", "update_mask"])

    code, fields = await _error(
        router.stub.UpdateChannel(
            channels_pb2.UpdateChannelRequest(
                channel_id=created.id, channel=channels_pb2.Channel(weight=-5, models=[])
            ),
            metadata=ADMIN,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["channel.weight"])


async def test_update_with_keys_in_mask_replaces_the_keys(router: Router) -> None:
    created = await _create(router)
    updated = (
        await router.stub.UpdateChannel(
            channels_pb2.UpdateChannelRequest(
                channel_id=created.id,
                channel=channels_pb2.Channel(keys=["sk-only-one-9999"]),
                update_mask=field_mask_pb2.FieldMask(paths=["keys"]),
            ),
            metadata=ADMIN,
        )
    ).channel
    assert updated.key_count == 1
    keys = await router.stub.ListChannelKeys(
        channel_keys_pb2.ListChannelKeysRequest(channel_id=created.id), metadata=ADMIN
    )
    assert [k.masked_key for k in keys.keys] == ["...9999"]


async def test_keys_are_added_deduplicated_listed_masked_and_deleted(router: Router) -> None:
    created = await _create(router, keys=["sk-first-key-1234"])
    added = await router.stub.AddChannelKeys(
        channel_keys_pb2.AddChannelKeysRequest(
            channel_id=created.id, keys=["sk-first-key-1234", "sk-new-key-4321", "sk-new-key-4321"]
        ),
        metadata=ADMIN,
    )
    assert [k.masked_key for k in added.keys] == ["...4321"]
    page = await router.stub.ListChannelKeys(
        channel_keys_pb2.ListChannelKeysRequest(channel_id=created.id, page_size=1), metadata=ADMIN
    )
    assert len(page.keys) == 1 and page.next_page_token
    rest = await router.stub.ListChannelKeys(
        channel_keys_pb2.ListChannelKeysRequest(channel_id=created.id, page_token=page.next_page_token),
        metadata=ADMIN,
    )
    assert len(rest.keys) == 1 and not rest.next_page_token
    assert all(k.status == channel_keys_pb2.CHANNEL_KEY_STATUS_ACTIVE for k in [*page.keys, *rest.keys])

    await router.stub.DeleteChannelKey(
        channel_keys_pb2.DeleteChannelKeyRequest(channel_id=created.id, key_id=added.keys[0].id),
        metadata=ADMIN,
    )
    code, _ = await _error(
        router.stub.DeleteChannelKey(
            channel_keys_pb2.DeleteChannelKeyRequest(channel_id=created.id, key_id=added.keys[0].id),
            metadata=ADMIN,
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    assert [k.secret for k in router.deps.channels.get(created.id).keys] == ["sk-first-key-1234"]  # type: ignore[union-attr]


async def test_delete_removes_channel_and_checks_etag(router: Router) -> None:
    created = await _create(router)
    code, _ = await _error(
        router.stub.DeleteChannel(
            channels_pb2.DeleteChannelRequest(channel_id=created.id, etag='W/"0"'), metadata=ADMIN
        )
    )
    assert code == grpc.StatusCode.ABORTED
    await router.stub.DeleteChannel(
        channels_pb2.DeleteChannelRequest(channel_id=created.id, etag=created.etag), metadata=ADMIN
    )
    code, _ = await _error(
        router.stub.GetChannel(channels_pb2.GetChannelRequest(channel_id=created.id), metadata=ADMIN)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    code, fields = await _error(
        router.stub.GetChannel(channels_pb2.GetChannelRequest(channel_id="nope"), metadata=ADMIN)
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["channel_id"])
    assert router.deps.channels.get(created.id) is None


async def test_list_filters_orders_and_pages(router: Router) -> None:
    await _create(router, name="alpha", priority=1, models=["gpt-4*"], groups=["vip"], tags=["eu"])
    await _create(router, name="beta", priority=3, models=["claude-3"], type="anthropic", base_url="")
    await _create(router, name="gamma", priority=2, models=["other"], model_mapping={"gpt-4o": "other"})

    async def names(**filters: Any) -> list[str]:
        response = await router.stub.ListChannels(channels_pb2.ListChannelsRequest(**filters), metadata=ADMIN)
        return [c.name for c in response.channels]

    assert await names() == ["beta", "gamma", "alpha"]
    assert await names(order_by="name") == ["alpha", "beta", "gamma"]
    assert await names(model="gpt-4o") == ["gamma", "alpha"]
    assert await names(group="vip") == ["alpha"]
    assert await names(type="anthropic") == ["beta"]
    assert await names(tag="eu", name_contains="LP") == ["alpha"]
    first = await router.stub.ListChannels(channels_pb2.ListChannelsRequest(page_size=2), metadata=ADMIN)
    assert (len(first.channels), first.total_size) == (2, 3)
    second = await router.stub.ListChannels(
        channels_pb2.ListChannelsRequest(page_size=2, page_token=first.next_page_token), metadata=ADMIN
    )
    assert [c.name for c in second.channels] == ["alpha"] and not second.next_page_token
    code, fields = await _error(
        router.stub.ListChannels(channels_pb2.ListChannelsRequest(order_by="secret"), metadata=ADMIN)
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["order_by"])
    code, fields = await _error(
        router.stub.ListChannels(channels_pb2.ListChannelsRequest(page_token="garbage"), metadata=ADMIN)
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["page_token"])


async def test_a_disabled_key_leaves_routing_and_comes_back_when_activated(router: Router) -> None:
    created = await _create(router, keys=["sk-first-key-1234", "sk-second-key-5678"])
    keys = await router.stub.ListChannelKeys(
        channel_keys_pb2.ListChannelKeysRequest(channel_id=created.id), metadata=ADMIN
    )
    first = next(k for k in keys.keys if k.masked_key == "...1234")

    def secrets() -> list[str]:
        channel = router.deps.channels.get(created.id)
        assert channel is not None
        return sorted(k.secret for k in channel.keys)

    disabled = await router.stub.UpdateChannelKey(
        channel_keys_pb2.UpdateChannelKeyRequest(
            channel_id=created.id,
            key_id=first.id,
            key=channel_keys_pb2.ChannelKey(status=channel_keys_pb2.CHANNEL_KEY_STATUS_DISABLED),
            update_mask=field_mask_pb2.FieldMask(paths=["status"]),
        ),
        metadata=ADMIN,
    )
    assert disabled.key.status == channel_keys_pb2.CHANNEL_KEY_STATUS_DISABLED and disabled.key.status_reason
    assert secrets() == ["sk-second-key-5678"]
    got = await router.stub.GetChannel(channels_pb2.GetChannelRequest(channel_id=created.id), metadata=ADMIN)
    assert (got.channel.key_count, got.channel.usable_key_count) == (2, 1)

    await router.stub.UpdateChannelKey(
        channel_keys_pb2.UpdateChannelKeyRequest(
            channel_id=created.id,
            key_id=first.id,
            key=channel_keys_pb2.ChannelKey(status=channel_keys_pb2.CHANNEL_KEY_STATUS_ACTIVE),
        ),
        metadata=ADMIN,
    )
    assert secrets() == ["sk-first-key-1234", "sk-second-key-5678"]

    code, fields = await _error(
        router.stub.UpdateChannelKey(
            channel_keys_pb2.UpdateChannelKeyRequest(
                channel_id=created.id,
                key_id=first.id,
                key=channel_keys_pb2.ChannelKey(status=channel_keys_pb2.CHANNEL_KEY_STATUS_COOLING_DOWN),
            ),
            metadata=ADMIN,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["key.status"])
