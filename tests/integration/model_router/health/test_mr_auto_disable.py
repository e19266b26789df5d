"""Against Postgres: a dead channel is auto-disabled and comes back when its upstream recovers;
a channel without a usable key is auto-disabled; a manual disable always wins; the history is kept."""

from __future__ import annotations

import asyncio

from tests.fakes.llm_upstream import Failure, FakeLLMUpstream
from tests.integration.model_router.harness import ADMIN, Router
from tests.integration.model_router.health.mr_health_support import (
    S,
    create,
    drive_into_auto_disable,
    events,
    get,
    in_registry,
    serve_one,
    status_is,
    until,
)


async def test_dead_channel_is_auto_disabled_and_recovers_when_the_upstream_does(
    router: Router, upstream: FakeLLMUpstream, backup: FakeLLMUpstream
) -> None:
    upstream.always = Failure(status=500)
    dead = await create(router, "dead", upstream, priority=5)
    await create(router, "alive", backup, priority=0)

    await drive_into_auto_disable(router, dead)
    disabled = await get(router, dead.id)
    assert "circuit open" in disabled.status_reason
    assert router.deps.channels.get(dead.id) is None
    history = await events(router, dead.id)
    assert any(
        e.from_circuit_state == S.CIRCUIT_STATE_CLOSED
        and e.to_circuit_state == S.CIRCUIT_STATE_OPEN
        and e.source == S.HEALTH_EVENT_SOURCE_TRAFFIC
        and e.http_status == 500
        for e in history
    )
    assert any(
        e.from_status == S.CHANNEL_STATUS_ENABLED
        and e.to_status == S.CHANNEL_STATUS_AUTO_DISABLED
        and e.source == S.HEALTH_EVENT_SOURCE_TRAFFIC
        for e in history
    )
    assert await serve_one(router) == "alive"

    upstream.always = None
    await until(status_is(router, dead.id, S.CHANNEL_STATUS_ENABLED), "auto-recovery")
    recovered = await get(router, dead.id)
    assert recovered.status_reason == "" and recovered.HasField("last_test_time")
    newest = (await events(router, dead.id))[0]
    assert (newest.from_status, newest.to_status, newest.source) == (
        S.CHANNEL_STATUS_AUTO_DISABLED,
        S.CHANNEL_STATUS_ENABLED,
        S.HEALTH_EVENT_SOURCE_PROBE,
    )
    await until(lambda: in_registry(router, dead.id), "the registry to route to it again")
    assert await serve_one(router) == "dead"


async def test_a_manual_disable_is_never_undone_by_recovery(
    router: Router, upstream: FakeLLMUpstream, backup: FakeLLMUpstream
) -> None:
    upstream.always = Failure(status=503)
    dead = await create(router, "dead", upstream, priority=5)
    await create(router, "alive", backup, priority=0)
    await drive_into_auto_disable(router, dead)

    response = await router.stub.DisableChannel(
        S.DisableChannelRequest(channel_id=dead.id, reason="maintenance"), metadata=ADMIN
    )
    assert response.channel.status == S.CHANNEL_STATUS_MANUALLY_DISABLED
    manual = (await events(router, dead.id))[0]
    assert (manual.source, manual.actor_user_id, manual.reason) == (
        S.HEALTH_EVENT_SOURCE_MANUAL,
        "admin",
        "maintenance",
    )

    upstream.always = None
    seen = len(upstream.requests)
    await asyncio.sleep(1.5)  # several probe intervals
    assert (await get(router, dead.id)).status == S.CHANNEL_STATUS_MANUALLY_DISABLED
    # Not probed any more (one probe already under way when the operator acted may still land).
    assert len(upstream.requests) <= seen + 1

    enabled = await router.stub.EnableChannel(S.EnableChannelRequest(channel_id=dead.id), metadata=ADMIN)
    assert enabled.channel.status == S.CHANNEL_STATUS_ENABLED
    assert enabled.channel.circuit_state == S.CIRCUIT_STATE_CLOSED
    assert await serve_one(router) == "dead"


async def test_a_channel_without_a_usable_key_is_auto_disabled_and_recovers_with_one(
    router: Router, upstream: FakeLLMUpstream, backup: FakeLLMUpstream
) -> None:
    upstream.valid_keys = frozenset({"sk-the-right-key"})
    keyless = await create(router, "keyless", upstream, priority=5)
    await create(router, "alive", backup, priority=0)

    await drive_into_auto_disable(router, keyless)
    disabled = await get(router, keyless.id)
    assert disabled.status_reason.startswith("no usable key") and "http_401" in disabled.status_reason
    assert (await events(router, keyless.id))[0].source == S.HEALTH_EVENT_SOURCE_KEYS

    upstream.valid_keys = None  # the provider accepts the key again (e.g. the account was topped up)
    await until(status_is(router, keyless.id, S.CHANNEL_STATUS_ENABLED), "recovery after the key cool-down")
