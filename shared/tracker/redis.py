"""Call slots in Redis, so many processes (or containers) share one ``MAX_CONCURRENT_CALLS``.

The slots are one sorted set: call id -> lease expiry (ms, Redis server time, so clocks of the
processes do not matter). Reserving is one Lua script: drop expired leases, refuse a duplicate,
refuse when full, add. A process killed with SIGKILL cannot release, so every slot is a lease:
``slot()`` renews it every ``lease_s / 3`` while the call runs, and a dead process's slots come
back after at most ``lease_s``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from loguru import logger
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from shared.tracker.base import CapacityFullError, LeasedCallTracker, TrackerUnavailableError

# Server time in ms; `redis.call('TIME')` is allowed in scripts since Redis 5 (effects replication).
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
# KEYS[1] slots; ARGV: call id, limit, lease ms. 1 reserved, 0 full, -1 already held.
RESERVE = (
    _NOW
    + """redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1"""
)
# Extend a lease still in the set. One that expired but is still there was not reclaimed (a
# reserve would have dropped it), so no one took its place and extending it is safe. 1 kept, 0 lost.
RENEW = (
    _NOW
    + """if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1"""
)
COUNT = _NOW + "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')"


def redacted(url: str) -> str:
    """Where the slots live, without credentials: ``host:port`` (or the socket path)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    return f"{parts.hostname}:{parts.port or 6379}"


class RedisCallTracker(LeasedCallTracker):
    """``limit`` slots shared by every tracker with the same Redis and ``key_prefix``."""

    store_errors = (RedisError, OSError)

    def __init__(
        self,
        url: str,
        limit: int,
        key_prefix: str = "voxcore:calls",
        lease_s: float = 30.0,
        timeout_s: float = 1.0,
    ) -> None:
        self.limit = limit
        self.lease_s = lease_s
        self.location = redacted(url)
        self.key = f"{key_prefix}:slots"
        # Short timeouts and few quick retries: a call is waiting on the answer.
        self._redis = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.25), retries=2),
        )
        self._reserve = self._redis.register_script(RESERVE)
        self._renew = self._redis.register_script(RENEW)
        self._count = self._redis.register_script(COUNT)

    @property
    def _lease_ms(self) -> int:
        return max(1, round(self.lease_s * 1000))

    async def reserve(self, call_id: str) -> None:
        args: list[str | int] = [call_id, self.limit, self._lease_ms]
        try:
            outcome = await self._reserve(keys=[self.key], args=args)
        except (RedisError, OSError) as error:
            logger.error(f"call slots at {self.location} unreachable: {error!r}")
            raise TrackerUnavailableError("call slots unavailable") from error
        if outcome == -1:
            raise ValueError(f"call {call_id!r} already holds a slot")
        if outcome == 0:
            raise CapacityFullError(f"all {self.limit} call slots are busy")

    async def release(self, call_id: str) -> None:
        try:
            await self._redis.zrem(self.key, call_id)
        except (RedisError, OSError) as error:
            logger.error(
                f"call {call_id}: slot not released at {self.location} ({error!r}); "
                f"it expires within {self.lease_s:g} s"
            )

    async def count(self) -> int:
        try:
            return int(await self._count(keys=[self.key]))
        except (RedisError, OSError) as error:
            raise TrackerUnavailableError("call slots unavailable") from error

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def _renew_lease(self, call_id: str) -> bool:
        return bool(await self._renew(keys=[self.key], args=[call_id, self._lease_ms]))
