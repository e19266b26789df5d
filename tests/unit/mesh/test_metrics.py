"""RPC metric families are registered once per registry; the endpoint binds port 0."""

from __future__ import annotations

import urllib.request

from prometheus_client import CollectorRegistry

from mesh.telemetry.metrics import MetricsServer, rpc_metrics


def test_metrics_are_created_once_per_registry() -> None:
    registry = CollectorRegistry()
    assert rpc_metrics(registry) is rpc_metrics(registry)
    assert rpc_metrics(CollectorRegistry()) is not rpc_metrics(registry)


def test_endpoint_on_a_free_port_serves_the_registry() -> None:
    registry = CollectorRegistry()
    metrics = rpc_metrics(registry)
    metrics.requests.labels("chatmesh.identity.v1.IdentityService", "Login", "OK").inc(3)
    metrics.duration.labels("chatmesh.identity.v1.IdentityService", "Login").observe(0.02)
    server = MetricsServer.start("127.0.0.1", 0, registry)
    try:
        assert server.port > 0
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as response:
            text = response.read().decode()
    finally:
        server.close()
    labels = 'code="OK",method="Login",service="chatmesh.identity.v1.IdentityService"'
    assert f"chatmesh_rpc_requests_total{{{labels}}} 3.0" in text
    assert 'chatmesh_rpc_duration_seconds_bucket{le="0.025",method="Login"' in text
    assert "chatmesh_rpc_in_flight" in text
