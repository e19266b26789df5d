"""mesh.authz without a network: caching, coalescing, invalidation, require() as call and decorator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from mesh import authz
from mesh.auth import Principal, reset_principal, set_principal
from mesh.authz import Authorizer, require
from mesh.errors import Internal, PermissionDenied, Unauthenticated

ALICE = Principal(kind="user", subject="alice", tenant_id="t1")


class FakeChecker:
    def __init__(self, granted: set[str]) -> None:
        self.granted = granted
        self.calls: list[tuple[str, str]] = []
        self.gate: asyncio.Event | None = None

    async def check(self, principal: Principal, permission: str) -> bool:
        self.calls.append((principal.subject, permission))
        if self.gate is not None:
            await self.gate.wait()
        return permission in self.granted


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def as_alice() -> Iterator[None]:
    tokens = set_principal(ALICE)
    yield
    reset_principal(tokens)


@pytest.fixture
def installed() -> Iterator[FakeChecker]:
    checker = FakeChecker({"conversations:read"})
    authz.install(Authorizer(checker))
    yield checker
    authz.install(None)


async def test_decisions_are_cached_until_the_ttl() -> None:
    checker, clock = FakeChecker({"a:b"}), Clock()
    authorizer = Authorizer(checker, ttl=5, clock=clock)
    assert await authorizer.allowed(ALICE, "a:b")
    assert not await authorizer.allowed(ALICE, "c:d")
    assert await authorizer.allowed(ALICE, "a:b") and not await authorizer.allowed(ALICE, "c:d")
    assert len(checker.calls) == 2
    clock.now += 6
    await authorizer.allowed(ALICE, "a:b")
    assert len(checker.calls) == 3
    bob = Principal(kind="user", subject="bob", tenant_id="t1")
    await authorizer.allowed(bob, "a:b")
    assert checker.calls[-1] == ("bob", "a:b")


async def test_invalidation_drops_decisions_and_in_flight_answers() -> None:
    checker = FakeChecker({"a:b"})
    authorizer = Authorizer(checker, ttl=60)
    await authorizer.allowed(ALICE, "a:b")
    checker.granted.clear()
    authorizer.invalidate("*")
    assert not await authorizer.allowed(ALICE, "a:b")

    checker.gate = asyncio.Event()
    loading = asyncio.create_task(authorizer.allowed(ALICE, "x:y"))
    await asyncio.sleep(0)
    authorizer.invalidate()  # arrives while the answer is on its way: that answer is not cached
    checker.gate.set()
    await loading
    await authorizer.allowed(ALICE, "x:y")
    assert checker.calls.count(("alice", "x:y")) == 2


async def test_concurrent_misses_share_one_check() -> None:
    checker = FakeChecker({"a:b"})
    checker.gate = asyncio.Event()
    authorizer = Authorizer(checker)
    waiting = [asyncio.create_task(authorizer.allowed(ALICE, "a:b")) for _ in range(10)]
    await asyncio.sleep(0)
    checker.gate.set()
    assert all(await asyncio.gather(*waiting))
    assert len(checker.calls) == 1


async def test_failures_propagate_and_are_not_cached() -> None:
    class Broken:
        calls = 0

        async def check(self, principal: Principal, permission: str) -> bool:
            self.calls += 1
            raise ConnectionError("identity down")

    broken = Broken()
    authorizer = Authorizer(broken)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await authorizer.require("a:b", principal=ALICE)
    assert broken.calls == 2


async def test_require_needs_every_permission(installed: FakeChecker, as_alice: None) -> None:
    await require("conversations:read")
    with pytest.raises(PermissionDenied) as denied:
        await require("conversations:read", "conversations:delete")
    assert denied.value.reason == "PERMISSION_MISSING" and "conversations:delete" in denied.value.message


async def test_anonymous_callers_are_unauthenticated(installed: FakeChecker) -> None:
    with pytest.raises(Unauthenticated):
        await require("conversations:read")
    assert installed.calls == []


async def test_require_decorates_unary_and_streaming_handlers(installed: FakeChecker, as_alice: None) -> None:
    class Servicer:
        @require("conversations:read")
        async def Get(self, request: str, context: object) -> str:
            return request.upper()

        @require("conversations:delete")
        async def Purge(self, request: str, context: object) -> str:
            return "gone"

        @require("conversations:read")
        async def Stream(self, request: str, context: object) -> AsyncIterator[str]:
            for ch in request:
                yield ch

    servicer = Servicer()
    assert await servicer.Get("hi", None) == "HI"
    assert [c async for c in servicer.Stream("ab", None)] == ["a", "b"]
    with pytest.raises(PermissionDenied):
        await servicer.Purge("x", None)
    assert Servicer.Get.__name__ == "Get"


def test_require_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        require()
    with pytest.raises(TypeError):
        require("a:b")(lambda: None)


async def test_without_an_installed_authorizer_require_fails_closed(as_alice: None) -> None:
    authz.install(None)
    with pytest.raises(Internal):
        await require("a:b")
