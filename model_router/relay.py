"""One request through the channels: select, call the adapter, fail over, until one answers.

Only failures another channel may fix are retried (connect errors, timeouts, 429, 5xx), and
a key the upstream refuses (401/403, quota) is parked and the request moves on; the caller's
own mistakes (400, 404, 422) go straight back. Every retry goes to a channel not yet tried
in this request — selection falls through to the next priority tier when a tier is used up —
after an exponential backoff with full jitter, never shorter than the upstream's
``Retry-After`` (capped). A stream fails over only until its first chunk reaches the caller;
after that a failure ends the stream. Every attempt is logged with its outcome.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import httpx
from chatmesh.model_router.v1 import inference_pb2

from mesh.errors import DomainError, InvalidArgument, NotFound, ResourceExhausted, Unavailable
from model_router.adapters import Adapter, SseEvent, StreamParser, Target, UpstreamError, adapter_for
from model_router.adapters.transport import post_json, post_stream
from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.domain.selection import ChannelIndex, SelectionRequest, select_channel
from model_router.key_parking import KeyParking

__all__ = ["Attempt", "Relay", "RetryPolicy", "Route", "StreamStart", "upstream_client"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def upstream_client() -> httpx.AsyncClient:
    """The one HTTP client every upstream call shares (connection pools per provider host)."""
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200, keepalive_expiry=30.0)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0, connect=10.0), trust_env=False)


class ChannelSource(Protocol):
    @property
    def index(self) -> ChannelIndex: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.05
    max_delay: float = 1.0
    max_retry_after: float = 5.0
    timeout_seconds: float = 120.0

    def delay(self, failed_attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Full jitter on an exponential ceiling; a Retry-After (capped) is the floor."""
        backoff = rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (failed_attempt - 1)))
        return max(backoff, min(retry_after or 0.0, self.max_retry_after))


@dataclass(frozen=True)
class Attempt:
    number: int
    channel_id: str
    channel_name: str
    key_id: str
    outcome: str  # "ok" or the failure reason
    seconds: float


@dataclass
class Route:
    """Which channel served the request, and the attempts it took."""

    channel: RoutableChannel | None = None
    upstream_model: str = ""
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def attempt(self) -> int:
        return len(self.attempts)


@dataclass
class StreamStart:
    """A stream whose upstream has answered with its first responses (failover is over)."""

    route: Route
    first: list[inference_pb2.ChatCompletionResponse]
    rest: AsyncGenerator[list[inference_pb2.ChatCompletionResponse], None]

    async def close(self) -> None:
        """Release the upstream connection (a no-op once the stream has ended)."""
        await self.rest.aclose()


@dataclass(frozen=True)
class _Pick:
    channel: RoutableChannel
    key: ChannelKey
    adapter: Adapter
    target: Target


