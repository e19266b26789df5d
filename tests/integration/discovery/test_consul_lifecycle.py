"""register → resolve → health failure → removal → deregister, against the test Consul agent.

Real gRPC servers answer the agent's health checks; ServiceClients must follow every change.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import grpc
import httpx
import pytest

from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.discovery import ConsulDiscovery, Endpoint
from tests.integration.discovery.conftest import DEREGISTER_AFTER
from tests.integration.discovery.discovery_support import SERVICE, WHOAMI, ProbeServer, eventually


async def _ids(discovery: ConsulDiscovery) -> set[str]:
    return {endpoint.instance_id for endpoint in await discovery.resolve(SERVICE)}


async def _registered(consul_url: str) -> set[str]:
    async with httpx.AsyncClient() as http:
        entries = (await http.get(f"{consul_url}/v1/health/service/{SERVICE}")).json()
    return {entry["Service"]["ID"] for entry in entries}


async def _check_status(consul_url: str, endpoint: Endpoint) -> str | None:
    async with httpx.AsyncClient() as http:
        checks = (await http.get(f"{consul_url}/v1/agent/checks")).json()
    check = checks.get(f"service:{endpoint.instance_id}")
    return check["Status"] if check else None


async def test_instances_come_and_go_with_their_health(
    consul_settings: Settings, consul_url: str, probe_servers: Callable[[], Awaitable[ProbeServer]]
) -> None:
    discovery = ConsulDiscovery(consul_settings)
    clients = ServiceClients(consul_settings, discovery)
    a, b = await probe_servers(), await probe_servers()
    ida, idb = a.endpoint.instance_id, b.endpoint.instance_id
    seen: list[set[str]] = []

    async def record() -> None:
        async for endpoints in discovery.watch(SERVICE):
            seen.append({endpoint.instance_id for endpoint in endpoints})

    watcher = asyncio.create_task(record())
    whoami = clients.channel(SERVICE).unary_unary(WHOAMI)
    try:
        await discovery.register(a.endpoint)
        await discovery.register(b.endpoint)

        async def both_resolved() -> bool:
            return await _ids(discovery) == {ida, idb}

        await eventually(both_resolved, what="both instances passing")

        async def clients_follow(*servers: ProbeServer) -> bool:
            return set(clients.endpoints(SERVICE)) == {s.endpoint.address for s in servers}

        await eventually(lambda: clients_follow(a, b), what="clients see both instances")
        answers: Counter[bytes] = Counter()

        async def both_answer() -> bool:
            answers[await whoami(b"")] += 1
            return len(answers) == 2

        await eventually(both_answer, what="calls reach both instances")
        spread = Counter([await whoami(b"") for _ in range(20)])
        assert spread[ida.encode()] >= 5 and spread[idb.encode()] >= 5, spread

        # b fails its health check: it leaves resolve, the watch, and the clients' rotation.
        await b.set_serving(False)

        async def only_a() -> bool:
            return await _ids(discovery) == {ida}

        await eventually(only_a, what="b dropped from passing instances")
        await eventually(lambda: _true(bool(seen) and seen[-1] == {ida}), what="watch yields the change")
        assert {ida, idb} in seen
        await eventually(lambda: clients_follow(a), what="clients drop b")
        calls_to_b = b.calls
        assert {await whoami(b"") for _ in range(20)} == {ida.encode()}
        assert b.calls == calls_to_b
        assert await _registered(consul_url) == {ida, idb}, "critical, not yet reaped"

        # b recovers and is used again.
        await b.set_serving(True)
        await eventually(both_resolved, what="b passing again")
        await eventually(lambda: clients_follow(a, b), what="clients take b back")

        # b's process dies: critical, then reaped after DeregisterCriticalServiceAfter.
        await b.server.stop(None)

        async def b_critical() -> bool:
            return await _check_status(consul_url, b.endpoint) == "critical"

        critical_at = await eventually(b_critical, what="b critical after stopping")
        assert await _registered(consul_url) == {ida, idb}

        async def b_reaped() -> bool:
            return await _registered(consul_url) == {ida}

        reaped_at = await eventually(b_reaped, within=DEREGISTER_AFTER + 3, what="b reaped")
        assert reaped_at - critical_at >= DEREGISTER_AFTER - 0.5
        await eventually(lambda: clients_follow(a), what="clients drop the dead b")

        # a deregisters on shutdown: nothing is left, and calls fail fast.
        await discovery.deregister(a.endpoint)
        assert await _registered(consul_url) == set()
        assert await discovery.resolve(SERVICE) == []
        await eventually(lambda: _true(seen[-1] == set()), what="watch yields the empty set")
        await eventually(lambda: _true(clients.endpoints(SERVICE) == ()), what="clients see no instance")
        started = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await whoami(b"")
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() - started < 1.0
        await discovery.deregister(a.endpoint)  # idempotent
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await clients.close()
        await discovery.close()


async def _true(value: bool) -> bool:
    return value
