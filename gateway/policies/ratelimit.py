"""Rate limits at the edge: per IP, user, API key, tenant and model, shared by every gateway instance.

Rules come from settings (``gateway_rate_limits``, ``gateway_tenant_rpm``); each names whose
requests it counts (its scope), how many it allows, and which routes it covers (a glob on the RPC
name or the request path). Counting happens in Redis (:mod:`gateway.policies.limit_script`), so
two gateway processes enforce one limit together.

Limits protect the services; they are not authentication. When Redis cannot answer in time the
request goes through (fail open), with a warning in the log (at most one every
``FAIL_OPEN_LOG_INTERVAL`` seconds) and ``chatmesh_ratelimit_fail_open_total`` counting every case.

Headers (on every response of a limited route, allowed or not): ``X-RateLimit-Limit`` and
``X-RateLimit-Remaining`` of the tightest limit, ``X-RateLimit-Reset`` in whole seconds until its
count next drops; a refusal adds ``Retry-After`` (whole seconds, rounded up).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import translate
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from redis.exceptions import RedisError

from gateway.policies import limit_script
from gateway.policies.limit_script import Check, Outcome
from mesh.config import RateLimitRule, Settings
from mesh.errors import QuotaViolation, ResourceExhausted

__all__ = ["FAIL_OPEN_LOG_INTERVAL", "RateLimited", "RateLimiter"]

FAIL_OPEN_LOG_INTERVAL = 10.0
TENANT_WINDOW_SECONDS = 60.0
ALL_ROUTES = "*"
ANY_TENANT = "*"

log = logging.getLogger(__name__)


class RateLimited(ResourceExhausted):
    """A request over a limit: HTTP 429 with ``headers`` (Retry-After and X-RateLimit-*).

    A ResourceExhausted, so anything that renders DomainErrors answers 429 with RetryInfo and
    QuotaFailure details; ``retry_after`` is whole seconds.
    """

    def __init__(self, retry_after: int, headers: Mapping[str, str], violation: QuotaViolation) -> None:
        super().__init__(
            f"rate limit exceeded; retry after {retry_after} s",
            [violation],
            retry_after,
            reason="RATE_LIMITED",
            domain="chatmesh.gateway",
            metadata={"subject": violation.subject},
        )
        self.retry_after: int = retry_after
        self.headers: dict[str, str] = dict(headers)


@dataclass(frozen=True, slots=True)
class _Rule:
    rule: RateLimitRule
    pattern: re.Pattern[str]

    def covers(self, route: str, path: str | None) -> bool:
        return bool(self.pattern.match(route) or (path is not None and self.pattern.match(path)))


@dataclass(frozen=True, slots=True)
class _Applied:
    """One limit that applies to one request, with what a refusal should say about it."""

    check: Check
    subject: str
    description: str


def _whole_seconds(seconds: float) -> int:
    return max(0, math.ceil(seconds - 1e-9))


def _caller_ids(
    ip: str | None, user_id: str | None, api_key_id: str | None, tenant_id: str | None, model: str | None
) -> dict[str, str | None]:
    anonymous = not user_id and not api_key_id
    return {
        "ip": ip,
        "anonymous": ip if anonymous else None,
        "user": user_id,
        "api_key": api_key_id,
        "tenant": tenant_id,
        "model": model,
    }


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.fail_open = Counter(
            "chatmesh_ratelimit_fail_open",
            "Requests let through unchecked because Redis could not answer",
            registry=registry,
        )
        self.refused = Counter(
            "chatmesh_ratelimit_refused",
            "Requests refused by a rate limit",
            ["scope"],
            registry=registry,
        )


class RateLimiter:
    """Checks and counts requests against the configured limits (see the module docstring).

    ``clock`` (seconds) replaces the Redis server's clock; tests use it to step time.
    """

    def __init__(
        self,
        redis: Any,
        rules: Sequence[RateLimitRule],
        *,
        tenant_rpm: Mapping[str, int] | None = None,
        timeout_seconds: float = 0.25,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._redis = redis
        self._rules = [_Rule(rule, re.compile(translate(rule.match))) for rule in rules]
        self._tenant_rpm = dict(tenant_rpm or {})
        self._timeout = timeout_seconds
        self._clock = clock
        self._metrics = _Metrics(registry or CollectorRegistry())
        self._last_fail_open_log = -math.inf
        self._suppressed = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, redis: Any, *, registry: CollectorRegistry | None = None
    ) -> RateLimiter:
        return cls(
            redis,
            settings.gateway_rate_limits,
            tenant_rpm=settings.gateway_tenant_rpm,
            timeout_seconds=settings.gateway_rate_limit_timeout_seconds,
            registry=registry,
        )

    async def enforce(
        self,
        *,
        route: str,
        ip: str | None,
        user_id: str | None,
        api_key_id: str | None,
        tenant_id: str | None,
        model: str | None = None,
        path: str | None = None,
        tenant_rpm: int | None = None,
    ) -> dict[str, str]:
        """Count one request; the X-RateLimit-* headers, or raise :class:`RateLimited`.

        ``route`` is the RPC name (``package.Service/Method``) or, for routes that are not an RPC,
        the route's path template; ``path`` the request path, so rules may glob on either.
        ``tenant_rpm`` is the tenant's own requests-per-minute when the caller's principal carries
        it; otherwise ``gateway_tenant_rpm`` decides. No applicable limit: no headers.
        """
        applied = self._applicable(route, path, _caller_ids(ip, user_id, api_key_id, tenant_id, model))
        applied += self._tenant_limit(tenant_id, tenant_rpm)
        if not applied or self._redis is None:
            return {}
        checks = [item.check for item in applied]
        try:
            allowed, outcomes = await asyncio.wait_for(
                limit_script.run(self._redis, checks, f"{random.getrandbits(64):016x}", self._now()),
                self._timeout,
            )
        except (RedisError, OSError, TimeoutError) as exc:
            self._fail_open(exc)
            return {}
        if allowed:
            return _headers(*_tightest(checks, outcomes))
        refusing = max(range(len(outcomes)), key=lambda i: outcomes[i].retry_after)
        check, outcome = checks[refusing], outcomes[refusing]
        retry_after = max(1, _whole_seconds(outcome.retry_after))
        headers = _headers(check, outcome) | {"Retry-After": str(retry_after)}
        self._metrics.refused.labels(check.key.split(":", 2)[1]).inc()
        item = applied[refusing]
        raise RateLimited(retry_after, headers, QuotaViolation(item.subject, item.description))

    def _now(self) -> float | None:
        return self._clock() if self._clock is not None else None

    def _applicable(self, route: str, path: str | None, ids: Mapping[str, str | None]) -> list[_Applied]:
        applied: list[_Applied] = []
        for entry in self._rules:
            rule = entry.rule
            caller = ids[rule.scope]
            if not caller or not entry.covers(route, path):
                continue
            target = route if rule.per_route else rule.match
            algorithm: limit_script.Algorithm = "b" if rule.algorithm == "token_bucket" else "w"
            key = f"rl:{rule.scope}:{caller}:{target}:{algorithm}{rule.limit}/{rule.window_seconds:g}"
            check = Check(key, algorithm, rule.limit, rule.window_seconds, rule.burst or rule.limit)
            description = f"{rule.limit} requests per {rule.window_seconds:g} s ({rule.algorithm})"
            applied.append(_Applied(check, f"{rule.scope}:{caller}", description))
        return applied

    def _tenant_limit(self, tenant_id: str | None, tenant_rpm: int | None) -> list[_Applied]:
        if not tenant_id:
            return []
        rpm = tenant_rpm if tenant_rpm is not None else self._tenant_rpm.get(tenant_id)
        if rpm is None:
            rpm = self._tenant_rpm.get(ANY_TENANT)
        if not rpm or rpm <= 0:
            return []
        key = f"rl:tenant:{tenant_id}:{ALL_ROUTES}:w{rpm}/{TENANT_WINDOW_SECONDS:g}"
        check = Check(key, "w", rpm, TENANT_WINDOW_SECONDS, rpm)
        return [_Applied(check, f"tenant:{tenant_id}", f"tenant quota of {rpm} requests per minute")]

    def _fail_open(self, exc: BaseException) -> None:
        self._metrics.fail_open.inc()
        now = time.monotonic()
        if now - self._last_fail_open_log < FAIL_OPEN_LOG_INTERVAL:
            self._suppressed += 1
            return
        log.warning(
            "rate limits not enforced: Redis did not answer (%s); letting requests through",
            type(exc).__name__,
            extra={"suppressed_since_last": self._suppressed},
        )
        self._last_fail_open_log = now
        self._suppressed = 0


def _tightest(checks: Sequence[Check], outcomes: Sequence[Outcome]) -> tuple[Check, Outcome]:
    """The limit closest to refusing: fewest remaining, then smallest limit."""
    index = min(range(len(checks)), key=lambda i: (outcomes[i].remaining, checks[i].limit))
    return checks[index], outcomes[index]


def _headers(check: Check, outcome: Outcome) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(check.limit),
        "X-RateLimit-Remaining": str(max(0, outcome.remaining)),
        "X-RateLimit-Reset": str(_whole_seconds(outcome.reset)),
    }
