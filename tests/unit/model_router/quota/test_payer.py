"""Who pays: credentials win over the routing context for edge callers; services are trusted."""

from __future__ import annotations

import pytest
from chatmesh.model_router.v1 import chat_pb2

from mesh.auth import ANONYMOUS, Principal
from mesh.errors import PermissionDenied
from model_router.domain.quota_accounts import charged_accounts, parse_account_id
from model_router.usage.metering import DEFAULT_GROUP, payer_for

ROUTING = chat_pb2.RoutingContext(
    tenant_id="t-other",
    user_id="u-other",
    api_key_id="k-other",
    group="cheap",
    source="orchestrator",
    conversation_id="c1",
)


def test_api_key_callers_pay_with_their_key_and_cannot_pick_another() -> None:
    principal = Principal(kind="api_key", subject="u1", tenant_id="t1", token_id="k1")
    payer = payer_for(ROUTING, principal)
    assert (payer.tenant_id, payer.user_id, payer.api_key_id, payer.group) == (
        "t1",
        "u1",
        "k1",
        DEFAULT_GROUP,
    )
    assert (payer.source, payer.conversation_id) == ("orchestrator", "c1")


def test_users_pay_as_themselves_without_a_key() -> None:
    payer = payer_for(ROUTING, Principal(kind="user", subject="u1", tenant_id="t1", token_id="jti"))
    assert (payer.tenant_id, payer.user_id, payer.api_key_id) == ("t1", "u1", "")


def test_services_and_unverified_setups_use_the_routing_context() -> None:
    for principal in (Principal(kind="service", subject="orchestrator"), ANONYMOUS):
        payer = payer_for(ROUTING, principal)
        assert (payer.tenant_id, payer.user_id, payer.api_key_id, payer.group) == (
            "t-other",
            "u-other",
            "k-other",
            "cheap",
        )


def test_charged_accounts_are_sorted_and_skip_missing_owners() -> None:
    assert charged_accounts("t1", "k1", "") == ["api_key.k1", "tenant.t1"]
    assert parse_account_id("user.u1").kind == "user"


def test_only_mesh_services_may_name_a_reservation_to_charge() -> None:
    routing = chat_pb2.RoutingContext()
    routing.CopyFrom(ROUTING)
    routing.billing.reservation_id = "7b0e6f1c-0000-4000-8000-000000000001"
    for principal in (
        Principal(kind="api_key", subject="u1", tenant_id="t1", token_id="k1"),
        Principal(kind="user", subject="u1", tenant_id="t1", token_id="jti"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            payer_for(routing, principal)
        assert refused.value.reason == "RESERVATION_ID_NOT_ALLOWED"
    assert payer_for(routing, Principal(kind="service", subject="orchestrator")).tenant_id == "t-other"
