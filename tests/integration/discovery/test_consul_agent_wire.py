"""The test Consul agent speaks Consul's HTTP API: shapes, blocking queries, ACLs, errors."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from mesh.config import load_settings
from mesh.discovery import ConsulDiscovery, DiscoveryError, Endpoint
from tests.fakes.consul_agent import running_consul_agent
from tests.integration.discovery.discovery_support import SERVICE, ProbeServer, eventually


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def http(consul_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=consul_url, timeout=10) as client:
        yield client


def _definition(service_id: str, port: int) -> dict[str, object]:
    """Written the way Consul's documentation writes it (PascalCase keys)."""
    return {
        "ID": service_id,
        "Name": "search",
        "Tags": ["primary"],
        "Address": "127.0.0.1",
        "Port": port,
        "Meta": {"Version": "1"},
        "Check": {
            "GRPC": f"127.0.0.1:{port}/search",
            "GRPCUseTLS": False,
            "Interval": "100ms",
            "Timeout": "1s",
            "DeregisterCriticalServiceAfter": "1m",
        },
    }


async def test_a_registered_service_has_consuls_health_shape(http: httpx.AsyncClient) -> None:
    port = _closed_port()
    assert (
        await http.put("/v1/agent/service/register", json=_definition("search-1", port))
    ).status_code == 200
    response = await http.get("/v1/health/service/search")
    assert int(response.headers["X-Consul-Index"]) > 1
    [entry] = response.json()
    assert entry["Node"]["Address"] == "127.0.0.1" and entry["Node"]["Datacenter"] == "dc1"
    service = entry["Service"]
    assert {k: service[k] for k in ("ID", "Service", "Tags", "Address", "Port", "Meta")} == {
        "ID": "search-1",
        "Service": "search",
        "Tags": ["primary"],
        "Address": "127.0.0.1",
        "Port": port,
        "Meta": {"Version": "1"},
    }
    serf, check = entry["Checks"]
    assert (serf["CheckID"], serf["Status"]) == ("serfHealth", "passing")
    assert check["CheckID"] == "service:search-1"
    assert (check["ServiceID"], check["ServiceName"], check["Type"]) == ("search-1", "search", "grpc")
    assert check["Status"] == "critical", "checks start critical"
    assert check["Definition"]["GRPC"] == f"127.0.0.1:{port}/search"
    assert (await http.get("/v1/health/service/search", params={"passing": "1"})).json() == []

    async def probed() -> bool:
        checks = (await http.get("/v1/agent/checks")).json()
        return "failed" in checks["service:search-1"]["Output"]

    await eventually(probed, what="the gRPC check ran against the closed port")
    services = (await http.get("/v1/agent/services")).json()
    assert services["search-1"]["Port"] == port


async def test_snake_case_keys_are_accepted_as_consul_does(http: httpx.AsyncClient) -> None:
    body = {
        "name": "search",
        "id": "search-2",
        "port": 1,
        "checks": [{"grpc": "127.0.0.1:1", "grpc_use_tls": False, "interval": "1s"}],
    }
    assert (await http.put("/v1/agent/service/register", json=body)).status_code == 200
    assert "service:search-2" in (await http.get("/v1/agent/checks")).json()


async def test_bad_requests_get_consuls_errors(http: httpx.AsyncClient) -> None:
    assert (await http.put("/v1/agent/service/register", json={"Port": 1})).status_code == 400
    bad_interval = _definition("x", 1) | {"Check": {"GRPC": "127.0.0.1:1", "Interval": "soon"}}
    assert (await http.put("/v1/agent/service/register", json=bad_interval)).status_code == 400
    assert (await http.put("/v1/agent/service/deregister/nope")).status_code == 404
    assert (await http.get("/v1/health/service/search", params={"index": "x"})).status_code == 400
    assert (
        await http.get("/v1/health/service/search", params={"index": "1", "wait": "5"})
    ).status_code == 400
    assert (await http.get("/v1/agent/service/register")).status_code == 405


