"""Admin RPCs for prices (with history), group multipliers, quota accounts and usage records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from chatmesh.model_router.v1 import quota_pb2, routing_pb2, usage_pb2
from google.protobuf import field_mask_pb2

from mesh.config import Settings
from model_router.domain.quota_accounts import account_id
from tests.fakes.llm_upstream import FakeLLMUpstream
from tests.integration.model_router.quota.metered_router import MeteredRouter, metered_router


@pytest.fixture
async def router(mr_settings: Settings) -> AsyncIterator[MeteredRouter]:
    upstream = FakeLLMUpstream()
    async with upstream.running(), metered_router(mr_settings, upstream) as running:
        yield running


async def test_price_changes_keep_history_and_reprice_at_once(router: MeteredRouter) -> None:
    admin = router.verifier.caller().admin
    stub = router.stub
    model = f"admin-model-{id(router)}"
    created = (
        await stub.CreateModelPrice(
            routing_pb2.CreateModelPriceRequest(
                model_price=routing_pb2.ModelPrice(model=model, input_price=1_000_000, output_price=3_000_000)
            ),
            metadata=admin,
        )
    ).model_price
    with pytest.raises(grpc.aio.AioRpcError) as duplicate:
        await stub.CreateModelPrice(
            routing_pb2.CreateModelPriceRequest(model_price=routing_pb2.ModelPrice(model=model)),
            metadata=admin,
        )
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
    updated = (
        await stub.UpdateModelPrice(
            routing_pb2.UpdateModelPriceRequest(
                model_price_id=created.id,
                model_price=routing_pb2.ModelPrice(output_price=4_000_000),
                update_mask=field_mask_pb2.FieldMask(paths=["output_price"]),
            ),
            metadata=admin,
        )
    ).model_price
    assert (updated.input_price, updated.output_price) == (1_000_000, 4_000_000)
    assert router.deps.prices is not None
    price = router.deps.prices.table.price(model)
    assert price is not None and price.output == 4_000_000
    await stub.DeleteModelPrice(
        routing_pb2.DeleteModelPriceRequest(model_price_id=created.id), metadata=admin
    )
    assert router.deps.prices.table.price(model) is None
    history = await stub.ListModelPriceHistory(
        routing_pb2.ListModelPriceHistoryRequest(model_price_id=created.id, page_size=2), metadata=admin
    )
    assert [p.output_price for p in history.model_prices] == [4_000_000, 4_000_000]
    rest = await stub.ListModelPriceHistory(
        routing_pb2.ListModelPriceHistoryRequest(
            model_price_id=created.id, page_token=history.next_page_token
        ),
        metadata=admin,
    )
    assert [p.output_price for p in rest.model_prices] == [3_000_000] and not rest.next_page_token
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub.GetModelPrice(routing_pb2.GetModelPriceRequest(model_price_id=created.id), metadata=admin)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_group_multipliers_apply_to_the_price_book(router: MeteredRouter) -> None:
    admin = router.verifier.caller().admin
    group = f"vip-{id(router)}"
    request = routing_pb2.UpdateGroupMultiplierRequest(
        group_id=group, group_multiplier=routing_pb2.GroupMultiplier(multiplier=0.8), allow_missing=True
    )
    made = (await router.stub.UpdateGroupMultiplier(request, metadata=admin)).group_multiplier
    assert (made.id, made.multiplier) == (group, 0.8)
    assert router.deps.prices is not None
    assert (
        router.deps.prices.table.multiplier(group) == pytest.approx(0.8)
        and str(router.deps.prices.table.multiplier(group)) == "4/5"
    )
    listed = await router.stub.ListGroupMultipliers(routing_pb2.ListGroupMultipliersRequest(), metadata=admin)
    assert group in [m.id for m in listed.group_multipliers]
    await router.stub.DeleteGroupMultiplier(
        routing_pb2.DeleteGroupMultiplierRequest(group_id=group), metadata=admin
    )
    assert router.deps.prices.table.multiplier(group) == 1


async def test_adjust_is_idempotent_and_accounts_are_admin_only(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    account = account_id("tenant", caller.tenant_id)
    adjust = quota_pb2.AdjustQuotaRequest(
        account_id=account, amount=500, reason="top-up", idempotency_key="once"
    )
    first = await router.stub.AdjustQuota(adjust, metadata=caller.admin)
    again = await router.stub.AdjustQuota(adjust, metadata=caller.admin)
    assert first.account.balance == again.account.balance == 500 and first.entry.id == again.entry.id
    with pytest.raises(grpc.aio.AioRpcError) as too_much:
        await router.stub.AdjustQuota(
            quota_pb2.AdjustQuotaRequest(account_id=account, amount=-501), metadata=caller.admin
        )
    assert too_much.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await router.stub.AdjustQuota(
            quota_pb2.AdjustQuotaRequest(account_id=account, amount=1), metadata=caller.user
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    updated = await router.stub.UpdateQuotaAccount(
        quota_pb2.UpdateQuotaAccountRequest(
            account_id=account,
            account=quota_pb2.QuotaAccount(low_balance_threshold=600),
            update_mask=field_mask_pb2.FieldMask(paths=["low_balance_threshold"]),
        ),
        metadata=caller.admin,
    )
    assert updated.account.low_balance_threshold == 600 and updated.account.balance == 500
    low = await router.stub.ListQuotaAccounts(
        quota_pb2.ListQuotaAccountsRequest(tenant_id=caller.tenant_id, low_balance_only=True),
        metadata=caller.admin,
    )
    assert [a.id for a in low.accounts] == [account]
    user_account = account_id("user", caller.user_id)
    await router.stub.AdjustQuota(
        quota_pb2.AdjustQuotaRequest(account_id=user_account, amount=7), metadata=caller.admin
    )
    own = await router.stub.GetQuotaAccount(
        quota_pb2.GetQuotaAccountRequest(account_id=user_account), metadata=caller.user
    )
    assert own.account.balance == 7
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await router.stub.GetQuotaAccount(
            quota_pb2.GetQuotaAccountRequest(account_id=account), metadata=caller.user
        )
    # An account the caller may not read is as absent as one that does not exist (issue 10).
    assert other.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await router.stub.GetQuotaAccount(
            quota_pb2.GetQuotaAccountRequest(account_id=account_id("user", "nobody")), metadata=caller.user
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_reservation_rpcs_and_usage_listing(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    stub, admin = router.stub, caller.admin
    await stub.AdjustQuota(
        quota_pb2.AdjustQuotaRequest(account_id=account_id("tenant", caller.tenant_id), amount=100),
        metadata=admin,
    )
    reserve = quota_pb2.ReserveQuotaRequest(
        request_id=f"job-{caller.tenant_id}", tenant_id=caller.tenant_id, amount=60
    )
    held = (await stub.ReserveQuota(reserve, metadata=admin)).reservation
    assert held.state == quota_pb2.QUOTA_RESERVATION_STATE_RESERVED and held.reserved_amount == 60
    assert (await stub.ReserveQuota(reserve, metadata=admin)).reservation.id == held.id
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.ReserveQuota(reserve, metadata=caller.user)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    settled = (
        await stub.SettleQuota(
            quota_pb2.SettleQuotaRequest(reservation_id=held.id, amount=25), metadata=admin
        )
    ).reservation
    assert (settled.settled_amount, settled.refunded_amount) == (25, 35)
    got = await stub.GetQuotaReservation(
        quota_pb2.GetQuotaReservationRequest(reservation_id=held.id), metadata=admin
    )
    assert got.reservation.state == quota_pb2.QUOTA_RESERVATION_STATE_SETTLED
    listed = await stub.ListUsageRecords(
        usage_pb2.ListUsageRecordsRequest(tenant_id=caller.tenant_id), metadata=admin
    )
    assert list(listed.usage_records) == []
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await stub.ListUsageRecords(usage_pb2.ListUsageRecordsRequest(), metadata=caller.user)
    assert hidden.value.code() == grpc.StatusCode.PERMISSION_DENIED
