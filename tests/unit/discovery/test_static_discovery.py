import asyncio

import pytest

from mesh.config import load_settings
from mesh.discovery import (
    ConsulDiscovery,
    Discovery,
    Endpoint,
    StaticDiscovery,
    grpc_service_name,
    join_address,
    make_discovery,
    split_address,
)


async def test_resolve_uses_the_settings_address() -> None:
    discovery = StaticDiscovery(load_settings(host="127.0.0.2", identity_port=6001))
    assert await discovery.resolve("identity") == [
        Endpoint(service="identity", address="127.0.0.2:6001", instance_id="identity-127.0.0.2-6001")
    ]


async def test_resolve_prefers_an_explicit_static_address() -> None:
    settings = load_settings(static_addresses={"knowledge": "10.1.2.3:7000"})
    [endpoint] = await StaticDiscovery(settings).resolve("knowledge")
    assert endpoint.address == "10.1.2.3:7000"


async def test_resolve_rejects_an_unknown_service() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        await StaticDiscovery(load_settings()).resolve("billing")


async def test_register_and_deregister_change_nothing() -> None:
    discovery = StaticDiscovery(load_settings())
    other = Endpoint.of("identity", "10.9.9.9:1")
    await discovery.register(other)
    await discovery.deregister(other)
    assert [e.address for e in await discovery.resolve("identity")] == ["127.0.0.1:50051"]
    await discovery.close()


async def test_watch_yields_once_then_waits_until_cancelled() -> None:
    watch = StaticDiscovery(load_settings()).watch("analytics")
    first = await anext(watch)
    assert [e.address for e in first] == ["127.0.0.1:50056"]
    pending = asyncio.ensure_future(anext(watch))
    done, _ = await asyncio.wait({pending}, timeout=0.2)
    assert not done
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending


def test_make_discovery_picks_the_configured_backend() -> None:
    assert isinstance(make_discovery(load_settings()), StaticDiscovery)
    consul = make_discovery(load_settings(discovery="consul"))
    assert isinstance(consul, ConsulDiscovery)
    assert isinstance(consul, Discovery)


def test_endpoint_ids_follow_the_mesh_scheme() -> None:
    assert Endpoint.of("orchestrator", "10.0.0.7:50054").instance_id == "orchestrator-10.0.0.7-50054"
    v6 = Endpoint.of("orchestrator", "[::1]:50054")
    assert v6.instance_id == "orchestrator-__1-50054"
    assert (v6.host, v6.port) == ("::1", 50054)


def test_addresses_split_and_join() -> None:
    assert split_address("[fe80::1]:80") == ("fe80::1", 80)
    assert join_address("fe80::1", 80) == "[fe80::1]:80"
    assert join_address("svc.local", 80) == "svc.local:80"
    with pytest.raises(ValueError):
        split_address("no-port")


def test_grpc_service_names_follow_the_contracts() -> None:
    assert grpc_service_name("identity") == "chatmesh.identity.v1.IdentityService"
    assert grpc_service_name("model_router") == "chatmesh.model_router.v1.ModelRouterService"