async def test_blocking_query_waits_for_a_change(http: httpx.AsyncClient) -> None:
    index = (await http.get("/v1/health/service/search")).headers["X-Consul-Index"]
    started = time.monotonic()
    idle = await http.get("/v1/health/service/search", params={"index": index, "wait": "300ms"})
    assert time.monotonic() - started >= 0.3
    assert idle.headers["X-Consul-Index"] == index

    blocked = asyncio.create_task(
        http.get("/v1/health/service/search", params={"index": index, "wait": "1m"})
    )
    await asyncio.sleep(0.2)
    assert not blocked.done()
    await http.put("/v1/agent/service/register", json=_definition("search-3", _closed_port()))
    woken = await asyncio.wait_for(blocked, 2)
    assert int(woken.headers["X-Consul-Index"]) > int(index)
    assert [e["Service"]["ID"] for e in woken.json()] == ["search-3"]


async def test_an_acl_token_is_required_when_configured() -> None:
    async with running_consul_agent(token="s3cret") as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/v1/agent/services")).status_code == 403
        wrong = await http.get("/v1/agent/services", headers={"X-Consul-Token": "nope"})
        assert wrong.status_code == 403
        assert (await http.get("/v1/agent/services", headers={"X-Consul-Token": "s3cret"})).status_code == 200

        settings = load_settings(discovery="consul", consul_url=url, consul_check_interval_seconds=0.2)
        anonymous = ConsulDiscovery(settings)
        with pytest.raises(DiscoveryError):
            await anonymous.register(Endpoint.of(SERVICE, "127.0.0.1:1"))
        await anonymous.close()
        trusted = ConsulDiscovery(settings.model_copy(update={"consul_token": "s3cret"}))
        await trusted.register(Endpoint.of(SERVICE, "127.0.0.1:1"))
        assert await trusted.resolve(SERVICE) == []
        await trusted.close()


async def test_registration_carries_the_grpc_health_check(
    consul_url: str, http: httpx.AsyncClient, probe_servers: Callable[[], Awaitable[ProbeServer]]
) -> None:
    settings = load_settings(
        discovery="consul",
        consul_url=consul_url,
        consul_check_interval_seconds=0.25,
        consul_deregister_after_seconds=90,
    )
    server = await probe_servers()
    discovery = ConsulDiscovery(settings)
    try:
        await discovery.register(server.endpoint)
        [entry] = (await http.get(f"/v1/health/service/{SERVICE}")).json()
        assert entry["Service"]["ID"] == f"identity-127.0.0.1-{server.port}"
        assert entry["Service"]["Meta"] == {"grpc_service": "chatmesh.identity.v1.IdentityService"}
        definition = entry["Checks"][1]["Definition"]
        assert definition["GRPC"] == f"127.0.0.1:{server.port}/chatmesh.identity.v1.IdentityService"
        assert definition["GRPCUseTLS"] is False
        assert (definition["Interval"], definition["Timeout"]) == ("250ms", "250ms")
        assert definition["DeregisterCriticalServiceAfter"] == "90s"
    finally:
        await discovery.close()


async def test_an_unreachable_agent_fails_resolve_but_never_breaks_a_watch() -> None:
    settings = load_settings(discovery="consul", consul_url=f"http://127.0.0.1:{_closed_port()}")
    discovery = ConsulDiscovery(settings)
    with pytest.raises(DiscoveryError):
        await discovery.resolve(SERVICE)
    pending = asyncio.ensure_future(anext(discovery.watch(SERVICE)))
    done, _ = await asyncio.wait({pending}, timeout=1.0)
    assert not done, "the watch keeps retrying instead of raising"
    pending.cancel()
    await asyncio.gather(pending, return_exceptions=True)
    await discovery.close()


async def test_a_watch_ends_quietly_when_discovery_closes(consul_url: str) -> None:
    discovery = ConsulDiscovery(load_settings(discovery="consul", consul_url=consul_url))
    watch = discovery.watch(SERVICE)
    assert await anext(watch) == []
    pending = asyncio.ensure_future(anext(watch))
    await asyncio.sleep(0.1)
    await discovery.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 5)
