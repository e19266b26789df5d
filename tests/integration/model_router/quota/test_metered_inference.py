"""ChatCompletion through the servicer with quota: the right ledger, usage record and outbox event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import grpc
import pytest
from chatmesh.events.v1 import envelope_pb2, usage_events_pb2
from chatmesh.model_router.v1 import chat_pb2, inference_pb2, quota_pb2, routing_pb2, usage_pb2
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy import delete, select

from mesh.config import Settings
from mesh.events import unpack
from model_router.domain.quota_accounts import account_id
from model_router.store.tables import model_price_history, model_prices, outbox
from model_router.tokens import counter_for
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream, FakeReply
from tests.integration.model_router.quota.metered_router import Caller, MeteredRouter, metered_router
from tests.integration.model_router.quota.quota_support import balance, ledger_sum

MODEL = "gpt-4o-mini"
INPUT_PRICE = 2_000_000  # 2 units per prompt token
OUTPUT_PRICE = 8_000_000  # 8 units per completion token
PIECES = (" one", " two", " three", " four", " five", " six", " seven", " eight")  # one token each


@dataclass
class CountingUpstream(FakeLLMUpstream):
    """Remembers every SSE frame the fake actually handed to the socket (what it generated and sent)."""

    sent: list[bytes] = field(default_factory=list)

    async def _frames(self, frames: Iterator[bytes], failure: Failure | None) -> AsyncIterator[bytes]:
        async for frame in super()._frames(frames, failure):
            yield frame
            self.sent.append(frame)

    def sent_pieces(self) -> int:
        count = 0
        for frame in self.sent:
            text = frame.decode().removeprefix("data: ").strip()
            if text and text != "[DONE]":
                choices = json.loads(text).get("choices") or []
                count += sum(1 for c in choices if (c.get("delta") or {}).get("content"))
        return count


@pytest.fixture
async def router(mr_settings: Settings) -> AsyncIterator[MeteredRouter]:
    upstream = CountingUpstream(reply=FakeReply(pieces=PIECES))
    async with upstream.running(), metered_router(mr_settings, upstream) as running:
        async with running.sessions() as session, session.begin():
            await session.execute(delete(model_price_history))
            await session.execute(delete(model_prices))
        assert running.deps.prices is not None
        await running.deps.prices.reload()
        yield running


def messages(text: str = "Count to eight please") -> list[chat_pb2.ChatMessage]:
    return [chat_pb2.ChatMessage(role="user", content=text)]


async def priced(router: MeteredRouter, caller: Caller, **prices: int) -> None:
    price = routing_pb2.ModelPrice(model=MODEL)
    for name, value in prices.items():
        setattr(price, name, value)
    await router.stub.CreateModelPrice(
        routing_pb2.CreateModelPriceRequest(model_price=price), metadata=caller.admin
    )


async def fund(router: MeteredRouter, caller: Caller, account: str, amount: int) -> None:
    request = quota_pb2.AdjustQuotaRequest(account_id=account, amount=amount, reason="test")
    await router.stub.AdjustQuota(request, metadata=caller.admin)


async def record_of(router: MeteredRouter, caller: Caller, request_id: str) -> usage_pb2.UsageRecord:
    await router.deps.finishers.drain(30)
    response = await router.stub.GetUsageRecord(
        usage_pb2.GetUsageRecordRequest(request_id=request_id), metadata=caller.admin
    )
    return response.usage_record


async def events_for(router: MeteredRouter, request_id: str) -> list[usage_events_pb2.UsageRecorded]:
    async with router.sessions() as session:
        rows = (
            await session.execute(select(outbox.c.payload).where(outbox.c.aggregate_id == request_id))
        ).all()
    found = []
    for row in rows:
        envelope = envelope_pb2.EventEnvelope()
        envelope.ParseFromString(row.payload)
        found.append(unpack(envelope, usage_events_pb2.UsageRecorded))
    return found


def prompt_tokens(text: str = "Count to eight please") -> int:
    return counter_for(MODEL).messages(messages(text))


async def test_stream_settles_the_exact_cost_with_record_and_event(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await priced(router, caller, input_price=INPUT_PRICE, output_price=OUTPUT_PRICE)
    key_account = account_id("api_key", caller.api_key_id)
    await fund(router, caller, key_account, 1_000_000)
    await fund(router, caller, account_id("tenant", caller.tenant_id), 5_000_000)
    request = inference_pb2.ChatCompletionRequest(
        model=MODEL, messages=messages(), stream=True, max_tokens=50
    )
    responses = [r async for r in router.stub.ChatCompletion(request, metadata=caller.key)]
    final = responses[-1]
    text = "".join(c.delta.content for r in responses for c in r.choices)
    assert text == "".join(PIECES)
    usage = final.usage
    cost = usage.prompt_tokens * 2 + usage.completion_tokens * 8
    assert usage.completion_tokens == len(PIECES) and not final.route.usage_estimated
    assert final.route.cost == cost
    request_id = final.route.request_id
    await router.deps.finishers.drain(30)
    assert await balance(router.sessions, key_account) == (1_000_000 - cost, 0, cost)
    assert await ledger_sum(router.sessions, key_account) == 1_000_000 - cost
    record = await record_of(router, caller, request_id)
    assert record.status == usage_pb2.USAGE_STATUS_SUCCEEDED
    assert (record.tenant_id, record.user_id, record.api_key_id) == (
        caller.tenant_id,
        caller.user_id,
        caller.api_key_id,
    )
    assert (record.prompt_tokens, record.completion_tokens, record.cost) == (
        usage.prompt_tokens,
        len(PIECES),
        cost,
    )
    assert record.channel_id == "ch-fake" and record.stream and record.retries == 0
    assert record.HasField("time_to_first_token")
    [event] = await events_for(router, request_id)
    assert (event.quota_units, event.cost_micros, event.completion_tokens) == (cost, cost, len(PIECES))
    assert (
        event.status == usage_events_pb2.USAGE_STATUS_SUCCEEDED
        and event.kind == usage_events_pb2.USAGE_KIND_CHAT
    )
    ledger = await router.stub.ListQuotaLedgerEntries(
        quota_pb2.ListQuotaLedgerEntriesRequest(account_id=key_account), metadata=caller.admin
    )
    kinds = [entry.kind for entry in ledger.entries]
    assert kinds == [
        quota_pb2.LEDGER_ENTRY_KIND_SETTLE,
        quota_pb2.LEDGER_ENTRY_KIND_RESERVE,
        quota_pb2.LEDGER_ENTRY_KIND_ADJUST,
    ]
    estimate = (prompt_tokens() * 2) + 50 * 8
    assert ledger.entries[1].amount == -estimate
    assert ledger.entries[0].amount == estimate - cost


async def test_exhausted_quota_refuses_before_the_upstream_with_quota_failure(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await priced(router, caller, input_price=INPUT_PRICE, output_price=OUTPUT_PRICE)
    await fund(router, caller, account_id("api_key", caller.api_key_id), 10)
    before = len(router.upstream.requests)
    request = inference_pb2.ChatCompletionRequest(model=MODEL, messages=messages(), max_tokens=50)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.ChatCompletion(request, metadata=caller.key).read()
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = status_pb2.Status()
    trailers: dict[str, Any] = dict(caught.value.trailing_metadata() or ())  # type: ignore[arg-type]
    status.ParseFromString(trailers["grpc-status-details-bin"])
    failures = []
    for detail in status.details:
        if detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
            failure = error_details_pb2.QuotaFailure()
            detail.Unpack(failure)
            failures.append(failure)
    assert [v.subject for f in failures for v in f.violations] == [account_id("api_key", caller.api_key_id)]
    assert len(router.upstream.requests) == before


async def test_failed_upstream_refunds_fully(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await priced(router, caller, input_price=INPUT_PRICE, output_price=OUTPUT_PRICE)
    tenant = account_id("tenant", caller.tenant_id)
    await fund(router, caller, tenant, 100_000)
    router.upstream.fail(Failure(status=500), Failure(status=500))
    request = inference_pb2.ChatCompletionRequest(
        model=MODEL,
        messages=messages(),
        routing=chat_pb2.RoutingContext(request_id="will-fail-" + caller.tenant_id),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.ChatCompletion(request, metadata=caller.user).read()
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    await router.deps.finishers.drain(30)
    assert await balance(router.sessions, tenant) == (100_000, 0, 0)
    assert await ledger_sum(router.sessions, tenant) == 100_000
    record = await record_of(router, caller, "will-fail-" + caller.tenant_id)
    assert (record.status, record.cost, record.error_code) == (
        usage_pb2.USAGE_STATUS_FAILED,
        0,
        "UNAVAILABLE",
    )


async def test_disconnect_mid_stream_records_what_the_upstream_generated(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await priced(router, caller, input_price=INPUT_PRICE, output_price=OUTPUT_PRICE)
    key_account = account_id("api_key", caller.api_key_id)
    await fund(router, caller, key_account, 1_000_000)
    upstream = router.upstream
    assert isinstance(upstream, CountingUpstream)
    upstream.chunk_delay = 1.0
    request_id = "disconnect-" + caller.api_key_id
    request = inference_pb2.ChatCompletionRequest(
        model=MODEL, messages=messages(), stream=True, routing=chat_pb2.RoutingContext(request_id=request_id)
    )
    call = router.stub.ChatCompletion(request, metadata=caller.key)
    received = ""
    while received.count(" ") < 3:
        response = await call.read()
        received += "".join(c.delta.content for c in response.choices)
    call.cancel()
    record = None
    for _ in range(200):
        await router.deps.finishers.drain(30)
        try:
            record = await record_of(router, caller, request_id)
            break
        except grpc.aio.AioRpcError:
            await asyncio.sleep(0.05)
    assert record is not None
    generated = upstream.sent_pieces()
    assert upstream.abandoned_streams == 1 and 3 <= generated < len(PIECES)
    assert record.status == usage_pb2.USAGE_STATUS_CANCELLED and record.usage_estimated
    assert record.completion_tokens == generated
    assert record.prompt_tokens == prompt_tokens()
    assert record.cost == record.prompt_tokens * 2 + generated * 8
    assert await balance(router.sessions, key_account) == (1_000_000 - record.cost, 0, record.cost)
    assert await ledger_sum(router.sessions, key_account) == 1_000_000 - record.cost


async def test_without_any_quota_or_price_requests_are_served_and_recorded(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    request = inference_pb2.ChatCompletionRequest(model="gpt-4o-mini", messages=messages())
    answer = await router.stub.ChatCompletion(request, metadata=caller.key).read()
    assert answer.choices[0].message.content == "".join(PIECES)
    record = await record_of(router, caller, answer.route.request_id)
    assert record.status == usage_pb2.USAGE_STATUS_SUCCEEDED and record.api_key_id == caller.api_key_id


async def test_concurrent_completions_serve_exactly_what_the_key_allows(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await priced(router, caller, request_price=1_000)
    key_account = account_id("api_key", caller.api_key_id)
    await fund(router, caller, key_account, 20 * 1_000 + 999)

    async def one() -> bool:
        request = inference_pb2.ChatCompletionRequest(model=MODEL, messages=messages())
        try:
            await router.stub.ChatCompletion(request, metadata=caller.key).read()
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            return False
        return True

    served = sum(await asyncio.gather(*(one() for _ in range(60))))
    await router.deps.finishers.drain(30)
    assert served == 20
    assert await balance(router.sessions, key_account) == (999, 0, 20_000)
    assert await ledger_sum(router.sessions, key_account) == 999


class OneRule:
    """Stands in for RoutingRules (its own tests live in routing/): "chat-default" goes to arm "b"."""

    def __init__(self, real: Any) -> None:
        self.real = real

    async def close(self) -> None:
        await self.real.close()

    def resolve(
        self, model: str, tenant_id: str, user_id: str, *, group: str = "", sticky_key: str = ""
    ) -> Any:
        if model != "chat-default":
            return SimpleNamespace(model=model, rule_id="", arm="")
        return SimpleNamespace(model=MODEL, rule_id="rule-1", arm="b")


async def test_usage_records_carry_the_arm_and_list_with_filters_and_pages(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    router.deps.routing = OneRule(router.deps.routing)  # type: ignore[assignment]
    for _ in range(3):
        request = inference_pb2.ChatCompletionRequest(model="chat-default", messages=messages())
        answer = await router.stub.ChatCompletion(request, metadata=caller.key).read()
        assert answer.model == "chat-default" and answer.route.arm == "b"
    await router.deps.finishers.drain(30)
    listing = usage_pb2.ListUsageRecordsRequest(
        tenant_id=caller.tenant_id, api_key_id=caller.api_key_id, page_size=2
    )
    first = await router.stub.ListUsageRecords(listing, metadata=caller.admin)
    listing.page_token = first.next_page_token
    second = await router.stub.ListUsageRecords(listing, metadata=caller.admin)
    records = [*first.usage_records, *second.usage_records]
    assert len(first.usage_records) == 2 and len(records) == 3 and not second.next_page_token
    assert {(r.model, r.upstream_model, r.routing_rule_id, r.arm) for r in records} == {
        ("chat-default", MODEL, "rule-1", "b")
    }
    failed = usage_pb2.ListUsageRecordsRequest(
        tenant_id=caller.tenant_id, status=usage_pb2.USAGE_STATUS_FAILED
    )
    assert list((await router.stub.ListUsageRecords(failed, metadata=caller.admin)).usage_records) == []
    [event] = await events_for(router, records[0].request_id)
    assert event.arm == "b"


async def test_calls_reusing_a_request_id_each_get_their_own_reservation_and_record(
    router: MeteredRouter,
) -> None:
    """The orchestrator's tool loop sends one generation's request id on every model call."""
    caller = router.verifier.caller()
    await priced(router, caller, request_price=100)
    key_account = account_id("api_key", caller.api_key_id)
    await fund(router, caller, key_account, 1_000)
    shared = "generation-" + caller.api_key_id
    ids = []
    for stream in (False, True, False):
        request = inference_pb2.ChatCompletionRequest(
            model=MODEL,
            messages=messages(),
            stream=stream,
            routing=chat_pb2.RoutingContext(request_id=shared),
        )
        responses = [r async for r in router.stub.ChatCompletion(request, metadata=caller.key)]
        ids.append(responses[-1].route.request_id)
    assert ids[0] == shared and len(set(ids)) == 3 and all(i.startswith(shared) for i in ids)
    await router.deps.finishers.drain(30)
    assert await balance(router.sessions, key_account) == (700, 0, 300)
    for request_id in ids:
        assert (await record_of(router, caller, request_id)).cost == 100


async def test_unmetered_calls_reusing_a_request_id_are_each_recorded(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    shared = "unmetered-" + caller.api_key_id
    for _ in range(2):
        request = inference_pb2.ChatCompletionRequest(
            model=MODEL, messages=messages(), routing=chat_pb2.RoutingContext(request_id=shared)
        )
        await router.stub.ChatCompletion(request, metadata=caller.key).read()
    await router.deps.finishers.drain(30)
    listing = usage_pb2.ListUsageRecordsRequest(tenant_id=caller.tenant_id)
    ids = sorted(
        r.request_id
        for r in (await router.stub.ListUsageRecords(listing, metadata=caller.admin)).usage_records
    )
    assert len(ids) == 2 and ids[0] == shared and ids[1].startswith(shared + ".")
    assert [len(await events_for(router, request_id)) for request_id in ids] == [1, 1]


async def test_embeddings_are_metered_too(router: MeteredRouter) -> None:
    caller = router.verifier.caller()
    await router.stub.CreateModelPrice(
        routing_pb2.CreateModelPriceRequest(
            model_price=routing_pb2.ModelPrice(model="text-embedding-3-small", input_price=1_000_000)
        ),
        metadata=caller.admin,
    )
    tenant = account_id("tenant", caller.tenant_id)
    await fund(router, caller, tenant, 10_000)
    response = await router.stub.Embed(
        inference_pb2.EmbedRequest(model="text-embedding-3-small", input=["alpha beta", "gamma"]),
        metadata=caller.user,
    )
    record = await record_of(router, caller, response.route.request_id)
    assert (
        record.endpoint == "embeddings" and record.cost == response.usage.prompt_tokens == response.route.cost
    )
    assert await balance(router.sessions, tenant) == (10_000 - record.cost, 0, record.cost)
