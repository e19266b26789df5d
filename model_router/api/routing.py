"""Routing rule admin RPCs: create, get, list, update (field mask, etag), delete.

Admin-only, with the channel permissions (``channels:read`` / ``channels:update``): a rule
decides which channels a model's traffic reaches, so it is channel administration. Every
committed change reloads this instance's rules and announces it to the others
(``model_router.routing.cache``); without a ``deps.routing`` cache here, the announcement
alone still reaches the instances that have one.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.model_router.v1 import routing_pb2
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.authz import require
from mesh.errors import Aborted, AlreadyExists, FieldViolation, InvalidArgument, NotFound
from mesh.invalidation import publish
from mesh.paging import decode_offset, encode_offset, page_size
from model_router.domain.routing_rules import RuleSpec, validate_rule
from model_router.routing.messages import apply_update, etag_of, rule_message, spec_from_message, update_paths
from model_router.store import routing_rules as rule_store
from model_router.store.routing_rules import RULES_CHANGED

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["RoutingApi"]

READ_PERMISSION = "channels:read"
UPDATE_PERMISSION = "channels:update"


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(
            "bad routing_rule_id", [FieldViolation("routing_rule_id", "not a valid id")]
        ) from None


def _checked(spec: RuleSpec) -> RuleSpec:
    bad = validate_rule(spec)
    if bad:
        raise InvalidArgument("invalid routing rule", bad)
    return spec


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists(
        "a routing rule with this name exists", reason="ROUTING_RULE_NAME_TAKEN", metadata={"name": name}
    )


def _message(row: dict[str, Any]) -> routing_pb2.RoutingRule:
    return rule_message(row, rule_store.spec_from_row(row))


class RoutingApi:
    deps: ModelRouterDeps

    async def _locked_rule(self, conn: AsyncConnection, rule_id: uuid.UUID) -> dict[str, Any]:
        row = await rule_store.get_rule(conn, rule_id, for_update=True)
        if row is None:
            raise NotFound(
                "routing rule not found",
                reason="ROUTING_RULE_NOT_FOUND",
                metadata={"routing_rule_id": str(rule_id)},
            )
        return row

    async def _rules_changed(self) -> None:
        if self.deps.routing is not None:
            await self.deps.routing.changed()
        else:
            await publish(self.deps.redis, RULES_CHANGED, "changed")

    async def CreateRoutingRule(
        self, request: routing_pb2.CreateRoutingRuleRequest, context: grpc.aio.ServicerContext
    ) -> routing_pb2.CreateRoutingRuleResponse:
        await require(UPDATE_PERMISSION)
        spec = _checked(spec_from_message(request.routing_rule))
        try:
            async with self.deps.engine.begin() as conn:
                row = await rule_store.create_rule(conn, rule_store.rule_values(spec))
        except IntegrityError:
            raise _name_taken(spec.name) from None
        await self._rules_changed()
        return routing_pb2.CreateRoutingRuleResponse(routing_rule=_message(row))

    async def GetRoutingRule(
        self, request: routing_pb2.GetRoutingRuleRequest, context: grpc.aio.ServicerContext
    ) -> routing_pb2.GetRoutingRuleResponse:
        await require(READ_PERMISSION)
        rule_id = _uuid(request.routing_rule_id)
        async with self.deps.engine.connect() as conn:
            row = await rule_store.get_rule(conn, rule_id)
        if row is None:
            raise NotFound(
                "routing rule not found",
                reason="ROUTING_RULE_NOT_FOUND",
                metadata={"routing_rule_id": str(rule_id)},
            )
        return routing_pb2.GetRoutingRuleResponse(routing_rule=_message(row))

    async def ListRoutingRules(
        self, request: routing_pb2.ListRoutingRulesRequest, context: grpc.aio.ServicerContext
    ) -> routing_pb2.ListRoutingRulesResponse:
        await require(READ_PERMISSION)
        size = page_size(request.page_size, 50, 1000)
        offset = decode_offset(request.page_token)
        async with self.deps.engine.connect() as conn:
            rows = await rule_store.list_rules(
                conn, model_alias=request.model_alias, offset=offset, limit=size + 1
            )
        page = rows[:size]
        return routing_pb2.ListRoutingRulesResponse(
            routing_rules=[_message(r) for r in page],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateRoutingRule(
        self, request: routing_pb2.UpdateRoutingRuleRequest, context: grpc.aio.ServicerContext
    ) -> routing_pb2.UpdateRoutingRuleResponse:
        await require(UPDATE_PERMISSION)
        rule_id = _uuid(request.routing_rule_id)
        paths = update_paths(request.routing_rule, list(request.update_mask.paths))
        try:
            async with self.deps.engine.begin() as conn:
                row = await self._locked_rule(conn, rule_id)
                if request.routing_rule.etag and request.routing_rule.etag != etag_of(row):
                    raise Aborted("the routing rule changed since it was read", reason="ETAG_MISMATCH")
                spec = _checked(apply_update(rule_store.spec_from_row(row), request.routing_rule, paths))
                updated = await rule_store.update_rule(conn, rule_id, rule_store.rule_values(spec))
        except IntegrityError:
            raise _name_taken(request.routing_rule.name) from None
        await self._rules_changed()
        return routing_pb2.UpdateRoutingRuleResponse(routing_rule=_message(updated))

    async def DeleteRoutingRule(
        self, request: routing_pb2.DeleteRoutingRuleRequest, context: grpc.aio.ServicerContext
    ) -> routing_pb2.DeleteRoutingRuleResponse:
        await require(UPDATE_PERMISSION)
        rule_id = _uuid(request.routing_rule_id)
        async with self.deps.engine.begin() as conn:
            await self._locked_rule(conn, rule_id)
            await rule_store.delete_rule(conn, rule_id)
        await self._rules_changed()
        return routing_pb2.DeleteRoutingRuleResponse()
