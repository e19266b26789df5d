"""One request through the channels: select, call the adapter, fail over, until one answers.

Only failures another channel may fix are retried (connect errors, timeouts, 429, 5xx), and
a key the upstream refuses (401/403, quota) is parked and the request moves on; the caller's
own mistakes (400, 404, 422) go straight back. Every retry goes to a channel not yet tried
in this request — selection falls through to the next priority tier when a tier is used up —
after an exponential backoff with full jitter, never shorter than the upstream's
``Retry-After`` (capped). A stream fails over only until its first chunk reaches the caller;
after that a failure ends the stream. Every attempt is logged with its outcome.

Every attempt's outcome also goes to the channel health tracker (model_router.health):
failures the channel is to blame for (the retryable ones) feed its circuit breaker,
successes its latency / time-to-first-token average, and in-flight counts cover each
attempt (for streams, until the stream ends). Selection reads that health back: open
breakers are skipped and the configured strategy ranks the rest (model_router.config).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import httpx
from chatmesh.model_router.v1 import inference_pb2

from mesh.errors import DomainError, InvalidArgument, NotFound, ResourceExhausted, Unavailable
from model_router.adapters import Adapter, SseEvent, StreamParser, Target, UpstreamError, adapter_for
from model_router.adapters.transport import post_json, post_stream_batches
from model_router.config import ModelRouterSettings
from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.domain.selection import ChannelIndex, SelectionRequest, select_channel
from model_router.health.tracker import ChannelHealth
from model_router.key_parking import KeyParking

__all__ = [
    "Attempt",
    "Relay",
    "RetryPolicy",
    "Route",
    "StreamStart",
    "route_of",
    "upstream_client",
    "upstream_clients",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

UPSTREAM_SHARDS = 4


def upstream_client(max_connections: int = 1000) -> httpx.AsyncClient:
    """An HTTP client for upstream calls (connection pools per provider host)."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max(1, max_connections // 5),
        keepalive_expiry=30.0,
    )
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0, connect=10.0), trust_env=False)


