"""A test Consul agent: the HTTP API endpoints chatmesh uses, with Consul's response shapes.

Implemented: ``PUT /v1/agent/service/register`` (gRPC checks), ``PUT
/v1/agent/service/deregister/<id>``, ``GET /v1/health/service/<name>`` (``passing``,
blocking ``index`` + ``wait``, ``X-Consul-Index``), ``GET /v1/agent/services`` and
``GET /v1/agent/checks``, optional ACL token. Checks really run on their interval, and a
service critical for longer than ``DeregisterCriticalServiceAfter`` is reaped (exactly at
that age; a real agent rounds up to its 30 s reaper period and a 1 min minimum).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.consul_checks import CRITICAL, PASSING, WARNING, grpc_check, parse_duration
from tests.fakes.consul_wire import HttpServer, Request, Response

MAX_WAIT_SECONDS = 600.0
DEFAULT_WAIT_SECONDS = 300.0
DEFAULT_CHECK_TIMEOUT_SECONDS = 10.0


@dataclass
class Check:
    check_id: str
    name: str
    service_id: str
    service_name: str
    grpc: str
    interval: float
    timeout: float
    deregister_after: float | None
    definition: dict[str, Any]
    status: str = CRITICAL
    output: str = ""
    critical_since: float | None = None
    index: int = 0


@dataclass
class Service:
    id: str
    name: str
    address: str
    port: int
    tags: list[str]
    meta: dict[str, str]
    checks: list[Check]
    index: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _keys(payload: Any, what: str) -> dict[str, Any]:
    """Consul decodes keys case-insensitively and accepts snake_case aliases (``grpc_use_tls``)."""
    if not isinstance(payload, dict):
        raise ValueError(f"Request decode failed: {what} must be an object")
    return {key.replace("_", "").lower(): value for key, value in payload.items()}


class FakeConsulAgent:
    node_name = "chatmesh-test-agent"
    datacenter = "dc1"

    def __init__(self, *, token: str | None = None, node_address: str = "127.0.0.1") -> None:
        self._token = token
        self._node_address = node_address
        self._node_id = str(uuid.uuid4())
        self._http = HttpServer(self.handle)
        self._index = 1
        self._service_index: dict[str, int] = {}
        self._changed = asyncio.Event()
        self._check_tasks: set[asyncio.Task[None]] = set()
        self.services: dict[str, Service] = {}
        self.url = ""

    async def start(self) -> str:
        self.url = await self._http.start()
        return self.url

    async def stop(self) -> None:
        for service_id in list(self.services):
            self._remove(service_id)
        await asyncio.gather(*self._check_tasks, return_exceptions=True)
        await self._http.stop()

    async def handle(self, request: Request) -> Response:
        denied = self._check_token(request)
        if denied is not None:
            return denied
        path, method = request.path, request.method
        if path == "/v1/agent/service/register":
            return self._register(request) if method == "PUT" else _not_allowed(method)
        if path.startswith("/v1/agent/service/deregister/"):
            service_id = path.removeprefix("/v1/agent/service/deregister/")
            return self._deregister(service_id) if method == "PUT" else _not_allowed(method)
        if path.startswith("/v1/health/service/"):
            name = path.removeprefix("/v1/health/service/")
            return await self._health_service(name, request) if method == "GET" else _not_allowed(method)
        if path == "/v1/agent/services":
            return Response(body={s.id: self._agent_service(s) for s in self.services.values()})
        if path == "/v1/agent/checks":
            return Response(
                body={c.check_id: self._check_json(c) for s in self.services.values() for c in s.checks}
            )
        return Response.text(404, "404 page not found")

    def _check_token(self, request: Request) -> Response | None:
        if self._token is None:
            return None
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        given = request.headers.get("x-consul-token") or bearer or request.query.get("token")
        if not given:
            return Response.text(403, "Permission denied: anonymous token lacks permission")
        if given != self._token:
            return Response.text(403, "ACL not found")
        return None

    def _register(self, request: Request) -> Response:
        try:
            body = _keys(json.loads(request.body or b"null"), "service definition")
        except ValueError as exc:
            return Response.text(400, f"Request decode failed: {exc}")
        name = body.get("name")
        if not name:
            return Response.text(400, "Missing service name")
        service_id = body.get("id") or name
        raw_checks = list(body.get("checks") or []) + ([body["check"]] if body.get("check") else [])
        checks = [
            self._parse_check(_keys(raw, "check"), service_id, name, n, len(raw_checks))
            for n, raw in enumerate(raw_checks, start=1)
        ]
        if service_id in self.services:
            self._remove(service_id, bump=False)
        service = Service(
            id=service_id,
            name=name,
            address=body.get("address") or "",
            port=int(body.get("port") or 0),
            tags=list(body.get("tags") or []),
            meta=dict(body.get("meta") or {}),
            checks=checks,
        )
        self.services[service_id] = service
        service.index = self._bump(name)
        for check in checks:
            check.index = service.index
            if check.status == CRITICAL:
                check.critical_since = time.monotonic()
            task = asyncio.create_task(self._run_check(service, check))
            self._check_tasks.add(task)
            task.add_done_callback(self._check_tasks.discard)
            service.tasks.append(task)
        return Response()

    def _parse_check(self, raw: dict[str, Any], service_id: str, name: str, n: int, total: int) -> Check:
        if not raw.get("grpc"):
            raise ValueError("this test agent implements gRPC checks only (missing GRPC)")
        if raw.get("grpcusetls"):
            raise ValueError("this test agent does not implement TLS gRPC checks")
        if "interval" not in raw:
            raise ValueError("Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks")
        interval = parse_duration(raw["interval"], "Interval")
        if interval <= 0:
            raise ValueError("Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks")
        timeout = (
            parse_duration(raw["timeout"], "Timeout") if raw.get("timeout") else DEFAULT_CHECK_TIMEOUT_SECONDS
        )
        dereg_raw = raw.get("deregistercriticalserviceafter")
        status = str(raw.get("status") or CRITICAL)
        if status not in (PASSING, WARNING, CRITICAL):
            raise ValueError(f"Invalid check status: {status!r}")
        definition = {
            "GRPC": raw["grpc"],
            "GRPCUseTLS": False,
            "Interval": str(raw["interval"]),
            "Timeout": str(raw.get("timeout") or "10s"),
            "DeregisterCriticalServiceAfter": str(dereg_raw or "0s"),
        }
        default_id = f"service:{service_id}" if total == 1 else f"service:{service_id}:{n}"
        return Check(
            check_id=raw.get("checkid") or raw.get("id") or default_id,
            name=raw.get("name") or f"Service '{name}' check",
            service_id=service_id,
            service_name=name,
            grpc=raw["grpc"],
            interval=interval,
            timeout=timeout,
            deregister_after=parse_duration(dereg_raw, "DeregisterCriticalServiceAfter")
            if dereg_raw
            else None,
            definition=definition,
            status=status,
        )

    def _deregister(self, service_id: str) -> Response:
        if service_id not in self.services:
            return Response.text(
                404,
                f'Unknown service ID "{service_id}". '
                "Ensure that the service ID is passed, not the service name.",
            )
        self._remove(service_id)
        return Response()

    def _remove(self, service_id: str, *, bump: bool = True) -> None:
        service = self.services.pop(service_id)
        current = asyncio.current_task()
        for task in service.tasks:
            if task is not current:
                task.cancel()
        if bump:
            self._bump(service.name)

    def _bump(self, service_name: str) -> int:
        """Advance the raft-like index and wake every blocking query."""
        self._index += 1
        self._service_index[service_name] = self._index
        self._changed.set()
        self._changed = asyncio.Event()
        return self._index

    async def _run_check(self, service: Service, check: Check) -> None:
        """Consul staggers the first run randomly within one interval, then repeats on the interval."""
        await asyncio.sleep(random.uniform(0, check.interval))
        while self.services.get(service.id) is service:
            status, output = await grpc_check(check.grpc, check.timeout)
            if self.services.get(service.id) is not service:
                return
            check.output = output
            now = time.monotonic()
            if status != check.status:
                check.status = status
                check.critical_since = now if status == CRITICAL else None
                check.index = self._bump(service.name)
            if (
                check.deregister_after is not None
                and check.critical_since is not None
                and now - check.critical_since > check.deregister_after
            ):
                self._remove(service.id)
                return
            await asyncio.sleep(check.interval)

    async def _health_service(self, name: str, request: Request) -> Response:
        index_text = request.query.get("index")
        if index_text is not None:
            try:
                wanted = int(index_text)
            except ValueError:
                return Response.text(400, "Invalid index")
            wait = DEFAULT_WAIT_SECONDS
            if "wait" in request.query:
                wait = min(parse_duration(request.query["wait"], "wait"), MAX_WAIT_SECONDS)
            await self._block(name, wanted, wait + random.uniform(0, wait / 16))
        passing = _flag(request.query, "passing")
        entries = [
            self._health_entry(s)
            for s in sorted(self.services.values(), key=lambda s: s.id)
            if s.name == name and (not passing or all(c.status == PASSING for c in s.checks))
        ]
        headers = {
            "X-Consul-Index": str(self._current_index(name)),
            "X-Consul-Knownleader": "true",
            "X-Consul-Lastcontact": "0",
        }
        return Response(body=entries, headers=headers)

    def _current_index(self, name: str) -> int:
        return max(self._service_index.get(name, 0), 1)

    async def _block(self, name: str, wanted: int, wait: float) -> None:
        deadline = time.monotonic() + wait
        while self._current_index(name) <= wanted:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return

    def _node_json(self) -> dict[str, Any]:
        return {
            "ID": self._node_id,
            "Node": self.node_name,
            "Address": self._node_address,
            "Datacenter": self.datacenter,
            "TaggedAddresses": {"lan": self._node_address, "wan": self._node_address},
            "Meta": {"consul-network-segment": ""},
            "CreateIndex": 1,
            "ModifyIndex": 1,
        }

    def _agent_service(self, service: Service) -> dict[str, Any]:
        return {
            "ID": service.id,
            "Service": service.name,
            "Tags": service.tags,
            "Address": service.address,
            "Meta": service.meta,
            "Port": service.port,
            "Weights": {"Passing": 1, "Warning": 1},
            "EnableTagOverride": False,
            "Datacenter": self.datacenter,
        }

    def _check_json(self, check: Check) -> dict[str, Any]:
        service = self.services.get(check.service_id)
        return {
            "Node": self.node_name,
            "CheckID": check.check_id,
            "Name": check.name,
            "Status": check.status,
            "Notes": "",
            "Output": check.output,
            "ServiceID": check.service_id,
            "ServiceName": check.service_name,
            "ServiceTags": service.tags if service else [],
            "Type": "grpc",
            "Interval": check.definition["Interval"],
            "Timeout": check.definition["Timeout"],
            "ExposedPort": 0,
            "Definition": check.definition,
            "CreateIndex": service.index if service else check.index,
            "ModifyIndex": check.index,
        }

    def _health_entry(self, service: Service) -> dict[str, Any]:
        serf = {
            "Node": self.node_name,
            "CheckID": "serfHealth",
            "Name": "Serf Health Status",
            "Status": PASSING,
            "Notes": "",
            "Output": "Agent alive and reachable",
            "ServiceID": "",
            "ServiceName": "",
            "ServiceTags": [],
            "Type": "",
            "Definition": {},
            "CreateIndex": 1,
            "ModifyIndex": 1,
        }
        service_json = self._agent_service(service) | {
            "CreateIndex": service.index,
            "ModifyIndex": service.index,
        }
        service_json.pop("Datacenter")
        return {
            "Node": self._node_json(),
            "Service": service_json,
            "Checks": [serf, *(self._check_json(c) for c in service.checks)],
        }


def _flag(query: dict[str, str], name: str) -> bool:
    """Consul treats a bare ``?passing`` as true and otherwise parses the value as a bool."""
    if name not in query:
        return False
    value = query[name].lower()
    return value in ("", "1", "t", "true")


def _not_allowed(method: str) -> Response:
    return Response.text(405, f"method {method} not allowed")


@asynccontextmanager
async def running_consul_agent(*, token: str | None = None) -> AsyncIterator[str]:
    """Run a test agent on a free loopback port; yields its base URL (``http://127.0.0.1:<port>``)."""
    agent = FakeConsulAgent(token=token)
    url = await agent.start()
    try:
        yield url
    finally:
        await agent.stop()
