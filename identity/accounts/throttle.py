"""Failed-login throttling per account and per client IP, counted in Redis.

Fixed windows: the first failure starts a counter that expires after
``login_failure_window_seconds``; once it reaches the limit, logins for that
account (or from that IP) are refused with RESOURCE_EXHAUSTED and RetryInfo
until the counter expires. The check happens before the password is verified,
so a locked account costs no Argon2 work. A successful login clears the
account's counter (not the IP's: one good password must not unlock a guessing
IP). If Redis is unreachable, logins fail closed with UNAVAILABLE.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mesh.errors import QuotaViolation, ResourceExhausted, Unavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from mesh.config import Settings

__all__ = ["LoginThrottle"]


def _digest(value: str) -> str:
    """Keys never hold an email or IP in the clear (Redis dumps end up in odd places)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    subject: str


class LoginThrottle:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self._redis = redis
        self._window = settings.login_failure_window_seconds
        self._per_account = settings.login_max_failures_per_account
        self._per_ip = settings.login_max_failures_per_ip

    def _counters(self, tenant: str, email_key: str, ip: str | None) -> list[_Counter]:
        account = _digest(f"{tenant}|{email_key}")
        counters = [_Counter(f"login:fail:account:{account}", self._per_account, "account")]
        if ip:
            counters.append(_Counter(f"login:fail:ip:{_digest(ip)}", self._per_ip, "ip"))
        return counters

    async def check(self, tenant: str, email_key: str, ip: str | None) -> None:
        """Raise ResourceExhausted (with retry-after) when the account or the IP is locked out."""
        counters = self._counters(tenant, email_key, ip)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for counter in counters:
                    pipe.get(counter.key)
                    pipe.ttl(counter.key)
                answers = await pipe.execute()
        except Exception as exc:
            raise Unavailable("login is unavailable right now", retry_after=1.0) from exc
        for index, counter in enumerate(counters):
            count, ttl = answers[2 * index], answers[2 * index + 1]
            if count is not None and int(count) >= counter.limit:
                retry_after = float(ttl if ttl and ttl > 0 else self._window)
                raise ResourceExhausted(
                    "too many failed logins; try again later",
                    [QuotaViolation(counter.subject, f"{counter.limit} failed logins per {self._window} s")],
                    retry_after=retry_after,
                    reason="LOGIN_LOCKED",
                    metadata={"scope": counter.subject},
                )

    async def failed(self, tenant: str, email_key: str, ip: str | None) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for counter in self._counters(tenant, email_key, ip):
                    # SET NX starts the window (Redis 6.2 has no EXPIRE NX); INCR keeps the TTL.
                    pipe.set(counter.key, 0, ex=self._window, nx=True)
                    pipe.incr(counter.key)
                await pipe.execute()
        except Exception as exc:
            raise Unavailable("login is unavailable right now", retry_after=1.0) from exc

    async def succeeded(self, tenant: str, email_key: str) -> None:
        try:
            await self._redis.delete(self._counters(tenant, email_key, None)[0].key)
        except Exception as exc:
            raise Unavailable("login is unavailable right now", retry_after=1.0) from exc
