"""Recognising a database or Redis that is down or saturated, so callers may retry.

A connection-pool timeout, "too many connections" or a refused connection is not a bug
in the service: the same request succeeds once the dependency recovers. Reported as
INTERNAL it reaches HTTP clients as a 500 they must not retry; reported as UNAVAILABLE
with ``RetryInfo`` it becomes a 503 with ``Retry-After``. :func:`dependency_unavailable`
is asked by :class:`mesh.interceptors.ErrorLayer` (every service's one mapping place) for
any exception that is not already a :class:`~mesh.errors.DomainError`.

SQLAlchemy wraps driver errors (``DBAPIError.orig``, itself chained to the asyncpg
exception), so the chain of causes is walked, a few links deep.
"""

from __future__ import annotations

import builtins

import redis.exceptions
import sqlalchemy.exc

from mesh.errors import Unavailable

__all__ = ["DEPENDENCY_RETRY_AFTER", "causes", "dependency_unavailable"]

# Long enough for a pool to free a connection or a restarted server to accept again.
DEPENDENCY_RETRY_AFTER = 1.0

# SQLSTATEs of a server that refuses or lost the session: class 08 (connection exception),
# too_many_connections, admin/crash shutdown, cannot_connect_now (starting up or recovering).
_UNAVAILABLE_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})
_CHAIN_DEPTH = 4


def causes(exc: BaseException) -> list[BaseException]:
    """``exc``, its ``orig`` (SQLAlchemy) and its causes, without loops."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending and len(seen) < _CHAIN_DEPTH * 3:
        current = pending.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]
    return seen


def _database_down(exc: BaseException) -> bool:
    if isinstance(exc, sqlalchemy.exc.TimeoutError):  # QueuePool: no connection freed in time
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES)


def dependency_unavailable(exc: BaseException) -> Unavailable | None:
    """UNAVAILABLE (with a retry delay) if ``exc`` says Postgres or Redis cannot serve now, else None."""
    for cause in causes(exc):
        if isinstance(cause, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return Unavailable(
                "the cache of this service is unavailable; retry shortly",
                DEPENDENCY_RETRY_AFTER,
                reason="REDIS_UNAVAILABLE",
            )
        if _database_down(cause):
            return Unavailable(
                "the database of this service is unavailable; retry shortly",
                DEPENDENCY_RETRY_AFTER,
                reason="DATABASE_UNAVAILABLE",
            )
    if any(isinstance(cause, builtins.ConnectionError) for cause in causes(exc)):
        # asyncpg's connect raises the socket's ConnectionRefusedError as is (nothing wraps it)
        return Unavailable(
            "a dependency of this service refused the connection; retry shortly",
            DEPENDENCY_RETRY_AFTER,
            reason="DEPENDENCY_UNAVAILABLE",
        )
    return None
