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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from identity.store import login_failures
from mesh.errors import QuotaViolation, ResourceExhausted, Unavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from identity.config import IdentitySettings

__all__ = ["LoginThrottle"]


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    subject: str


class LoginThrottle:
    def __init__(self, settings: IdentitySettings, redis: Redis) -> None:
        self._redis = redis
        self._window = settings.login_failure_window_seconds
        self._per_account = settings.login_max_failures_per_account
        self._per_ip = settings.login_max_failures_per_ip

    def _counters(self, tenant: str, email_key: str, ip: str | None) -> list[_Counter]:
        counters = [_Counter(login_failures.account_key(tenant, email_key), self._per_account, "account")]
        if ip:
            counters.append(_Counter(login_failures.ip_key(ip), self._per_ip, "ip"))
        return counters

    async def check(self, tenant: str, email_key: str, ip: str | None) -> None:
        """Raise ResourceExhausted (with retry-after) when the account or the IP is locked out."""
        counters = self._counters(tenant, email_key, ip)
        try:
            answers = await login_failures.read(self._redis, [c.key for c in counters])
        except Exception as exc:
            raise Unavailable("login is unavailable right now", retry_after=1.0) from exc
        for counter, (count, ttl) in zip(counters, answers, strict=True):
            if count is not None and count >= counter.limit:
                retry_after = float(ttl if ttl > 0 else self._window)
                raise ResourceExhausted(
                    "too many failed logins; try again later",
                    [QuotaViolation(counter.subject, f"{counter.limit} failed logins per {self._window} s")],
                    retry_after=retry_after,
                    reason="LOGIN_LOCKED",
                    metadata={"scope": counter.subject},
                )

    async def failed(self, tenant: str, email_key: str, ip: str | None) -> None:
        keys = [c.key for c in self._counters(tenant, email_key, ip)]
        try:
            await login_failures.count_failure(self._redis, keys, self._window)
        except Exception as exc:
            raise Unavailable("login is unavailable right now", retry_after=1.0) from exc

    async def succeeded(self, tenant: str, email_key: str) -> None:
        try:
            await login_failures.clear(self._redis, login_failures.account_key(tenant, email_key))
        except Exception as exc:
            raise Unavailable("login is unavailable right now", retry_after=1.0) from exc
