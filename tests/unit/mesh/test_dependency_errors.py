"""A database or Redis that is down or out of connections answers UNAVAILABLE with RetryInfo.

The exceptions are the ones the drivers really raise: a QueuePool that times out, asyncpg's
refused connect, redis-py's refused connect; "too many connections" is asyncpg's own error
class wrapped the way SQLAlchemy wraps it. They go through the ErrorLayer every service's
server uses, and the resulting status through the gateway's HTTP mapping; a token verifier
whose store is down is answered the same way by the AuthLayer.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, NoReturn

import asyncpg
import grpc
import pytest
import redis.asyncio
import redis.exceptions
import sqlalchemy
import sqlalchemy.exc
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import QueuePool

from gateway.errors import error_response
from mesh.auth import AuthLayer, Principal
from mesh.errors import STATUS_DETAILS_KEY
from mesh.interceptors import ErrorLayer


class Aborted(Exception):
    def __init__(self, code: grpc.StatusCode, trailing_metadata: Any) -> None:
        super().__init__(code)
        self.code = code
        self.trailing_metadata = trailing_metadata


class FakeContext:
    """Just what ErrorLayer touches: ``abort`` (grpc's raises, so does this one)."""

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()) -> NoReturn:
        raise Aborted(code, trailing_metadata)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def status_for(raise_it: Callable[[], Any]) -> status_pb2.Status:
    async def behavior(request: Any, context: Any) -> Any:
        await raise_it()

    mapped = ErrorLayer("analytics").unary("/chatmesh.analytics.v1.AnalyticsService/GetUsage", behavior)
    with pytest.raises(Aborted) as caught:
        await mapped(None, FakeContext())
    trailers = dict(caught.value.trailing_metadata)
    return status_pb2.Status.FromString(trailers[STATUS_DETAILS_KEY])


def reason_and_retry(status: status_pb2.Status) -> tuple[str, float | None]:
    reason, retry = "", None
    for packed in status.details:
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            reason = info.reason
        if packed.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry_info = error_details_pb2.RetryInfo()
            packed.Unpack(retry_info)
            retry = retry_info.retry_delay.ToNanoseconds() / 1e9
    return reason, retry


async def pool_timeout() -> None:
    engine = sqlalchemy.create_engine(
        "sqlite://", poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=0.01
    )
    held = engine.connect()
    try:
        engine.connect()
    finally:
        held.close()
        engine.dispose()


async def too_many_connections() -> None:
    orig = asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already")
    raise sqlalchemy.exc.OperationalError("SELECT 1", {}, orig)


async def postgres_refused() -> None:
    engine = create_async_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{closed_port()}/x")
    try:
        async with engine.connect() as conn:
            await conn.execute(sqlalchemy.text("SELECT 1"))
    finally:
        await engine.dispose()


async def redis_refused() -> None:
    client = redis.asyncio.Redis(host="127.0.0.1", port=closed_port())
    try:
        await client.ping()
    finally:
        await client.aclose()


async def redis_timeout() -> None:
    raise redis.exceptions.TimeoutError("Timeout reading from socket")


@pytest.mark.parametrize(
    ("raise_it", "reason"),
    [
        (pool_timeout, "DATABASE_UNAVAILABLE"),
        (too_many_connections, "DATABASE_UNAVAILABLE"),
        (postgres_refused, "DEPENDENCY_UNAVAILABLE"),
        (redis_refused, "REDIS_UNAVAILABLE"),
        (redis_timeout, "REDIS_UNAVAILABLE"),
    ],
)
async def test_store_outage_is_unavailable_with_retry_info_and_a_503(
    raise_it: Callable[[], Any], reason: str
) -> None:
    status = await status_for(raise_it)

    assert status.code == grpc.StatusCode.UNAVAILABLE.value[0]
    assert reason_and_retry(status) == (reason, 1.0)
    response = error_response(status)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


async def test_a_bug_or_a_constraint_violation_stays_internal() -> None:
    async def integrity() -> None:
        raise sqlalchemy.exc.IntegrityError("INSERT", {}, asyncpg.exceptions.UniqueViolationError("dup"))

    async def bug() -> None:
        raise KeyError("oops")

    for raise_it in (integrity, bug):
        status = await status_for(raise_it)
        assert status.code == grpc.StatusCode.INTERNAL.value[0]
        assert reason_and_retry(status) == ("INTERNAL", None)
        assert error_response(status).status_code == 500


class AuthContext(FakeContext):
    """What AuthLayer reads before it verifies: the credential and the peer."""

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", "Bearer a.jwt.token"),)

    def peer(self) -> str:
        return "ipv4:127.0.0.1:40000"


class RedisDownVerifier:
    """A verifier whose revocation store cannot be reached (a real refused connect)."""

    async def verify(self, token: str) -> Principal:
        await redis_refused()
        raise AssertionError("unreachable: the connect is refused")


async def test_a_verifier_whose_store_is_down_answers_unavailable() -> None:
    async def behavior(request: Any, context: Any) -> Any:
        raise AssertionError("must not run without a principal")

    layer = AuthLayer(RedisDownVerifier(), "analytics")
    wrapped = layer.unary("/chatmesh.analytics.v1.AnalyticsService/GetUsage", behavior)
    with pytest.raises(Aborted) as caught:
        await wrapped(None, AuthContext())

    status = status_pb2.Status.FromString(dict(caught.value.trailing_metadata)[STATUS_DETAILS_KEY])
    assert status.code == grpc.StatusCode.UNAVAILABLE.value[0]
    assert reason_and_retry(status) == ("REDIS_UNAVAILABLE", 1.0)
