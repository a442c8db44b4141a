"""Per-key rate limit: a token bucket of `per_minute` tokens refilled every minute.

With REDIS_URL set (make run's embedded Redis, or production) the bucket lives in Redis,
updated by one Lua script using Redis's clock, so every backend worker and machine shares
it. Without Redis (unit tests, a CLI) each process keeps its own buckets.

The same script answers whether the key was revoked since this process cached it (the flag
api_keys sets after the revocation commits), so a call costs one Redis round trip in all.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, NamedTuple
from weakref import WeakKeyDictionary

from backoffice.services.org.api_keys import REVOKED_FLAG
from backoffice.settings import get_settings

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

RETRY_REDIS_AFTER = 5.0  # seconds without Redis after a failure, rather than wait on each call


class Verdict(NamedTuple):
    wait: float  # 0, or the seconds until the key may call again
    revoked: bool = False  # Redis holds the revocation flag of the key
    sees_revocations: bool = False  # the answer came from Redis, flag included


_LUA = """
if redis.call('EXISTS', KEYS[2]) == 1 then return '-1' end
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or cap
local ts = tonumber(data[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(cap / rate) + 1)
return tostring(wait)
"""


class MemoryBuckets:
    """Buckets of this process (tests, or no Redis configured)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key_ref: str, per_minute: int) -> float:
        rate, cap = per_minute / 60.0, float(per_minute)
        now = time.monotonic()
        with self._lock:
            tokens, ts = self._buckets.get(key_ref, (cap, now))
            tokens = min(cap, tokens + (now - ts) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self._buckets[key_ref] = (tokens, now)
        return wait

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


class RedisBuckets:
    """Buckets shared by every worker through Redis. The call is awaited: the event loop
    serves other requests meanwhile, and a slow Redis cannot stall them. redis.asyncio
    connections belong to the loop that made them, so each loop gets its own client."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._scripts: WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncScript] = (
            WeakKeyDictionary()
        )

    def _script(self) -> AsyncScript:
        loop = asyncio.get_running_loop()
        script = self._scripts.get(loop)
        if script is None:
            from redis.asyncio import Redis

            client = Redis.from_url(self._url, socket_timeout=0.5, socket_connect_timeout=0.5)
            script = self._scripts[loop] = client.register_script(_LUA)  # EVALSHA
        return script

    async def take(self, key_ref: str, per_minute: int) -> Verdict:
        answer = float(
            await self._script()(
                keys=[f"api:rate:{key_ref}", REVOKED_FLAG.format(key_ref)],
                args=[per_minute / 60.0, per_minute],
            )
        )
        if answer < 0:
            return Verdict(0.0, revoked=True, sees_revocations=True)
        return Verdict(answer, sees_revocations=True)


_memory = MemoryBuckets()
_redis: RedisBuckets | None = None
_redis_failed_at = -RETRY_REDIS_AFTER


async def take(key_ref: str, per_minute: int) -> Verdict:
    """Spend one request of the key's budget (and learn whether it was revoked, via Redis)."""
    global _redis, _redis_failed_at
    per_minute = max(1, per_minute or get_settings().api_rate_per_minute)
    url = get_settings().redis_url
    if url and time.monotonic() - _redis_failed_at >= RETRY_REDIS_AFTER:
        try:
            if _redis is None:
                _redis = RedisBuckets(url)
            return await _redis.take(key_ref, per_minute)
        except Exception:  # noqa: BLE001  (Redis down: limit per process rather than fail)
            _redis, _redis_failed_at = None, time.monotonic()
    return Verdict(_memory.take(key_ref, per_minute))


def reset_memory() -> None:
    _memory.reset()
