"""The gateway app against real grpc.health.v1 servers over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from gateway.app import create_app
from mesh.clients import ServiceClients
from mesh.config import SERVICES, load_settings
from mesh.discovery import make_discovery
from mesh.discovery.base import grpc_service_name

NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVING = health_pb2.HealthCheckResponse.SERVING


class LoopbackClients:
    """Every service's health stub points at one test server; stands in for mesh.clients.ServiceClients."""

    def __init__(self, address: str) -> None:
        self.channel = grpc.aio.insecure_channel(address)
        self.asked: list[str] = []

    def health_stub(self, service: str) -> health_pb2_grpc.HealthStub:
        self.asked.append(service)
        return health_pb2_grpc.HealthStub(self.channel)


@pytest.fixture
async def health_server() -> AsyncIterator[tuple[health_aio.HealthServicer, str, grpc.aio.Server]]:
    server = grpc.aio.server()
    servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    for svc in SERVICES:
        await servicer.set(grpc_service_name(svc), SERVING)
    yield servicer, f"127.0.0.1:{port}", server
    await server.stop(None)


@pytest.fixture
async def served(health_server):  # type: ignore[no-untyped-def]
    servicer, address, server = health_server
    clients = LoopbackClients(address)
    app = create_app(load_settings(_env_file=None), clients, readiness_timeout=1.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http, servicer, server, clients
    await clients.channel.close(None)


async def test_healthz_answers_without_asking_any_service(served) -> None:  # type: ignore[no-untyped-def]
    http, _, _, clients = served
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert clients.asked == []


async def test_readyz_is_200_when_every_service_serves(served) -> None:  # type: ignore[no-untyped-def]
    http, _, _, clients = served
    response = await http.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["services"] == dict.fromkeys(SERVICES, "SERVING")
    assert sorted(clients.asked) == sorted(SERVICES)


async def test_readyz_is_503_naming_the_services_that_do_not_serve(served) -> None:  # type: ignore[no-untyped-def]
    http, servicer, _, _ = served
    await servicer.set(grpc_service_name("knowledge"), NOT_SERVING)
    await servicer.set(grpc_service_name("model_router"), NOT_SERVING)
    response = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["not_serving"] == ["knowledge", "model_router"]
    assert body["services"]["knowledge"] == "NOT_SERVING"
    assert body["services"]["identity"] == "SERVING"


async def test_readyz_reports_unreachable_services(served) -> None:  # type: ignore[no-untyped-def]
    http, _, server, _ = served
    await server.stop(None)
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["not_serving"] == list(SERVICES)
    assert set(response.json()["services"].values()) == {"UNREACHABLE"}


async def test_a_service_the_server_does_not_know_is_not_ready(served) -> None:  # type: ignore[no-untyped-def]
    http, servicer, _, _ = served
    await servicer.set(grpc_service_name("analytics"), health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["not_serving"] == ["analytics"]


async def test_metrics_are_prometheus_text_and_count_requests(served) -> None:  # type: ignore[no-untyped-def]
    http, _, _, _ = served
    await http.get("/healthz")
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'chatmesh_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in response.text
    assert "process_cpu_seconds_total" in response.text


async def test_unknown_routes_get_a_json_404(served) -> None:  # type: ignore[no-untyped-def]
    http, _, _, _ = served
    response = await http.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"code": 5, "message": "no route for /v1/nothing-here", "details": []}
    wrong_method = await http.post("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == 12
    assert "GET" in wrong_method.headers["allow"]


class BrokenClients:
    def health_stub(self, service: str) -> health_pb2_grpc.HealthStub:
        raise RuntimeError(f"cannot resolve {service}")


async def test_readyz_is_503_not_500_when_clients_fail() -> None:
    app = create_app(load_settings(_env_file=None), BrokenClients())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["not_serving"] == list(SERVICES)


async def test_shutdown_hooks_run_with_the_lifespan(health_server) -> None:  # type: ignore[no-untyped-def]
    _, address, _ = health_server
    closed: list[str] = []

    async def hook() -> None:
        closed.append("closed")

    clients = LoopbackClients(address)
    app = create_app(load_settings(_env_file=None), clients, on_shutdown=[hook])
    async with app.router.lifespan_context(app):
        assert closed == []
    assert closed == ["closed"]
    await clients.channel.close(None)


async def test_readyz_through_the_real_mesh_clients_and_static_discovery(health_server) -> None:  # type: ignore[no-untyped-def]
    """The wiring `python -m gateway` uses: ServiceClients over static discovery."""
    servicer, address, _ = health_server
    settings = load_settings(_env_file=None, static_addresses=dict.fromkeys(SERVICES, address))
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    app = create_app(settings, clients, on_shutdown=[clients.close, discovery.close])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            await servicer.set(grpc_service_name("orchestrator"), NOT_SERVING)
            not_ready = await http.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json()["not_serving"] == ["orchestrator"]