class Relay:
    def __init__(
        self,
        channels: ChannelSource,
        http: httpx.AsyncClient,
        *,
        parking: KeyParking | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._channels = channels
        self._http = http
        self._parking = parking or KeyParking()
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()

    # ---- public ----

    async def close(self) -> None:
        await self._http.aclose()

    async def complete(
        self,
        request: inference_pb2.ChatCompletionRequest,
        group: str,
        *,
        only: RoutableChannel | None = None,
    ) -> tuple[inference_pb2.ChatCompletionResponse, Route]:
        """A whole completion; ``only`` pins one channel (channel tests), with no failover elsewhere."""
        abilities = frozenset({"tools"} if request.tools or request.functions else ())

        async def call(pick: _Pick) -> inference_pb2.ChatCompletionResponse:
            body = await post_json(
                self._http, pick.adapter, pick.adapter.chat_request(request, pick.target), self._timeout(pick)
            )
            return pick.adapter.chat_response(body)

        return await self._run(request.model, group, abilities, call, only=only)

    async def embed(
        self, request: inference_pb2.EmbedRequest, group: str
    ) -> tuple[inference_pb2.EmbedResponse, Route]:
        async def call(pick: _Pick) -> inference_pb2.EmbedResponse:
            upstream = pick.adapter.embed_request(request, pick.target)
            return pick.adapter.embed_response(
                await post_json(self._http, pick.adapter, upstream, self._timeout(pick))
            )

        return await self._run(request.model, group, frozenset({"embeddings"}), call)

    async def stream(self, request: inference_pb2.ChatCompletionRequest, group: str) -> StreamStart:
        """Fail over until an upstream produced its first responses; the rest streams from that one."""
        abilities = frozenset({"streaming", *(("tools",) if request.tools or request.functions else ())})

        async def call(pick: _Pick) -> StreamStart:
            parser = pick.adapter.stream_parser()
            events = post_stream(
                self._http, pick.adapter, pick.adapter.chat_request(request, pick.target), self._timeout(pick)
            ).__aiter__()
            try:
                async for event in events:
                    first = parser.feed(event)
                    if first:
                        return StreamStart(Route(), first, _rest(events, parser))
                raise UpstreamError(
                    "upstream stream ended before any chunk", retryable=True, reason="empty_stream"
                )
            except BaseException:
                await _close(events)
                raise

        start, route = await self._run(request.model, group, abilities, call)
        start.route = route
        return start

    # ---- attempts ----

    def _timeout(self, pick: _Pick) -> float:
        return pick.channel.timeout_seconds or self._policy.timeout_seconds

    def _pick(
        self, model: str, group: str, abilities: frozenset[str], tried: set[str], only: RoutableChannel | None
    ) -> _Pick | None:
        """The next channel not yet tried with a usable key and a known adapter; others are skipped."""
        while True:
            if only is not None:
                channel = None if only.id in tried else only
            else:
                request = SelectionRequest(model, group, abilities, frozenset(tried))
                channel = select_channel(self._channels.index, request, self._rng)
            if channel is None:
                return None
            tried.add(channel.id)
            adapter = adapter_for(channel.type)
            key = self._parking.pick(channel.keys, self._rng)
            if adapter is None or key is None:
                log.warning(
                    "channel skipped",
                    extra={
                        "channel_id": channel.id,
                        "reason": "no_adapter" if adapter is None else "no_usable_key",
                    },
                )
                continue
            target = Target(
                channel.base_url, key.secret, channel.upstream_model(model), dict(channel.settings)
            )
            return _Pick(channel, key, adapter, target)

    async def _run(
        self,
        model: str,
        group: str,
        abilities: frozenset[str],
        call: Callable[[_Pick], Awaitable[T]],
        *,
        only: RoutableChannel | None = None,
    ) -> tuple[T, Route]:
        route = Route()
        tried: set[str] = set()
        last: UpstreamError | None = None
        for number in range(1, self._policy.max_attempts + 1):
            pick = self._pick(model, group, abilities, tried, only)
            if pick is None:
                break
            started = time.monotonic()
            try:
                result = await call(pick)
            except UpstreamError as exc:
                self._record(route, number, pick, exc.reason, started, exc)
                if exc.key_fault:
                    self._parking.park(pick.key.id, exc.reason)
                if not (exc.retryable or exc.key_fault):
                    raise _caller_error(exc) from exc
                last = exc
                if number < self._policy.max_attempts:
                    await asyncio.sleep(self._policy.delay(number, exc.retry_after, self._rng))
                continue
            self._record(route, number, pick, "ok", started, None)
            route.channel = pick.channel
            route.upstream_model = pick.target.model
            return result, route
        raise _exhausted(model, route, last, considered=bool(tried))

    def _record(
        self,
        route: Route,
        number: int,
        pick: _Pick,
        outcome: str,
        started: float,
        error: UpstreamError | None,
    ) -> None:
        attempt = Attempt(
            number, pick.channel.id, pick.channel.name, pick.key.id, outcome, time.monotonic() - started
        )
        route.attempts.append(attempt)
        extra = {
            "attempt": number,
            "channel_id": attempt.channel_id,
            "channel_name": attempt.channel_name,
            "key_id": attempt.key_id,
            "outcome": outcome,
            "status": error.status if error else None,
            "seconds": round(attempt.seconds, 4),
        }
        if error is None:
            log.info("upstream attempt succeeded", extra=extra)
        else:
            log.warning("upstream attempt failed: %s", error.message[:200], extra=extra)


async def _rest(
    events: AsyncIterator[SseEvent], parser: StreamParser
) -> AsyncGenerator[list[inference_pb2.ChatCompletionResponse], None]:
    """Responses after the first; a failure now is final (the caller has output already)."""
    try:
        async for event in events:
            responses = parser.feed(event)
            if responses:
                yield responses
    except UpstreamError as exc:
        raise Unavailable(
            f"upstream failed mid-stream: {exc.message}", reason="UPSTREAM_STREAM_FAILED"
        ) from exc
    finally:
        await _close(events)


async def _close(events: AsyncIterator[SseEvent]) -> None:
    closer = getattr(events, "aclose", None)
    if closer is not None:
        await closer()


def _caller_error(exc: UpstreamError) -> DomainError:
    """An upstream refusal that is the caller's fault, shown to the caller as such."""
    metadata = {"upstream_status": str(exc.status or "")}
    if exc.status == 404:
        return NotFound(exc.message, reason="UPSTREAM_NOT_FOUND", metadata=metadata)
    if exc.status == 413:
        return InvalidArgument(exc.message, reason="UPSTREAM_TOO_LARGE", metadata=metadata)
    return InvalidArgument(exc.message, reason="UPSTREAM_REJECTED", metadata=metadata)


def _exhausted(model: str, route: Route, last: UpstreamError | None, *, considered: bool) -> DomainError:
    if not considered:
        return NotFound(
            f"The model `{model}` does not exist or you do not have access to it.", reason="MODEL_NOT_FOUND"
        )
    detail = last.message if last is not None else "no usable channel left"
    metadata = {"attempts": str(len(route.attempts)), "last_reason": last.reason if last else "none"}
    if last is not None and last.status == 429:
        return ResourceExhausted(
            f"All upstream channels are rate limited: {detail}",
            retry_after=last.retry_after,
            reason="UPSTREAM_RATE_LIMITED",
            metadata=metadata,
        )
    retry_after = last.retry_after if last is not None else None
    return Unavailable(
        f"No upstream channel could serve the request: {detail}",
        retry_after,
        reason="UPSTREAM_UNAVAILABLE",
        metadata=metadata,
    )
