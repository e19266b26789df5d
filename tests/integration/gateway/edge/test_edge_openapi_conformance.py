"""/openapi.json against the running gateway: valid OpenAPI, and schemathesis finds nothing.

The gateway (gw-core's create_app, with the edge routes and policies) serves the real
NotificationService contract, backed by a small in-memory servicer over real gRPC. Schemathesis
generates requests from the document and checks every answer: no 5xx, statuses, content types,
headers and bodies as documented (SSE events included), credentials enforced, unsupported methods
refused. Two of its checks are left out on purpose: ``positive_data_acceptance`` (a schema-valid
request may still break a business rule, e.g. a negative page size) and
``negative_data_rejection`` (proto3 JSON parsing is deliberately lenient: null for any field,
enum numbers, integers as strings; the document describes the canonical form).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest_asyncio
import uvicorn
from chatmesh.notification.v1 import notification_pb2, notification_pb2_grpc
from edge_fake_notifications import FakeNotificationService
from openapi_spec_validator import validate

from gateway.app import create_app
from gateway.edge_auth import EdgeAuthenticator
from mesh.auth import Principal
from mesh.clients import ServiceClients
from mesh.clients.registry import service_descriptor
from mesh.config import load_settings
from mesh.discovery import make_discovery
from mesh.errors import Unauthenticated
from mesh.server import ServiceBinding, start_server

SERVICE = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name
TOKEN = "conformance-token"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SKIPPED_CHECKS = (
    "positive_data_acceptance,negative_data_rejection,use_after_free,ensure_resource_availability"
)
# Admin RPCs the fake does not implement.
NOT_FAKED = "Template|Send|Batch|Stats"
MAX_EXAMPLES = 20


class TokenVerifier:
    async def verify(self, token: str) -> Principal:
        if token != TOKEN:
            raise Unauthenticated("unknown token")
        return Principal(kind="user", subject="u1", tenant_id="t1")


class QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def gateway_url() -> AsyncIterator[str]:
    binding = ServiceBinding(
        SERVICE, notification_pb2_grpc.add_NotificationServiceServicer_to_server, FakeNotificationService()
    )
    grpc_server = await start_server(
        "notification", [binding], load_settings(_env_file=None), port=0, metrics_port=-1
    )
    settings = load_settings(
        _env_file=None,
        static_addresses={"notification": f"127.0.0.1:{grpc_server.port}"},
        log_level="WARNING",
    )
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    descriptor = service_descriptor("notification")
    assert descriptor is not None
    app = create_app(
        settings,
        clients,
        services=[("notification", descriptor)],
        authenticator=EdgeAuthenticator(TokenVerifier(), clients),
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on")
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    await task
    await clients.close()
    await discovery.close()
    await grpc_server.stop(0)


async def test_the_served_document_is_valid_openapi(gateway_url: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{gateway_url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    validate(document)
    assert "/v1/notifications/{notification_id}" in document["paths"]


async def test_schemathesis_finds_no_failure(gateway_url: str, tmp_path: Path) -> None:
    command = [
        str(SCHEMATHESIS), "run", f"{gateway_url}/openapi.json",
        "--include-tag", "NotificationService", "--exclude-operation-id-regex", NOT_FAKED,
        "--checks", "all", "--exclude-checks", SKIPPED_CHECKS,
        "-H", f"Authorization: Bearer {TOKEN}",
        "--max-examples", str(MAX_EXAMPLES), "--seed", "20251125", "--workers", "1",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path
    )
    output, _ = await asyncio.wait_for(process.communicate(), 240)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
    assert "No issues found" in text
    selected = re.search(r"Selected: (\d+)/", text)
    tested = re.search(r"Tested: (\d+)", text)
    assert selected and tested and int(tested.group(1)) == int(selected.group(1)) > 0, text[-2000:]
