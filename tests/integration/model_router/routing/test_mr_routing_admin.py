"""Routing rule admin RPCs over gRPC, and the caches of every instance following the changes."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from chatmesh.model_router.v1 import routing_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from google.rpc import error_details_pb2, status_pb2

from model_router.routing import RouteResolution, RoutingRules
from model_router.routing.messages import spec_from_message
from model_router.store import routing_rules as rule_store
from tests.integration.model_router.harness import ADMIN, USER, Router
from tests.support.eventually import eventually


def split_rule(name: str = "chat default split", alias: str = "chat-default") -> routing_pb2.RoutingRule:
    return routing_pb2.RoutingRule(
        name=name,
        model_alias=alias,
        arms=[
            routing_pb2.RouteArm(name="a", target_model="gpt-4o-mini", percent=50),
            routing_pb2.RouteArm(name="b", target_model="claude-haiku", percent=50),
        ],
        sticky=True,
        enabled=True,
    )


def violations(error: grpc.aio.AioRpcError) -> set[str]:
    trailers: Any = error.trailing_metadata() or ()
    status = status_pb2.Status.FromString(dict(trailers)["grpc-status-details-bin"])
    fields: set[str] = set()
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.update(v.field for v in bad.field_violations)
    return fields


def rules_of(router: Router) -> RoutingRules:
    assert router.deps.routing is not None
    return router.deps.routing


async def test_crud_round_trip(router: Router) -> None:
    created = (
        await router.stub.CreateRoutingRule(
            routing_pb2.CreateRoutingRuleRequest(routing_rule=split_rule()), metadata=ADMIN
        )
    ).routing_rule
    assert created.id and created.etag and created.create_time.seconds > 0
    assert [(a.name, a.percent) for a in created.arms] == [("a", 50), ("b", 50)]
    got = await router.stub.GetRoutingRule(
        routing_pb2.GetRoutingRuleRequest(routing_rule_id=created.id), metadata=ADMIN
    )
    assert got.routing_rule == created
    updated = (
        await router.stub.UpdateRoutingRule(
            routing_pb2.UpdateRoutingRuleRequest(
                routing_rule_id=created.id,
                routing_rule=routing_pb2.RoutingRule(
                    arms=[
                        routing_pb2.RouteArm(name="a", target_model="gpt-4o-mini", percent=90),
                        routing_pb2.RouteArm(name="b", target_model="claude-haiku", percent=10),
                    ],
                    etag=created.etag,
                ),
                update_mask=FieldMask(paths=["arms"]),
            ),
            metadata=ADMIN,
        )
    ).routing_rule
    assert [a.percent for a in updated.arms] == [90, 10]
    assert updated.name == created.name and updated.etag != created.etag
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await router.stub.UpdateRoutingRule(
            routing_pb2.UpdateRoutingRuleRequest(
                routing_rule_id=created.id,
                routing_rule=routing_pb2.RoutingRule(description="late", etag=created.etag),
            ),
            metadata=ADMIN,
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    await router.stub.CreateRoutingRule(
        routing_pb2.CreateRoutingRuleRequest(routing_rule=split_rule("other", "fast")), metadata=ADMIN
    )
    listed = await router.stub.ListRoutingRules(
        routing_pb2.ListRoutingRulesRequest(page_size=1), metadata=ADMIN
    )
    assert len(listed.routing_rules) == 1 and listed.next_page_token
    only = await router.stub.ListRoutingRules(
        routing_pb2.ListRoutingRulesRequest(model_alias="fast"), metadata=ADMIN
    )
    assert [r.name for r in only.routing_rules] == ["other"]
    await router.stub.DeleteRoutingRule(
        routing_pb2.DeleteRoutingRuleRequest(routing_rule_id=created.id), metadata=ADMIN
    )
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await router.stub.GetRoutingRule(
            routing_pb2.GetRoutingRuleRequest(routing_rule_id=created.id), metadata=ADMIN
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_validation_and_conflicts(router: Router) -> None:
    bad = split_rule()
    bad.arms[1].percent = 40
    bad.model_alias = ""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.CreateRoutingRule(
            routing_pb2.CreateRoutingRuleRequest(routing_rule=bad), metadata=ADMIN
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == {"routing_rule.arms", "routing_rule.model_alias"}
    await router.stub.CreateRoutingRule(
        routing_pb2.CreateRoutingRuleRequest(routing_rule=split_rule()), metadata=ADMIN
    )
    with pytest.raises(grpc.aio.AioRpcError) as taken:
        await router.stub.CreateRoutingRule(
            routing_pb2.CreateRoutingRuleRequest(routing_rule=split_rule()), metadata=ADMIN
        )
    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.aio.AioRpcError) as mask:
        await router.stub.UpdateRoutingRule(
            routing_pb2.UpdateRoutingRuleRequest(
                routing_rule_id="00000000-0000-0000-0000-000000000000",
                routing_rule=routing_pb2.RoutingRule(),
                update_mask=FieldMask(paths=["id"]),
            ),
            metadata=ADMIN,
        )
    assert mask.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_admin_only(router: Router) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await router.stub.CreateRoutingRule(
            routing_pb2.CreateRoutingRuleRequest(routing_rule=split_rule()), metadata=USER
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as listed:
        await router.stub.ListRoutingRules(routing_pb2.ListRoutingRulesRequest(), metadata=USER)
    assert listed.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_changes_reach_every_instance(router: Router, other_instance: RoutingRules) -> None:
    here = rules_of(router)
    assert other_instance.resolve("chat-default", "t1", "u1") == RouteResolution("chat-default")
    created = (
        await router.stub.CreateRoutingRule(
            routing_pb2.CreateRoutingRuleRequest(routing_rule=split_rule()), metadata=ADMIN
        )
    ).routing_rule
    assert here.resolve("chat-default", "t1", "u1").rule_id == created.id  # reloaded before answering
    await eventually(
        within=5.0, check=lambda: other_instance.resolve("chat-default", "t1", "u1").rule_id == created.id
    )
    assert other_instance.resolve("chat-default", "t1", "u1") == here.resolve("chat-default", "t1", "u1")
    await router.stub.UpdateRoutingRule(
        routing_pb2.UpdateRoutingRuleRequest(
            routing_rule_id=created.id,
            routing_rule=routing_pb2.RoutingRule(enabled=False),
            update_mask=FieldMask(paths=["enabled"]),
        ),
        metadata=ADMIN,
    )
    await eventually(
        within=5.0, check=lambda: other_instance.resolve("chat-default", "t1", "u1").rule_id == ""
    )


async def test_periodic_reload_catches_a_missed_announcement(router: Router) -> None:
    """A change written straight to the table (no pub/sub) is picked up by the periodic check."""
    here = rules_of(router)
    async with router.deps.engine.begin() as conn:
        row = await rule_store.create_rule(conn, rule_store.rule_values(spec_from_message(split_rule())))
    await eventually(
        within=5.0, check=lambda: here.resolve("chat-default", "t1", "u1").rule_id == str(row["id"])
    )
