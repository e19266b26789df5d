"""Rate limits in Redis: bursts, Retry-After, limits shared by instances, refill timing, outages."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aredis
from edge_limited_app import RPC, build
from prometheus_client import CollectorRegistry

from gateway.policies import RateLimited, RateLimiter
from gateway.policies.ratelimit import FAIL_OPEN_LOG_INTERVAL
from mesh.config import RateLimitRule, Settings, load_settings
from mesh.embedded.common import free_port


def _settings(*rules: RateLimitRule, **overrides: object) -> Settings:
    return load_settings(_env_file=None, gateway_rate_limits=list(rules), **overrides)


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def limited(redis_client: aredis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    rules = [RateLimitRule(scope="ip", limit=5, window_seconds=2)]
    async with _client(build(_settings(*rules), redis_client)) as http:
        yield http


async def test_a_burst_gets_429_with_a_retry_after_that_is_right(limited: httpx.AsyncClient) -> None:
    answers = [await limited.get("/hello") for _ in range(8)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert [a.headers["x-ratelimit-remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    refused = answers[5]
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["x-ratelimit-limit"] == "5"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-reset"] == "2"
    body = refused.json()
    assert body["code"] == 8
    kinds = {detail["@type"].rsplit(".", 1)[1]: detail for detail in body["details"]}
    assert kinds["ErrorInfo"]["reason"] == "RATE_LIMITED"
    assert kinds["QuotaFailure"]["violations"][0]["subject"] == "ip:127.0.0.1"
    assert kinds["RetryInfo"]["retryDelay"] == "2s"

    await asyncio.sleep(1.0)
    still = await limited.get("/hello")
    assert still.status_code == 429
    assert still.headers["retry-after"] == "1"
    await asyncio.sleep(float(still.headers["retry-after"]) + 0.05)
    assert (await limited.get("/hello")).status_code == 200


async def test_two_app_instances_on_one_redis_enforce_one_limit(edge_redis_url: str) -> None:
    settings = _settings(RateLimitRule(scope="user", limit=6, window_seconds=60))
    first_redis, second_redis = aredis.Redis.from_url(edge_redis_url), aredis.Redis.from_url(edge_redis_url)
    await first_redis.flushdb()
    try:
        async with (
            _client(build(settings, first_redis)) as first,
            _client(build(settings, second_redis)) as second,
        ):
            statuses = []
            for i in range(10):
                instance = first if i % 2 == 0 else second
                statuses.append((await instance.get("/hello", headers={"X-Test-User": "u1"})).status_code)
            assert statuses == [200] * 6 + [429] * 4
            assert (await second.get("/hello", headers={"X-Test-User": "u2"})).status_code == 200
    finally:
        await first_redis.aclose()
        await second_redis.aclose()


async def test_concurrent_requests_never_exceed_the_limit(redis_client: aredis.Redis) -> None:
    # A generous Redis timeout: on a loaded machine a slow answer would fail open and let extras through.
    rule = RateLimitRule(scope="user", limit=10, window_seconds=60)
    settings = _settings(rule, gateway_rate_limit_timeout_seconds=5.0)
    async with _client(build(settings, redis_client)) as http:
        answers = await asyncio.gather(*(http.get("/hello", headers={"X-Test-User": "u"}) for _ in range(30)))
    assert sorted(a.status_code for a in answers) == [200] * 10 + [429] * 20


async def test_a_token_bucket_refills_at_its_rate_up_to_its_burst(redis_client: aredis.Redis) -> None:
    clock = Clock()
    rule = RateLimitRule(scope="api_key", limit=2, window_seconds=1, algorithm="token_bucket", burst=3)
    limiter = RateLimiter(redis_client, [rule], clock=clock)

    async def attempt() -> dict[str, str] | RateLimited:
        try:
            return await limiter.enforce(
                route=RPC, ip="10.0.0.1", user_id="u", api_key_id="k1", tenant_id=None
            )
        except RateLimited as refused:
            return refused

    assert [await attempt() for _ in range(3)] == [
        {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": str(n), "X-RateLimit-Reset": reset}
        for n, reset in ((2, "1"), (1, "1"), (0, "2"))
    ]
    refused = await attempt()
    assert isinstance(refused, RateLimited)
    assert refused.retry_after == 1
    clock.now += 0.49
    assert isinstance(await attempt(), RateLimited), "less than one token has come back"
    clock.now += 0.01
    assert not isinstance(await attempt(), RateLimited), "one token every 0.5 s"
    assert isinstance(await attempt(), RateLimited)
    clock.now += 60
    results = [await attempt() for _ in range(4)]
    assert [isinstance(r, RateLimited) for r in results] == [False, False, False, True], "capped at the burst"


async def test_a_token_bucket_refills_in_real_time(redis_client: aredis.Redis) -> None:
    rule = RateLimitRule(scope="user", limit=10, window_seconds=1, algorithm="token_bucket", burst=1)
    limiter = RateLimiter(redis_client, [rule])
    ids = {"route": RPC, "ip": None, "user_id": "u", "api_key_id": None, "tenant_id": None}
    await limiter.enforce(**ids)  # type: ignore[arg-type]
    with pytest.raises(RateLimited):
        await limiter.enforce(**ids)  # type: ignore[arg-type]
    await asyncio.sleep(0.12)
    await limiter.enforce(**ids)  # type: ignore[arg-type]


async def test_a_sliding_window_frees_a_slot_exactly_when_the_oldest_request_leaves_it(
    redis_client: aredis.Redis,
) -> None:
    clock = Clock()
    limiter = RateLimiter(
        redis_client, [RateLimitRule(scope="user", limit=3, window_seconds=10)], clock=clock
    )
    ids = {"route": RPC, "ip": None, "user_id": "u", "api_key_id": None, "tenant_id": None}
    start = clock.now
    for offset in (0, 1, 2):
        clock.now = start + offset
        await limiter.enforce(**ids)  # type: ignore[arg-type]
    clock.now = start + 3
    with pytest.raises(RateLimited) as refused:
        await limiter.enforce(**ids)  # type: ignore[arg-type]
    assert refused.value.retry_after == 7
    assert refused.value.headers["X-RateLimit-Reset"] == "7"
    clock.now = start + 9.99
    with pytest.raises(RateLimited):
        await limiter.enforce(**ids)  # type: ignore[arg-type]
    clock.now = start + 10
    headers = await limiter.enforce(**ids)  # type: ignore[arg-type]
    assert headers["X-RateLimit-Remaining"] == "0"
    clock.now = start + 10.5
    with pytest.raises(RateLimited) as again:
        await limiter.enforce(**ids)  # type: ignore[arg-type]
    assert again.value.retry_after == 1, "0.5 s rounds up"


async def test_a_refused_request_uses_up_none_of_its_other_limits(redis_client: aredis.Redis) -> None:
    rules = [RateLimitRule(scope="ip", limit=100), RateLimitRule(scope="user", limit=2)]
    async with _client(build(_settings(*rules), redis_client)) as http:
        statuses = [(await http.get("/hello", headers={"X-Test-User": "u"})).status_code for _ in range(5)]
        assert statuses == [200, 200, 429, 429, 429]
        anonymous = await http.get("/hello")
    assert anonymous.headers["x-ratelimit-remaining"] == "97", "only the 2 allowed requests counted per IP"


async def test_scopes_count_the_right_callers(redis_client: aredis.Redis) -> None:
    rules = [
        RateLimitRule(scope="anonymous", limit=1),
        RateLimitRule(scope="api_key", limit=2),
        RateLimitRule(scope="model", match="*", limit=3),
    ]
    async with _client(build(_settings(*rules), redis_client)) as http:

        async def status(**headers: str) -> int:
            return (await http.get("/hello", headers=headers)).status_code

        assert [await status(), await status()] == [200, 429]
        assert await status(**{"X-Test-User": "u"}) == 200, "a signed-in caller is not anonymous"
        key = {"X-Test-User": "u", "X-Test-Key": "k1"}
        assert [await status(**key), await status(**key), await status(**key)] == [200, 200, 429]
        assert await status(**{"X-Test-User": "u", "X-Test-Key": "k2"}) == 200, "another key, another count"
        model = {"X-Test-User": "v", "X-Test-Model": "big-model"}
        assert [await status(**model) for _ in range(4)] == [200, 200, 200, 429]
        assert await status(**{"X-Test-User": "w", "X-Test-Model": "big-model"}) == 429, (
            "per model, not per user"
        )
        assert await status(**{"X-Test-User": "w", "X-Test-Model": "small-model"}) == 200


async def test_rules_match_rpc_names_or_paths_and_count_routes_together_unless_per_route(
    redis_client: aredis.Redis,
) -> None:
    rules = [
        RateLimitRule(match="chatmesh.test.v1.TestService/*", scope="user", limit=2),
        RateLimitRule(match="chatmesh.other.v1.*", scope="user", limit=1, per_route=True),
    ]
    async with _client(build(_settings(*rules), redis_client)) as http:

        async def status(rpc: str) -> int:
            return (await http.get("/hello", params={"rpc": rpc}, headers={"X-Test-User": "u"})).status_code

        assert [
            await status("chatmesh.test.v1.TestService/A"),
            await status("chatmesh.test.v1.TestService/B"),
        ] == [
            200,
            200,
        ]
        assert await status("chatmesh.test.v1.TestService/C") == 429, "counted together"
        assert await status("chatmesh.other.v1.S/A") == 200
        assert await status("chatmesh.other.v1.S/B") == 200, "per_route: its own count"
        assert await status("chatmesh.other.v1.S/A") == 429
        unlimited = await http.get(
            "/hello", params={"rpc": "chatmesh.free.v1.S/A"}, headers={"X-Test-User": "u"}
        )
        assert unlimited.status_code == 200
        assert "x-ratelimit-limit" not in unlimited.headers
    path_limited = RateLimiter(redis_client, [RateLimitRule(match="/v1/chat/*", scope="user", limit=1)])
    ids = {"ip": None, "user_id": "p", "api_key_id": None, "tenant_id": None, "path": "/v1/chat/completions"}
    await path_limited.enforce(route="chatmesh.model_router.v1.ModelRouterService/ChatCompletion", **ids)  # type: ignore[arg-type]
    with pytest.raises(RateLimited):
        await path_limited.enforce(route="/v1/chat/completions", **ids)  # type: ignore[arg-type]


async def test_tenant_quotas_come_from_settings_or_the_principal(redis_client: aredis.Redis) -> None:
    limiter = RateLimiter(redis_client, [], tenant_rpm={"t-small": 2, "*": 3})

    async def allowed(tenant: str, times: int, rpm: int | None = None) -> list[bool]:
        results = []
        for _ in range(times):
            try:
                await limiter.enforce(
                    route=RPC, ip=None, user_id="u", api_key_id=None, tenant_id=tenant, tenant_rpm=rpm
                )
                results.append(True)
            except RateLimited as refused:
                assert refused.quota_violations[0].subject == f"tenant:{tenant}"
                results.append(False)
        return results

    assert await allowed("t-small", 3) == [True, True, False]
    assert await allowed("t-other", 4) == [True, True, True, False]
    assert await allowed("t-own", 5, rpm=4) == [True, True, True, True, False]


async def test_a_flushed_script_cache_is_reloaded(redis_client: aredis.Redis) -> None:
    limiter = RateLimiter(redis_client, [RateLimitRule(scope="user", limit=5)])
    ids = {"route": RPC, "ip": None, "user_id": "u", "api_key_id": None, "tenant_id": None}
    assert (await limiter.enforce(**ids))["X-RateLimit-Remaining"] == "4"  # type: ignore[arg-type]
    await redis_client.script_flush()
    assert (await limiter.enforce(**ids))["X-RateLimit-Remaining"] == "3"  # type: ignore[arg-type]


async def _assert_fails_open(redis: aredis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    settings = _settings(RateLimitRule(scope="ip", limit=1), gateway_rate_limit_timeout_seconds=0.2)
    async with _client(build(settings, redis, registry)) as http:
        with caplog.at_level(logging.WARNING, logger="gateway.policies.ratelimit"):
            started = time.monotonic()
            answers = [await http.get("/hello") for _ in range(3)]
            elapsed = time.monotonic() - started
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "x-ratelimit-limit" not in answers[0].headers
    assert elapsed < 3 * 0.2 + 1.0
    warnings = [r for r in caplog.records if "rate limits not enforced" in r.getMessage()]
    assert len(warnings) == 1, f"at most one line per {FAIL_OPEN_LOG_INTERVAL} s"
    assert registry.get_sample_value("chatmesh_ratelimit_fail_open_total") == 3


async def test_limits_fail_open_when_redis_is_down(caplog: pytest.LogCaptureFixture) -> None:
    dead = aredis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.1)
    try:
        await _assert_fails_open(dead, caplog)
    finally:
        await dead.aclose()


async def test_limits_fail_open_when_redis_hangs(caplog: pytest.LogCaptureFixture) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hanging = aredis.Redis(host="127.0.0.1", port=port)
    try:
        await _assert_fails_open(hanging, caplog)
    finally:
        await hanging.aclose()
        server.close()
