"""The channel registry: changes reach other instances within 3 s; models come from enabled channels."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import grpc
import pytest
from chatmesh.model_router.v1 import channels_pb2, chat_pb2, inference_pb2

from mesh.config import Settings
from mesh.db import create_engine
from mesh.secrets import secret_box
from model_router.channels.registry import ChannelRegistry
from model_router.domain.selection import SelectionRequest, select_channel
from model_router.store import tables
from tests.integration.model_router.harness import (
    ADMIN,
    USER,
    Router,
    close_router,
    open_router,
)
from tests.support.eventually import eventually


async def _eventually(condition: Callable[[], bool], within: float) -> float:
    """Seconds until ``condition`` held (polled by the shared helper)."""
    started = time.monotonic()
    await eventually(condition, within=within, interval=0.02)
    return time.monotonic() - started


async def _create(router: Router, name: str, **fields: object) -> channels_pb2.Channel:
    channel = channels_pb2.Channel(name=name, type="openai", keys=[f"sk-{name}-key"], **fields)  # type: ignore[arg-type]
    return (
        await router.stub.CreateChannel(channels_pb2.CreateChannelRequest(channel=channel), metadata=ADMIN)
    ).channel


async def test_a_change_on_one_instance_reaches_another_through_pubsub(
    router: Router, mr_settings: Settings
) -> None:
    other = await open_router(
        mr_settings, reload_seconds=60.0
    )  # only pub/sub can make it see the change in time
    try:
        created = await _create(router, "shared", models=["gpt-4o"])
        assert router.deps.channels.get(created.id) is not None  # the writing instance sees it at once
        took = await _eventually(lambda: other.deps.channels.get(created.id) is not None, within=3.0)
        assert took < 3.0
        assert other.deps.channels.get(created.id).keys[0].secret == "sk-shared-key"  # type: ignore[union-attr]

        await router.stub.DisableChannel(
            channels_pb2.DisableChannelRequest(channel_id=created.id, reason="maintenance"), metadata=ADMIN
        )
        await _eventually(lambda: other.deps.channels.get(created.id) is None, within=3.0)
    finally:
        await close_router(other)


async def test_periodic_reload_catches_changes_without_pubsub(router: Router, mr_settings: Settings) -> None:
    engine = create_engine(mr_settings, "model_router")
    deaf = ChannelRegistry(engine, secret_box(mr_settings), None, reload_seconds=0.3)
    await deaf.start()
    try:
        created = await _create(router, "quiet", models=["m1"])
        await _eventually(lambda: deaf.get(created.id) is not None, within=3.0)
        await router.stub.UpdateChannel(
            channels_pb2.UpdateChannelRequest(
                channel_id=created.id, channel=channels_pb2.Channel(priority=4)
            ),
            metadata=ADMIN,
        )
        await _eventually(lambda: deaf.get(created.id).priority == 4, within=3.0)  # type: ignore[union-attr]
    finally:
        await deaf.close()
        await engine.dispose()


async def test_selection_sees_enable_and_disable(router: Router) -> None:
    high = await _create(router, "high", models=["gpt-4o"], priority=10)
    low = await _create(router, "low", models=["gpt-4*"], priority=1)
    pick = lambda exclude=frozenset(): select_channel(  # noqa: E731
        router.deps.channels.index, SelectionRequest(model="gpt-4o", exclude=exclude)
    )
    assert pick().id == high.id  # type: ignore[union-attr]
    assert pick(frozenset({high.id})).id == low.id  # type: ignore[union-attr]
    await router.stub.DisableChannel(channels_pb2.DisableChannelRequest(channel_id=high.id), metadata=ADMIN)
    assert pick().id == low.id  # type: ignore[union-attr]
    enabled = await router.stub.EnableChannel(
        channels_pb2.EnableChannelRequest(channel_id=high.id), metadata=ADMIN
    )
    assert enabled.channel.status == channels_pb2.CHANNEL_STATUS_ENABLED and not enabled.channel.status_reason
    assert pick().id == high.id  # type: ignore[union-attr]


async def test_list_and_get_models_from_enabled_channels(router: Router) -> None:
    await _create(
        router,
        "one",
        models=["gpt-4o", "gpt-4*"],
        model_mapping={"fast": "gpt-4o-mini"},
        abilities=[chat_pb2.ModelAbilities(model="gpt-4o", vision=True, max_context_tokens=128000)],
    )
    vip = await _create(router, "vip-only", models=["secret-model"], groups=["vip"])
    disabled = await _create(
        router, "off", models=["retired"], status=channels_pb2.CHANNEL_STATUS_MANUALLY_DISABLED
    )
    assert disabled.status == channels_pb2.CHANNEL_STATUS_MANUALLY_DISABLED

    listed = await router.stub.ListModels(inference_pb2.ListModelsRequest(), metadata=USER)
    assert listed.object == "list"
    assert [m.id for m in listed.data] == ["fast", "gpt-4o"]
    assert all(m.object == "model" and m.owned_by == "openai" and m.created > 0 for m in listed.data)

    gpt4o = next(m for m in listed.data if m.id == "gpt-4o")
    assert gpt4o.abilities.vision and gpt4o.abilities.max_context_tokens == 128000
    vision_only = await router.stub.ListModels(
        inference_pb2.ListModelsRequest(ability="vision"), metadata=USER
    )
    assert [m.id for m in vision_only.data] == [
        "fast",
        "gpt-4o",
    ]  # "fast" has no entry: unknown counts as able
    got = await router.stub.GetModel(
        inference_pb2.GetModelRequest(model_id="gpt-4o-2024-08-06"), metadata=USER
    )
    assert got.model.id == "gpt-4o-2024-08-06"  # served through the gpt-4* pattern
    for hidden in ("secret-model", "retired", "nothing"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await router.stub.GetModel(inference_pb2.GetModelRequest(model_id=hidden), metadata=USER)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert vip.id


async def test_an_undecryptable_key_is_skipped_not_fatal(router: Router) -> None:
    created = await _create(router, "broken-key", models=["m"])
    async with router.deps.engine.begin() as conn:
        await conn.execute(
            tables.channel_keys.insert().values(
                channel_id=uuid.UUID(created.id),
                key_ciphertext=b"garbage",
                key_fingerprint=b"fp",
                key_hint="bad!",
            )
        )
    await router.deps.channels.reload()
    channel = router.deps.channels.get(created.id)
    assert channel is not None and [k.secret for k in channel.keys] == ["sk-broken-key-key"]