def upstream_clients(shards: int = UPSTREAM_SHARDS) -> list[httpx.AsyncClient]:
    """Several clients the relay takes turns with, each with its share of the connection limit.

    httpcore scans every connection of its pool when a request starts and when a response
    is closed, under one lock; at many concurrent streams that scan shows in the profile.
    Shards keep each pool small (the limits add up to one client's).
    """
    return [upstream_client(max(1, 1000 // shards)) for _ in range(shards)]


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
    """Which channel served the request, and the attempts it took.

    ``ttft_seconds`` (streams only): from the relay receiving the request to the first
    chunk being ready for the caller, failed attempts and backoff included.
    """

    channel: RoutableChannel | None = None
    upstream_model: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    ttft_seconds: float | None = None

    @property
    def attempt(self) -> int:
        return len(self.attempts)


@dataclass
class StreamStart:
    """A stream whose upstream has answered with its first responses (failover is over)."""

    route: Route
    first: list[inference_pb2.ChatCompletionResponse]
    rest: AsyncGenerator[list[inference_pb2.ChatCompletionResponse], None]
    release: Callable[[], None] = lambda: None  # ends the attempt's in-flight count (idempotent)

    async def close(self) -> None:
        """Release the upstream connection (a no-op once the stream has ended)."""
        try:
            await self.rest.aclose()
        finally:
            self.release()


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
        http: httpx.AsyncClient | Sequence[httpx.AsyncClient],
        *,
        parking: KeyParking | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        health: ChannelHealth | None = None,
        config: ModelRouterSettings | None = None,
    ) -> None:
        """``health`` defaults to the channel source's own (the registry shares it with its monitor).

        ``http``: one client, or several (:func:`upstream_clients`) that requests take turns with.
        """
        self._channels = channels
        self._clients = (http,) if isinstance(http, httpx.AsyncClient) else tuple(http)
        self._turn = itertools.cycle(self._clients)
        shared = health if health is not None else getattr(channels, "health", None)
        self._health: ChannelHealth = shared if shared is not None else ChannelHealth(config, parking=parking)
        self._config = config or self._health.config
        self._parking = parking or self._health.parking
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()

    @property
    def health(self) -> ChannelHealth:
        return self._health

    # ---- public ----

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()

    @property
    def _http(self) -> httpx.AsyncClient:
        return next(self._turn)

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

        begun = time.monotonic()

        async def call(pick: _Pick) -> StreamStart:
            parser = pick.adapter.stream_parser()
            batches = post_stream_batches(
                self._http, pick.adapter, pick.adapter.chat_request(request, pick.target), self._timeout(pick)
            ).__aiter__()
            try:
                async for events in batches:
                    first = _parse(parser, events)
                    if first:
                        release = _Once(lambda: self._health.finished(pick.channel.id))
                        rest = _rest(batches, parser, pick.channel.id, self._health, release)
                        return StreamStart(Route(), first, rest, release)
                raise UpstreamError(
                    "upstream stream ended before any chunk", retryable=True, reason="empty_stream"
                )
            except BaseException:
                await _close(batches)
                raise

        start, route = await self._run(request.model, group, abilities, call, stream=True)
        route.ttft_seconds = time.monotonic() - begun
        start.route = route
        return start

    # ---- attempts ----

    def _timeout(self, pick: _Pick) -> float:
        return pick.channel.timeout_seconds or self._policy.timeout_seconds

    def _strategy(self, model: str, group: str) -> str:
        config = self._config
        return (
            config.strategy_by_model.get(model)
            or config.strategy_by_group.get(group)
            or config.selection_strategy
        )

    def _pick(
        self,
        model: str,
        group: str,
        abilities: frozenset[str],
        tried: set[str],
        only: RoutableChannel | None,
        stream: bool,
    ) -> _Pick | None:
        """The next channel not yet tried with a usable key and a known adapter; others are skipped."""
        strategy = self._strategy(model, group)
        while True:
            if only is not None:
                channel = None if only.id in tried else only
            else:
                request = SelectionRequest(model, group, abilities, frozenset(tried), stream)
                channel = select_channel(self._channels.index, request, self._rng, self._health, strategy)
            if channel is None:
                return None
            tried.add(channel.id)
            adapter = adapter_for(channel.type)
            rotation = channel.id if channel.key_selection == "round_robin" else ""
            key = self._parking.pick(channel.keys, self._rng, round_robin=rotation)
            if key is None:
                self._health.no_usable_key(channel.id)
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
        stream: bool = False,
    ) -> tuple[T, Route]:
        route = Route()
        tried: set[str] = set()
        last: UpstreamError | None = None
        for number in range(1, self._policy.max_attempts + 1):
            pick = self._pick(model, group, abilities, tried, only, stream)
            if pick is None:
                break
            try:
                result = await self._attempt(route, number, pick, call, stream)
            except UpstreamError as exc:
                if not (exc.retryable or exc.key_fault):
                    raise _routed(_caller_error(exc), route) from exc
                last = exc
                if number < self._policy.max_attempts:
                    await asyncio.sleep(self._policy.delay(number, exc.retry_after, self._rng))
                continue
            route.channel = pick.channel
            route.upstream_model = pick.target.model
            return result, route
        raise _routed(_exhausted(model, route, last, considered=bool(tried)), route)

    async def _attempt(
        self, route: Route, number: int, pick: _Pick, call: Callable[[_Pick], Awaitable[T]], stream: bool
    ) -> T:
        """One upstream call, its outcome recorded on the route and reported to channel health.

        A stream that started keeps its in-flight count until it ends (StreamStart.release).
        """
        channel_id = pick.channel.id
        started = time.monotonic()
        self._health.started(channel_id)
        try:
            result = await call(pick)
        except UpstreamError as exc:
            self._health.finished(channel_id)
            self._record(route, number, pick, exc.reason, started, exc)
            if exc.key_fault:
                self._parking.park(pick.key.id, exc.reason)
            elif exc.retryable:
                self._health.failed(channel_id, exc.reason, exc.status or 0)
            raise
        except BaseException:
            self._health.finished(channel_id)
            raise
        if not stream:
            self._health.finished(channel_id)
        seconds = self._record(route, number, pick, "ok", started, None)
        self._health.succeeded(channel_id, seconds, stream=stream)
        return result

    def _record(
        self,
        route: Route,
        number: int,
        pick: _Pick,
        outcome: str,
        started: float,
        error: UpstreamError | None,
    ) -> float:
        attempt = Attempt(
            number, pick.channel.id, pick.channel.name, pick.key.id, outcome, time.monotonic() - started
        )
        route.attempts.append(attempt)
        if error is None and not log.isEnabledFor(logging.INFO):
            return attempt.seconds
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
        return attempt.seconds


class _Once:
    """Calls ``action`` the first time it is called, never again."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


def _parse(parser: StreamParser, events: list[SseEvent]) -> list[inference_pb2.ChatCompletionResponse]:
    if len(events) == 1:
        return parser.feed(events[0])
    responses: list[inference_pb2.ChatCompletionResponse] = []
    for event in events:
        responses.extend(parser.feed(event))
    return responses


async def _rest(
    batches: AsyncIterator[list[SseEvent]],
    parser: StreamParser,
    channel_id: str,
    health: ChannelHealth,
    release: Callable[[], None],
) -> AsyncGenerator[list[inference_pb2.ChatCompletionResponse], None]:
    """Responses after the first, a list per network read; a failure now is final (the caller has output)."""
    try:
        async for events in batches:
            responses = _parse(parser, events)
            if responses:
                yield responses
    except UpstreamError as exc:
        if exc.retryable:
            health.failed(channel_id, f"mid-stream {exc.reason}", exc.status or 0)
        raise Unavailable(
            f"upstream failed mid-stream: {exc.message}", reason="UPSTREAM_STREAM_FAILED"
        ) from exc
    finally:
        release()
        await _close(batches)


async def _close(events: AsyncIterator[object]) -> None:
    closer = getattr(events, "aclose", None)
    if closer is not None:
        await closer()


_ROUTE_ATTRIBUTE = "relay_route"


def _routed(error: DomainError, route: Route) -> DomainError:
    """The error the relay gives up with, carrying its route (usage records of failures need it)."""
    setattr(error, _ROUTE_ATTRIBUTE, route)
    return error


def route_of(error: BaseException) -> Route | None:
    """The route a relay failure carries: the attempts made and the channels they went to."""
    route = getattr(error, _ROUTE_ATTRIBUTE, None)
    return route if isinstance(route, Route) else None


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
