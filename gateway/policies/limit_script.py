"""The rate-limit decision as one Redis Lua script, so every gateway instance sees one count.

All limits that apply to a request are checked first and only then consumed, in one atomic
script: a request refused by its per-user limit does not use up its per-IP allowance, and two
instances racing on the same key cannot both take the last slot. Time comes from the Redis
server (``TIME``) so instances with skewed clocks still agree; tests may pass their own clock.

The script is sent once (``SCRIPT LOAD``) and then called by its SHA1 (``EVALSHA``); after a
Redis restart or ``SCRIPT FLUSH`` the first call answers NOSCRIPT and the script is loaded again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from redis.exceptions import NoScriptError

Algorithm = Literal["w", "b"]
MICROS = 1_000_000

# KEYS[i]: one key per limit.
# ARGV[1]: now in microseconds, or "" for the server clock. ARGV[2]: a unique id of this request.
# Then four per limit: algorithm ("w" sliding-window log, "b" token bucket), limit, window in
# microseconds, bucket capacity.
# Returns {allowed (1/0), then per limit: remaining, reset_us, retry_us}.
LUA = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local out = {1}
local tokens_after = {}
for i = 1, #KEYS do
  local base = 3 + (i - 1) * 4
  local algo = ARGV[base]
  local limit = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local capacity = tonumber(ARGV[base + 3])
  local key = KEYS[i]
  local remaining, reset, retry
  if algo == 'w' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local count = redis.call('ZCARD', key)
    local oldest = now
    if count > 0 then
      oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
    end
    reset = oldest + window - now
    if count < limit then
      remaining = limit - count - 1
      retry = 0
    else
      remaining = 0
      local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
      retry = math.max(1, tonumber(freeing[2]) + window - now)
    end
  else
    local state = redis.call('HMGET', key, 't', 'ts')
    local tokens = tonumber(state[1])
    local ts = tonumber(state[2])
    if tokens == nil or ts == nil then
      tokens = capacity
      ts = now
    end
    tokens = math.min(capacity, tokens + math.max(0, now - ts) * limit / window)
    if tokens >= 1 then
      tokens_after[i] = tokens - 1
      remaining = math.floor(tokens - 1)
      retry = 0
      reset = math.ceil((capacity - tokens + 1) * window / limit)
    else
      remaining = 0
      retry = math.max(1, math.ceil((1 - tokens) * window / limit))
      reset = math.ceil((capacity - tokens) * window / limit)
    end
  end
  if retry > 0 then
    out[1] = 0
  end
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
if out[1] == 1 then
  for i = 1, #KEYS do
    local base = 3 + (i - 1) * 4
    local limit = tonumber(ARGV[base + 1])
    local window = tonumber(ARGV[base + 2])
    local capacity = tonumber(ARGV[base + 3])
    local key = KEYS[i]
    if ARGV[base] == 'w' then
      redis.call('ZADD', key, string.format('%.0f', now), ARGV[2])
      redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
    else
      redis.call('HSET', key, 't', string.format('%.6f', tokens_after[i]), 'ts', string.format('%.0f', now))
      redis.call('PEXPIRE', key, math.ceil(capacity * window / limit / 1000) + 1000)
    end
  end
end
return out
"""

SHA = hashlib.sha1(LUA.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Check:
    """One limit to check for one request."""

    key: str
    algorithm: Algorithm
    limit: int
    window_seconds: float
    capacity: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the script found for one limit; times in seconds (floats, not rounded)."""

    remaining: int
    reset: float
    retry_after: float


async def run(
    redis: Any, checks: Sequence[Check], request_id: str, now: float | None = None
) -> tuple[bool, list[Outcome]]:
    """(allowed, one outcome per check); raises the client's errors when Redis cannot answer."""
    args: list[str | int] = ["" if now is None else str(round(now * MICROS)), request_id]
    for check in checks:
        args += [check.algorithm, check.limit, round(check.window_seconds * MICROS), check.capacity]
    keys = [check.key for check in checks]
    try:
        reply = await redis.evalsha(SHA, len(keys), *keys, *args)
    except NoScriptError:
        await redis.script_load(LUA)
        reply = await redis.evalsha(SHA, len(keys), *keys, *args)
    values = [int(v) for v in reply]
    outcomes = [
        Outcome(values[i], values[i + 1] / MICROS, values[i + 2] / MICROS) for i in range(1, len(values), 3)
    ]
    return values[0] == 1, outcomes
