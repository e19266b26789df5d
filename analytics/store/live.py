"""Per-second live counters in Redis, fed by ingestion and read by StreamLiveStats.

One hash per scope and second (``analytics:live:<scope>:<epoch second>``), expiring after
the longest live window: the platform (``all``), a tenant (``t:<tenant>``) and a user
(``u:<tenant>:<user>``). Fields: ``r`` requests, ``f`` failed, ``c`` cancelled, ``pt``/``ct``
prompt/completion tokens, ``cost``, ``ls`` latency sum (ms), ``lh:<i>``/``th:<i>`` latency
and TTFT sketch buckets, and ``m:<model>:<r|f|pt|ct|cost>`` per model. A window sums its
seconds' hashes; nothing here is authoritative (the rollups are), so a counter lost to a
crash between commit and increment only dents the live view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from redis.asyncio import Redis

from analytics.domain import sketch
from analytics.domain.facts import UsageFact

__all__ = ["LiveCounters", "scope_key"]

PREFIX = "analytics:live"


def scope_key(tenant_id: str = "", user_id: str = "") -> str:
    if user_id:
        return f"u:{tenant_id}:{user_id}"
    if tenant_id:
        return f"t:{tenant_id}"
    return "all"


def _fields(fact: UsageFact) -> Counter[str]:
    fields: Counter[str] = Counter()
    failed = int(fact.status == "failed")
    fields.update(
        {
            "r": 1,
            "f": failed,
            "c": int(fact.status == "cancelled"),
            "pt": fact.prompt_tokens,
            "ct": fact.completion_tokens,
            "cost": fact.cost,
            "ls": int(fact.latency_ms),
            f"lh:{sketch.bucket_of(fact.latency_ms)}": 1,
            f"m:{fact.model}:r": 1,
            f"m:{fact.model}:f": failed,
            f"m:{fact.model}:pt": fact.prompt_tokens,
            f"m:{fact.model}:ct": fact.completion_tokens,
            f"m:{fact.model}:cost": fact.cost,
        }
    )
    if fact.ttft_ms is not None:
        fields[f"th:{sketch.bucket_of(fact.ttft_ms)}"] += 1
    return fields


class LiveCounters:
    def __init__(self, redis: Redis, horizon_seconds: int) -> None:
        self._redis = redis
        self._ttl = horizon_seconds + 60

    async def record(self, facts: Sequence[UsageFact]) -> None:
        """Add ``facts`` to the seconds they happened in, for the platform, tenant and user."""
        if not facts:
            return
        totals: dict[str, Counter[str]] = {}
        for fact in facts:
            second = int(fact.occurred_at.timestamp())
            fields = _fields(fact)
            scopes = {"all", scope_key(fact.tenant_id)}
            if fact.user_id:
                scopes.add(scope_key(fact.tenant_id, fact.user_id))
            for scope in scopes:
                totals.setdefault(f"{PREFIX}:{scope}:{second}", Counter()).update(fields)
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, fields in totals.items():
                for name, amount in fields.items():
                    if amount:
                        pipe.hincrby(key, name, amount)
                pipe.expire(key, self._ttl)
            await pipe.execute()

    async def window(self, scope: str, first_second: int, last_second: int) -> Counter[str]:
        """Sum of the counters of ``scope`` over seconds [first_second, last_second]."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for second in range(first_second, last_second + 1):
                pipe.hgetall(f"{PREFIX}:{scope}:{second}")
            replies = await pipe.execute()
        total: Counter[str] = Counter()
        for reply in replies:
            for name, value in (reply or {}).items():
                key = name.decode() if isinstance(name, bytes) else str(name)
                total[key] += int(value)
        return total
