"""TestChannel (the test request now, its latency and outcome, kept as the last test) and the
paginated health history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from chatmesh.model_router.v1 import channels_pb2 as S
from google.protobuf.timestamp_pb2 import Timestamp

from model_router.store import health as health_store
from model_router.store.health import HealthEventRow
from tests.fakes.llm_upstream import Failure, FakeLLMUpstream
from tests.integration.model_router.harness import ADMIN, USER, Router
from tests.integration.model_router.health.mr_health_support import create, events, get


async def run_test(router: Router, channel_id: str, **fields: Any) -> S.TestChannelResponse:
    request = S.TestChannelRequest(channel_id=channel_id, **fields)
    response: S.TestChannelResponse = await router.stub.TestChannel(request, metadata=ADMIN)
    return response


async def test_a_working_channel_reports_latency_usage_and_keeps_the_last_test(
    router: Router, upstream: FakeLLMUpstream
) -> None:
    channel = await create(router, "ok", upstream)
    result = await run_test(router, channel.id)
    assert result.success and result.model == "gpt-4o-mini" and result.http_status == 0
    assert result.key_id and result.latency.ToNanoseconds() > 0
    assert result.usage.total_tokens > 0
    assert not result.HasField("time_to_first_token")
    assert result.channel.HasField("last_test_time") and result.channel.last_test_latency.ToNanoseconds() >= 0
    assert upstream.requests[-1].body["max_tokens"] == 5

    streamed = await run_test(router, channel.id, stream=True)
    assert streamed.success and streamed.time_to_first_token.ToNanoseconds() > 0
    assert upstream.requests[-1].body["stream"] is True

    pinned = await run_test(router, channel.id, key_id=result.key_id, model="gpt-4o-mini")
    assert pinned.success and pinned.key_id == result.key_id


async def test_a_failing_channel_reports_the_upstream_error_and_stays_enabled(
    router: Router, upstream: FakeLLMUpstream
) -> None:
    channel = await create(router, "bad", upstream)
    upstream.always = Failure(status=500, message="upstream exploded")
    result = await run_test(router, channel.id)
    assert not result.success
    assert (result.http_status, result.error_message) == (500, "upstream exploded")
    assert result.channel.status == S.CHANNEL_STATUS_ENABLED


async def test_a_successful_test_recovers_an_auto_disabled_channel(
    router: Router, upstream: FakeLLMUpstream
) -> None:
    channel = await create(router, "parked", upstream)
    async with router.deps.engine.begin() as conn:
        assert await health_store.auto_disable(conn, uuid.UUID(channel.id), "circuit open for 60s")
    result = await run_test(router, channel.id)
    assert result.success and result.channel.status == S.CHANNEL_STATUS_ENABLED
    assert (await events(router, channel.id))[0].to_status == S.CHANNEL_STATUS_ENABLED


async def test_bad_requests(router: Router, upstream: FakeLLMUpstream) -> None:
    channel = await create(router, "c", upstream)
    for request, code in (
        (S.TestChannelRequest(channel_id=str(uuid.uuid4())), grpc.StatusCode.NOT_FOUND),
        (S.TestChannelRequest(channel_id=channel.id, key_id=str(uuid.uuid4())), grpc.StatusCode.NOT_FOUND),
        (S.TestChannelRequest(channel_id="nope"), grpc.StatusCode.INVALID_ARGUMENT),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await router.stub.TestChannel(request, metadata=ADMIN)
        assert caught.value.code() == code
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await router.stub.TestChannel(S.TestChannelRequest(channel_id=channel.id), metadata=USER)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await router.stub.ListChannelHealthEvents(
            S.ListChannelHealthEventsRequest(channel_id="-"), metadata=USER
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_history_pages_newest_first_and_filters(router: Router, upstream: FakeLLMUpstream) -> None:
    first = await create(router, "first", upstream)
    second = await create(router, "second", upstream)
    async with router.deps.engine.begin() as conn:
        for i in range(5):
            await health_store.insert_events(
                conn,
                [
                    HealthEventRow(
                        uuid.UUID(first.id), "enabled", "enabled", "closed", "open", "traffic", f"f{i}"
                    ),
                    HealthEventRow(
                        uuid.UUID(second.id), "enabled", "enabled", "open", "closed", "probe", f"s{i}"
                    ),
                ],
            )
    reasons: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await router.stub.ListChannelHealthEvents(
            S.ListChannelHealthEventsRequest(channel_id=first.id, page_size=2, page_token=token),
            metadata=ADMIN,
        )
        reasons += [e.reason for e in page.events]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert reasons == ["f4", "f3", "f2", "f1", "f0"] and pages == 3

    everything = await router.stub.ListChannelHealthEvents(
        S.ListChannelHealthEventsRequest(channel_id="-"), metadata=ADMIN
    )
    assert len(everything.events) == 10
    assert {e.channel_id for e in everything.events} == {first.id, second.id}
    assert everything.events[0].source == S.HEALTH_EVENT_SOURCE_PROBE

    future = Timestamp()
    future.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    later = await router.stub.ListChannelHealthEvents(
        S.ListChannelHealthEventsRequest(channel_id="-", start_time=future), metadata=ADMIN
    )
    assert list(later.events) == []
    before = await router.stub.ListChannelHealthEvents(
        S.ListChannelHealthEventsRequest(channel_id="-", end_time=future, page_size=3), metadata=ADMIN
    )
    assert len(before.events) == 3 and before.next_page_token
    assert (await get(router, first.id)).circuit_state == S.CIRCUIT_STATE_CLOSED


async def test_create_with_test_first_refuses_a_channel_that_fails_its_test(
    router: Router, upstream: FakeLLMUpstream
) -> None:
    def draft(name: str) -> S.Channel:
        return S.Channel(
            name=name,
            type="openai",
            base_url=f"{upstream.base_url}/v1",
            models=["gpt-4o-mini"],
            keys=["sk-test-key-0001"],
        )

    upstream.valid_keys = frozenset({"sk-other"})
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.CreateChannel(
            S.CreateChannelRequest(channel=draft("refused"), test_first=True), metadata=ADMIN
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = await router.stub.ListChannels(S.ListChannelsRequest(), metadata=ADMIN)
    assert [c.name for c in listed.channels] == []

    upstream.valid_keys = None
    created = await router.stub.CreateChannel(
        S.CreateChannelRequest(channel=draft("accepted"), test_first=True), metadata=ADMIN
    )
    assert created.channel.name == "accepted"
    assert upstream.requests[-1].body["model"] == "gpt-4o-mini"
