"""A key's quota set in identity holds here: the first request opens its account; none is spent past it."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
from chatmesh.model_router.v1 import inference_pb2

from mesh.errors import NotFound
from model_router.domain.quota_accounts import account_id
from tests.integration.model_router.quota.metered_router import Caller, MeteredRouter
from tests.integration.model_router.quota.quota_support import balance, ledger_sum
from tests.integration.model_router.quota.test_metered_inference import (
    INPUT_PRICE,
    MODEL,
    OUTPUT_PRICE,
    messages,
    priced,
)
from tests.integration.model_router.quota.test_metered_inference import router as router


def _limited(router: MeteredRouter, caller: Caller, remaining: int | None) -> None:
    """The key's principal as identity describes it: with the quota its owner set."""
    token = caller.key[0][1].removeprefix("Bearer ")
    principal = router.verifier.principals[token]
    router.verifier.principals[token] = dataclasses.replace(principal, quota_remaining=remaining)


def _request() -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(model=MODEL, messages=messages(), max_tokens=10)


async def test_a_limited_key_spends_its_own_quota_and_no_more(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await priced(router, caller, input_price=INPUT_PRICE, output_price=OUTPUT_PRICE)
    _limited(router, caller, 150)
    key_account = account_id("api_key", caller.api_key_id)

    first = [r async for r in router.stub.ChatCompletion(_request(), metadata=caller.key)]
    cost = first[-1].route.cost
    assert 0 < cost <= 150
    await router.deps.finishers.drain(30)
    assert await balance(router.sessions, key_account) == (150 - cost, 0, cost)
    assert await ledger_sum(router.sessions, key_account) == 150 - cost

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in router.stub.ChatCompletion(_request(), metadata=caller.key):
            pass
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # An unchanged figure from identity (it never counts spending) does not refill the account.
    assert await balance(router.sessions, key_account) == (150 - cost, 0, cost)


async def test_the_account_follows_a_changed_figure(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await priced(router, caller, input_price=INPUT_PRICE, output_price=OUTPUT_PRICE)
    key_account = account_id("api_key", caller.api_key_id)
    _limited(router, caller, 1000)
    [r async for r in router.stub.ChatCompletion(_request(), metadata=caller.key)]
    await router.deps.finishers.drain(30)
    spent = 1000 - (await balance(router.sessions, key_account))[0]
    assert spent > 0

    # The owner lowers the key's quota in identity: the key has exactly that left.
    _limited(router, caller, 40)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in router.stub.ChatCompletion(_request(), metadata=caller.key):
            pass
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (await balance(router.sessions, key_account))[0] == 40
    assert await ledger_sum(router.sessions, key_account) == 40

    # Unlimited in identity: the account stops refusing; limited again: the new figure holds.
    _limited(router, caller, None)
    [r async for r in router.stub.ChatCompletion(_request(), metadata=caller.key)]
    _limited(router, caller, 500)
    [r async for r in router.stub.ChatCompletion(_request(), metadata=caller.key)]
    await router.deps.finishers.drain(30)
    left, _, _ = await balance(router.sessions, key_account)
    assert 0 < left < 500
    assert await ledger_sum(router.sessions, key_account) == left


async def test_an_unlimited_key_gets_no_account(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    _limited(router, caller, None)
    answer = [r async for r in router.stub.ChatCompletion(_request(), metadata=caller.key)]
    assert answer[-1].choices or answer[-1].usage.total_tokens
    assert router.deps.ledger is not None
    with pytest.raises(NotFound):
        await router.deps.ledger.account(account_id("api_key", caller.api_key_id))
