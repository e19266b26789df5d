"""Agent RPCs: create, get, list, update (field mask, etag), delete, scoped to the caller's tenant.

Anyone who may run turns (``chat:create``) sees the tenant's shared agents and their own
private ones; creating, changing and deleting need ``agents:create|update|delete``, and
another user's private agent is invisible (NOT_FOUND) even to those. Changes apply from
the next turn: the turn runner reads the agent when the turn starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.orchestrator.v1 import agents_pb2
from sqlalchemy.exc import IntegrityError

from mesh.auth import current_principal
from mesh.authz import require
from mesh.errors import Aborted, AlreadyExists, FieldViolation, InvalidArgument, PermissionDenied
from mesh.key_limits import require_model
from mesh.paging import decode_offset, encode_offset, page_size
from orchestrator.agents.messages import (
    VISIBILITY_FROM_PROTO,
    agent_message,
    apply_update,
    draft_from_message,
    draft_from_row,
    etag_of,
    update_paths,
)
from orchestrator.domain.agents import validate_agent
from orchestrator.store import agents as store

if TYPE_CHECKING:
    import uuid

    from orchestrator.deps import OrchestratorDeps

__all__ = ["CREATE_PERMISSION", "DELETE_PERMISSION", "READ_PERMISSION", "UPDATE_PERMISSION", "AgentsApi"]

READ_PERMISSION = "chat:create"
CREATE_PERMISSION = "agents:create"
UPDATE_PERMISSION = "agents:update"
DELETE_PERMISSION = "agents:delete"


def caller() -> tuple[str, str]:
    """(tenant_id, user_id) of the caller; a caller without a tenant has nothing to act on."""
    principal = current_principal()
    if not principal.tenant_id:
        raise PermissionDenied("the caller belongs to no tenant", reason="TENANT_REQUIRED")
    return principal.tenant_id, principal.user_id or principal.subject


def _visible(row: dict[str, Any], user_id: str) -> bool:
    return row["visibility"] == "tenant" or row["owner_user_id"] == user_id


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists("an agent with this name exists", reason="AGENT_NAME_TAKEN", metadata={"name": name})


class AgentsApi:
    """CreateAgent, GetAgent, ListAgents, UpdateAgent, DeleteAgent."""

    deps: OrchestratorDeps

    async def _tool_violations(self, tenant_id: str, names: Sequence[str]) -> list[FieldViolation]:
        if not names:
            return []
        if self.deps.tools is None:
            return [FieldViolation("agent.tools", "tools are not available in this deployment")]
        bad = []
        for i, name in enumerate(names):
            try:
                await self.deps.tools.specs(tenant_id, [name])
            except InvalidArgument:
                bad.append(FieldViolation(f"agent.tools[{i}]", f"no tool named {name!r} (see ListTools)"))
        return bad

    def _validate(self, draft: dict[str, Any], extra: list[FieldViolation]) -> None:
        bad = validate_agent(draft, max_tool_steps_limit=self.deps.config.max_tool_steps_limit) + extra
        if bad:
            raise InvalidArgument("invalid agent", bad)
        # An agent is a stored model choice: a key limited to other models cannot make one (mesh.key_limits).
        require_model(current_principal(), draft["model"])

    async def _visible_row(self, conn: Any, tenant_id: str, user_id: str, agent_id: str) -> dict[str, Any]:
        parsed: uuid.UUID | None = store.parse_agent_id(agent_id)
        row = await store.get_agent(conn, tenant_id, parsed, for_update=True) if parsed else None
        if row is None or not _visible(row, user_id):
            raise store.not_found(agent_id)
        return row

    async def CreateAgent(
        self, request: agents_pb2.CreateAgentRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.CreateAgentResponse:
        await require(CREATE_PERMISSION)
        tenant_id, user_id = caller()
        draft = draft_from_message(request.agent)
        self._validate(draft, await self._tool_violations(tenant_id, draft["tools"]))
        try:
            async with self.deps.engine.begin() as conn:
                row = await store.insert_agent(
                    conn, {**draft, "tenant_id": tenant_id, "owner_user_id": user_id}
                )
        except IntegrityError:
            raise _name_taken(draft["name"]) from None
        return agents_pb2.CreateAgentResponse(agent=agent_message(row))

    async def GetAgent(
        self, request: agents_pb2.GetAgentRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.GetAgentResponse:
        await require(READ_PERMISSION)
        tenant_id, user_id = caller()
        parsed = store.parse_agent_id(request.agent_id)
        async with self.deps.engine.connect() as conn:
            row = await store.get_agent(conn, tenant_id, parsed) if parsed else None
        if row is None or not _visible(row, user_id):
            raise store.not_found(request.agent_id)
        return agents_pb2.GetAgentResponse(agent=agent_message(row))

    async def ListAgents(
        self, request: agents_pb2.ListAgentsRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.ListAgentsResponse:
        await require(READ_PERMISSION)
        tenant_id, user_id = caller()
        size = page_size(request.page_size, 50, 1000)
        offset = decode_offset(request.page_token)
        visibility = VISIBILITY_FROM_PROTO.get(request.visibility)
        if visibility is None:
            raise InvalidArgument("bad visibility", [FieldViolation("visibility", "unknown value")])
        flt = store.AgentFilter(
            tenant_id, user_id, visibility=visibility, name_contains=request.name_contains
        )
        async with self.deps.engine.connect() as conn:
            rows = await store.list_agents(conn, flt, offset=offset, limit=size + 1)
        return agents_pb2.ListAgentsResponse(
            agents=[agent_message(r) for r in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateAgent(
        self, request: agents_pb2.UpdateAgentRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.UpdateAgentResponse:
        await require(UPDATE_PERMISSION)
        tenant_id, user_id = caller()
        paths = update_paths(request.agent, list(request.update_mask.paths))
        tool_bad = (
            await self._tool_violations(tenant_id, list(request.agent.tools)) if "tools" in paths else []
        )
        try:
            async with self.deps.engine.begin() as conn:
                row = await self._visible_row(conn, tenant_id, user_id, request.agent_id)
                if request.agent.etag and request.agent.etag != etag_of(row):
                    raise Aborted("the agent changed since it was read", reason="ETAG_MISMATCH")
                draft = apply_update(draft_from_row(row), request.agent, paths)
                self._validate(draft, tool_bad)
                if draft["visibility"] != row["visibility"] and row["owner_user_id"] != user_id:
                    raise PermissionDenied(
                        "only the owner may change who can use an agent", reason="NOT_OWNER"
                    )
                row = await store.patch_agent(conn, tenant_id, row["id"], draft)
        except IntegrityError:
            raise _name_taken(request.agent.name) from None
        return agents_pb2.UpdateAgentResponse(agent=agent_message(row))

    async def DeleteAgent(
        self, request: agents_pb2.DeleteAgentRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.DeleteAgentResponse:
        await require(DELETE_PERMISSION)
        tenant_id, user_id = caller()
        async with self.deps.engine.begin() as conn:
            row = await self._visible_row(conn, tenant_id, user_id, request.agent_id)
            if request.etag and request.etag != etag_of(row):
                raise Aborted("the agent changed since it was read", reason="ETAG_MISMATCH")
            await store.delete_agent(conn, tenant_id, row["id"])
        return agents_pb2.DeleteAgentResponse()
