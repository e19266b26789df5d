"""A running orchestrator with orch-tools' dependencies and stand-in auth, for the tools and agents tests.

Tokens map to principals in two tenants; the stand-in authorizer plays identity's
Check: super_admin holds everything, a developer holds agents:* and chat:create, a
user only chat:create. Fixtures (imported by the conftest of each test folder):
``ot_settings`` (a migrated database per module) and ``orchestrator`` (per test, with
the agents and MCP tables emptied).
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from chatmesh.orchestrator.v1 import orchestrator_pb2_grpc
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh import authz
from mesh.auth import Principal
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.db import create_engine, session_factory
from mesh.errors import Unauthenticated
from mesh.infra import Infra
from mesh.migrate import migrate
from mesh.server import RunningServer, start_server
from orchestrator import api
from orchestrator.agents.lookup import AgentStore
from orchestrator.assembly import build_tool_registry
from orchestrator.config import OrchestratorSettings
from orchestrator.deps import OrchestratorDeps
from orchestrator.store.mcp_servers import mcp_servers
from orchestrator.store.tables import agents
from orchestrator.tools.registry import ToolRegistry
from tests.fakes.mcp_server import STDIO_SCRIPT

ADMIN = [("authorization", "Bearer admin")]
ALICE = [("authorization", "Bearer alice")]
BOB = [("authorization", "Bearer bob")]
CAROL = [("authorization", "Bearer carol")]
OTHER_ADMIN = [("authorization", "Bearer other-admin")]

_PRINCIPALS = {
    "admin": Principal(kind="user", subject="admin", tenant_id="t1", roles=frozenset({"super_admin"})),
    "alice": Principal(kind="user", subject="alice", tenant_id="t1", roles=frozenset({"developer"})),
    "bob": Principal(kind="user", subject="bob", tenant_id="t1", roles=frozenset({"developer"})),
    "carol": Principal(kind="user", subject="carol", tenant_id="t1", roles=frozenset({"user"})),
    "other-admin": Principal(kind="user", subject="eve", tenant_id="t2", roles=frozenset({"super_admin"})),
}


class StandInVerifier:
    async def verify(self, token: str) -> Principal:
        principal = _PRINCIPALS.get(token)
        if principal is None:
            raise Unauthenticated("unknown token", reason="TOKEN_INVALID")
        return principal


class RoleCheck:
    async def check(self, principal: Principal, permission: str) -> bool:
        if "super_admin" in principal.roles:
            return True
        if permission == "chat:create":
            return True
        return "developer" in principal.roles and permission.startswith("agents:")


def tools_config(**overrides: Any) -> OrchestratorSettings:
    """Stdio may run this Python on the fake MCP script (or a missing one); HTTP MCP may reach loopback."""
    values: dict[str, Any] = {
        "mcp_stdio_commands": [sys.executable],
        "mcp_stdio_args": {sys.executable: [re.escape(STDIO_SCRIPT), r"/nonexistent/[a-z]+\.py"]},
        "mcp_private_hosts": ["127.0.0.1"],
        "mcp_list_ttl_seconds": 30.0,
    }
    return OrchestratorSettings(**(values | overrides))


@dataclass
class Orchestrator:
    deps: OrchestratorDeps
    server: RunningServer
    channel: grpc.aio.Channel
    stub: Any

    @property
    def registry(self) -> ToolRegistry:
        assert isinstance(self.deps.tools, ToolRegistry)
        return self.deps.tools

    @property
    def engine(self) -> AsyncEngine:
        return self.deps.engine


async def open_orchestrator(settings: Settings, config: OrchestratorSettings) -> Orchestrator:
    engine = create_engine(settings, "orchestrator")
    deps = OrchestratorDeps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=None,
        clients=None,
        config=config,
        tools=build_tool_registry(settings, config, engine, None),
        agents=AgentStore(engine),
    )
    server = await start_server(
        "orchestrator", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=StandInVerifier()
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    return Orchestrator(deps, server, channel, orchestrator_pb2_grpc.OrchestratorServiceStub(channel))


async def close_orchestrator(running: Orchestrator) -> None:
    await running.channel.close(None)
    await running.server.stop()
    await running.deps.engine.dispose()


@pytest.fixture(scope="module")
def ot_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_ot_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ot_settings(
    ot_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("ot") / "data", ot_database, infra.redis_url)
    await migrate(settings, ["orchestrator"])
    return settings


@pytest.fixture
def ot_config() -> OrchestratorSettings:
    return tools_config()


@pytest_asyncio.fixture(loop_scope="session")
async def orchestrator(ot_settings: Settings, ot_config: OrchestratorSettings) -> AsyncIterator[Orchestrator]:
    running = await open_orchestrator(ot_settings, ot_config)
    async with running.engine.begin() as conn:
        await conn.execute(delete(agents))
        await conn.execute(delete(mcp_servers))
    authz.install(Authorizer(RoleCheck(), ttl=0.0))
    try:
        yield running
    finally:
        authz.install(None)
        await close_orchestrator(running)
