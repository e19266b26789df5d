"""The fairness rules: which limits a turn is held to, and how refusals and shedding read."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2

from mesh.errors import ResourceExhausted, to_rpc_status
from orchestrator.config import OrchestratorSettings
from orchestrator.domain.turn_limits import TenantTurnLimits, TurnLimits, over_limit, turn_limits
from orchestrator.generation.limiter import InstanceLimiter
from orchestrator.store.turn_leases import TurnLeases


def _limits(tenant: str, *, background: bool = False, **overrides: TenantTurnLimits) -> TurnLimits:
    return turn_limits(tenant, default_user=4, default_tenant=0, overrides=overrides, background=background)


def test_the_default_configuration_limits_users_not_the_default_tenant() -> None:
    config = OrchestratorSettings()
    assert (config.user_concurrency, config.tenant_concurrency) == (4, 0)
    assert _limits("default") == TurnLimits(user=4, tenant=0)


def test_an_operator_sets_a_tenant_figure_and_keeps_the_other_default() -> None:
    assert _limits("acme", acme=TenantTurnLimits(tenant=32)) == TurnLimits(user=4, tenant=32)
    assert _limits("acme", acme=TenantTurnLimits(user=0)) == TurnLimits(user=0, tenant=0)
    assert _limits("other", acme=TenantTurnLimits(user=9)) == TurnLimits(user=4, tenant=0)


def test_background_turns_are_not_counted_against_users() -> None:
    assert _limits("acme", background=True, acme=TenantTurnLimits(user=1, tenant=1)).unlimited


def test_tenant_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATMESH_ORCHESTRATOR_TENANT_TURN_LIMITS", '{"acme": {"user": 2, "tenant": 10}}')
    config = OrchestratorSettings()
    assert config.tenant_turn_limits["acme"] == TenantTurnLimits(user=2, tenant=10)


def test_a_refusal_carries_retry_info_and_names_the_limit() -> None:
    status = to_rpc_status(over_limit("user", 4, 2.0))
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    details = {d.TypeName(): d for d in status.details}
    retry = error_details_pb2.RetryInfo()
    details["google.rpc.RetryInfo"].Unpack(retry)
    assert retry.retry_delay.seconds == 2
    quota = error_details_pb2.QuotaFailure()
    details["google.rpc.QuotaFailure"].Unpack(quota)
    assert quota.violations[0].subject == "user:concurrent_turns"


async def test_local_leases_count_per_user_and_free_on_release() -> None:
    leases = TurnLeases(None)
    limits = TurnLimits(user=2, tenant=3)
    first, _ = await leases.acquire("g1", "t", "alice", limits)
    await leases.acquire("g2", "t", "alice", limits)
    assert await leases.acquire("g3", "t", "alice", limits) == (None, ("user", 2))
    await leases.acquire("g4", "t", "bob", limits)
    assert await leases.acquire("g5", "t", "carol", limits) == (None, ("tenant", 3))
    assert first is not None
    await leases.release(first)
    lease, refused = await leases.acquire("g3", "t", "alice", limits)
    assert lease is not None and refused is None


async def test_the_instance_sheds_once_running_and_queue_are_full() -> None:
    limiter = InstanceLimiter(1, queue_limit=1, queue_seconds=30, retry_after=3)
    queued = asyncio.Event()
    async with limiter.slot(1):
        waiting = asyncio.create_task(_hold(limiter, queued))
        await queued.wait()
        with pytest.raises(ResourceExhausted) as caught:
            limiter.check()
        assert caught.value.retry_after == 3 and caught.value.reason == "ORCHESTRATOR_OVERLOADED"
    await waiting
    assert limiter.running == 0


async def test_a_turn_waiting_too_long_is_shed() -> None:
    limiter = InstanceLimiter(1, queue_limit=5, queue_seconds=0.05)
    async with limiter.slot(1):
        with pytest.raises(ResourceExhausted):
            async with limiter.slot(1):
                pass
        assert limiter.queue_position(0) == 0
    assert limiter.running == 0


async def _hold(limiter: InstanceLimiter, queued: asyncio.Event) -> None:
    async with limiter.slot(1, on_queued=lambda _: queued.set()):
        pass
