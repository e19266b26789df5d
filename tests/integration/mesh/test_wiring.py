"""mesh.wiring.build_service against the real embedded Postgres and Redis.

Each resource constructor in mesh.wiring is wrapped so the test sees which closers
ran and in which order; the resources themselves are the real ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh import authz, wiring
from mesh.auth import Principal
from mesh.config import Settings
from mesh.errors import Internal, Unauthenticated
from mesh.wiring import Assembled, Resources, build_service

Closer = Callable[[], Awaitable[None]]


class Boom(Exception):
    """Raised by a test's assemble step to fail the build mid-way."""


def _record(
    closed: list[str], name: str, close: Callable[[], Awaitable[Any]]
) -> Callable[[], Awaitable[None]]:
    async def recording_close() -> None:
        closed.append(name)
        await close()

    return recording_close


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the shared resources closed, in order."""
    order: list[str] = []
    real_create_engine, real_connect_redis = wiring.create_engine, wiring.connect_redis
    real_make_discovery, real_remote_verifier = wiring.make_discovery, wiring.remote_verifier

    ours: set[int] = set()
    real_dispose = AsyncEngine.dispose

    async def dispose(self: AsyncEngine, close: bool = True) -> None:
        if id(self) in ours:
            order.append("engine")
        await real_dispose(self, close)

    def create_engine(settings: Settings, service: str) -> Any:
        engine = real_create_engine(settings, service)
        ours.add(id(engine))
        return engine

    monkeypatch.setattr(AsyncEngine, "dispose", dispose)

    def connect_redis(settings: Settings) -> Any:
        redis = real_connect_redis(settings)
        monkeypatch.setattr(redis, "aclose", _record(order, "redis", redis.aclose))
        return redis

    def make_discovery(settings: Settings) -> Any:
        discovery = real_make_discovery(settings)
        monkeypatch.setattr(discovery, "close", _record(order, "discovery", discovery.close))
        return discovery

    async def remote_verifier(
        settings: Settings, discovery: Any
    ) -> tuple[Any, Callable[[], Awaitable[None]]]:
        verifier, close = await real_remote_verifier(settings, discovery)
        return verifier, _record(order, "verifier", close)

    class ServiceClients(wiring.ServiceClients):
        async def close(self, grace: float | None = None) -> None:
            order.append("clients")
            await super().close(grace)

    for name, fake in [
        ("create_engine", create_engine),
        ("connect_redis", connect_redis),
        ("make_discovery", make_discovery),
        ("remote_verifier", remote_verifier),
    ]:
        monkeypatch.setattr(wiring, name, fake)
    monkeypatch.setattr(wiring, "ServiceClients", ServiceClients)
    return order


async def test_a_failing_assemble_closes_everything_opened_newest_first(
    settings: Settings, closed: list[str]
) -> None:
    seen: list[Resources] = []

    async def assemble(res: Resources) -> Assembled:
        seen.append(res)
        assert await res.redis.ping()
        res.stack.push_async_callback(_record(closed, "service", _noop))
        raise Boom("deps could not open")

    with pytest.raises(Boom):
        await build_service(settings, "orchestrator", assemble)
    assert seen and seen[0].clients is not None
    assert closed == ["service", "clients", "verifier", "redis", "engine", "discovery"]


async def test_shutdown_hook_closes_all_but_discovery(settings: Settings, closed: list[str]) -> None:
    async def assemble(res: Resources) -> Assembled:
        res.stack.push_async_callback(_record(closed, "service", _noop))
        return Assembled(bindings=[])

    parts = await build_service(settings, "orchestrator", assemble)
    assert closed == []
    assert parts.verifier is not None and parts.discovery is not None
    assert authz.installed() is not None
    for hook in parts.on_shutdown:
        await hook()
    assert closed == ["service", "clients", "verifier", "redis", "engine"]
    with pytest.raises(Internal):
        authz.installed()
    await parts.discovery.close()
    assert closed[-1] == "discovery"


async def test_authorizer_is_installed_and_a_later_failure_still_closes_it(
    settings: Settings, closed: list[str]
) -> None:
    installed: list[authz.Authorizer] = []

    async def assemble(res: Resources) -> Assembled:
        installed.append(authz.installed())
        raise Boom("after the authorizer")

    try:
        with pytest.raises(Boom):
            await build_service(settings, "model_router", assemble)
    finally:
        authz.install(None)
    assert installed and installed[0]._listener is None
    assert closed == ["clients", "verifier", "redis", "engine", "discovery"]
    with pytest.raises(Internal, match="not configured"):
        authz.installed()


async def test_without_remote_auth_the_service_brings_its_verifier(
    settings: Settings, closed: list[str]
) -> None:
    own = _StaticVerifier()

    async def assemble(res: Resources) -> Assembled:
        assert res.clients is None
        with pytest.raises(RuntimeError):
            res.service_clients()
        return Assembled(bindings=[], verifier=own, authorizer=local)

    local = authz.Authorizer(_NobodyMay(), ttl=0.0)
    parts = await build_service(settings, "identity", assemble, remote_auth=False)
    assert parts.verifier is own
    assert authz.installed() is local
    for hook in parts.on_shutdown:
        await hook()
    with pytest.raises(Internal):
        authz.installed()
    assert parts.discovery is not None
    await parts.discovery.close()
    assert closed == ["redis", "engine", "discovery"]


async def test_switching_authorization_off_is_refused(settings: Settings) -> None:
    async def assemble(res: Resources) -> Assembled:
        raise AssertionError("must not be reached")

    with pytest.raises(ValueError, match="authorize"):
        await build_service(settings, "orchestrator", assemble, authorize=False)


async def test_a_service_verifying_itself_without_an_authorizer_does_not_start(
    settings: Settings, closed: list[str]
) -> None:
    """The wiring mistake of issue 10 (RPCs answering AUTHZ_NOT_CONFIGURED) fails the start instead."""

    async def assemble(res: Resources) -> Assembled:
        return Assembled(bindings=[], verifier=_StaticVerifier())

    with pytest.raises(RuntimeError, match="authorizer"):
        await build_service(settings, "identity", assemble, remote_auth=False)
    assert closed == ["redis", "engine", "discovery"]
    with pytest.raises(Internal):
        authz.installed()


async def _noop() -> None:
    return None


class _StaticVerifier:
    """A stand-in for identity's in-process verifier; never asked to verify here."""

    async def verify(self, token: str) -> Principal:
        raise Unauthenticated("not in this test")


class _NobodyMay:
    """A local permission checker refusing everything (identity brings its resolver)."""

    async def check(self, principal: Principal, permission: str) -> bool:
        return False
