"""A stream reserves while the upstream is asked: it still never overspends; failures carry their route.

The reservation is off the time-to-first-token path (model_router.api.inference), so these
check what must not change with it: a stream the quota cannot cover is refused with nothing
sent and nothing charged, a covered one is charged exactly, and a request the relay gives up
on is recorded with the channel and the attempts it made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from chatmesh.model_router.v1 import chat_pb2, inference_pb2, quota_pb2, routing_pb2, usage_pb2
from sqlalchemy import delete

from mesh.config import Settings
from model_router.domain.quota_accounts import account_id
from model_router.store.tables import model_price_history, model_prices
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream, FakeReply
from tests.integration.model_router.quota.metered_router import Caller, MeteredRouter, metered_router
from tests.integration.model_router.quota.quota_support import balance, ledger_sum

MODEL = "gpt-4o-mini"
PIECES = (" one", " two", " three", " four")


@pytest.fixture
async def router(mr_settings: Settings) -> AsyncIterator[MeteredRouter]:
    upstream = FakeLLMUpstream(reply=FakeReply(pieces=PIECES))
    async with upstream.running(), metered_router(mr_settings, upstream) as running:
        async with running.sessions() as session, session.begin():
            await session.execute(delete(model_price_history))
            await session.execute(delete(model_prices))
        yield running


async def _priced_and_funded(router: MeteredRouter, caller: Caller, funds: int) -> str:
    price = routing_pb2.ModelPrice(model=MODEL, request_price=1_000)
    await router.stub.CreateModelPrice(
        routing_pb2.CreateModelPriceRequest(model_price=price), metadata=caller.admin
    )
    assert router.deps.prices is not None
    await router.deps.prices.reload()
    key = account_id("api_key", caller.api_key_id)
    await router.stub.AdjustQuota(
        quota_pb2.AdjustQuotaRequest(account_id=key, amount=funds, reason="test"), metadata=caller.admin
    )
    return key


def _request(request_id: str = "") -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(
        model=MODEL,
        messages=[chat_pb2.ChatMessage(role="user", content="Count")],
        stream=True,
        routing=chat_pb2.RoutingContext(request_id=request_id),
    )


@pytest.mark.parametrize("reserve_first", [False, True])
async def test_a_stream_over_quota_gets_nothing_and_costs_nothing(
    router: MeteredRouter, reserve_first: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if reserve_first:
        monkeypatch.setattr(router.deps.config, "reserve_before_stream", True)
    caller = router.verifier.caller()
    key = await _priced_and_funded(router, caller, 999)
    received: list[inference_pb2.ChatCompletionResponse] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for response in router.stub.ChatCompletion(_request(), metadata=caller.key):
            received.append(response)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert received == []
    await router.deps.finishers.drain(30)
    assert await balance(router.sessions, key) == (999, 0, 0)
    assert await ledger_sum(router.sessions, key) == 999


async def test_covered_streams_are_charged_exactly_and_the_next_is_refused(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    key = await _priced_and_funded(router, caller, 2_500)
    for _ in range(2):
        text = [
            c.delta.content
            async for r in router.stub.ChatCompletion(_request(), metadata=caller.key)
            for c in r.choices
        ]
        assert "".join(text) == "".join(PIECES)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.ChatCompletion(_request(), metadata=caller.key).read()
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    await router.deps.finishers.drain(30)
    assert await balance(router.sessions, key) == (500, 0, 2_000)


async def test_a_stream_the_relay_gives_up_on_is_recorded_with_its_channel_and_attempts(
    router: MeteredRouter,
) -> None:
    caller = router.verifier.caller()
    await _priced_and_funded(router, caller, 10_000)
    router.upstream.fail(Failure(status=500), Failure(status=500))
    request_id = "gives-up-" + caller.tenant_id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.ChatCompletion(_request(request_id), metadata=caller.key).read()
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    await router.deps.finishers.drain(30)
    response = await router.stub.GetUsageRecord(
        usage_pb2.GetUsageRecordRequest(request_id=request_id), metadata=caller.admin
    )
    record = response.usage_record
    assert record.status == usage_pb2.USAGE_STATUS_FAILED
    assert record.channel_id == "ch-fake"
    assert [a.channel_id for a in record.attempts] == ["ch-fake"] * len(record.attempts)
    assert len(record.attempts) >= 1 and record.retries == len(record.attempts) - 1
