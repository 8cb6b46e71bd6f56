"""Redis slots against a real redis-server: bursts from many connections and processes never
exceed the limit, leases of dead processes come back, live calls keep theirs, and an unreachable
Redis is a clear error (with no password in any log line)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from loguru import logger
from redis.asyncio import Redis

from lab.local_server import free_port
from shared.tracker import (
    CapacityFullError,
    RedisCallTracker,
    TrackerUnavailableError,
)
from shared.tracker.redis import redacted
from tests.shared.tracker.bursts import reserve_at_once
from tests.shared.tracker.conftest import MakeTracker

ROOT = Path(__file__).resolve().parents[3]
LIMIT = 10
BURST = 200


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="DEBUG")
    yield lines
    logger.remove(sink)


def worker(redis_url: str, key_prefix: str, *args: object) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.shared.tracker.worker", redis_url, key_prefix]
    return subprocess.Popen(
        command + [str(arg) for arg in args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line, f"worker exited early ({process.wait(timeout=10)})"
    return line


async def test_a_burst_over_many_connections_takes_exactly_the_limit(
    redis_trackers: MakeTracker, raw: Redis, key_prefix: str
) -> None:
    """200 simultaneous reservations through 8 clients; every holder keeps its slot."""
    trackers = [await redis_trackers(LIMIT) for _ in range(8)]

    held = await reserve_at_once(trackers, [f"call-{i}" for i in range(BURST)])
    assert len(held) == LIMIT
    assert await raw.zcard(f"{key_prefix}:slots") == LIMIT
    assert await trackers[3].count() == LIMIT
    await asyncio.gather(*(trackers[0].release(call_id) for call_id in held))
    assert await trackers[5].count() == 0


async def test_a_churning_burst_never_exceeds_the_limit(
    redis_trackers: MakeTracker, raw: Redis, key_prefix: str
) -> None:
    """Short calls come and go; holders count themselves, and a sampler watches the set."""
    trackers = [await redis_trackers(LIMIT) for _ in range(8)]
    holders = f"{key_prefix}:holders"
    peaks: list[int] = []
    sizes: list[int] = []

    async def call(index: int) -> bool:
        try:
            async with trackers[index % 8].slot(f"call-{index}"):
                peaks.append(await raw.incr(holders))
                await asyncio.sleep(0.005 * (index % 5))
                await raw.decr(holders)
                return True
        except CapacityFullError:
            return False

    async def sample() -> None:
        while True:
            sizes.append(await raw.zcard(f"{key_prefix}:slots"))
            await asyncio.sleep(0)

    sampler = asyncio.create_task(sample())
    outcomes = await asyncio.gather(*(call(i) for i in range(BURST)))
    sampler.cancel()
    await asyncio.wait([sampler])
    assert sum(outcomes) >= LIMIT
    assert max(peaks) <= LIMIT
    assert sizes and max(sizes) <= LIMIT
    assert await trackers[0].count() == 0


async def test_a_burst_from_separate_processes_takes_exactly_the_limit(
    redis_url: str, key_prefix: str, raw: Redis
) -> None:
    workers = [worker(redis_url, key_prefix, LIMIT, "burst", f"p{n}", BURST // 4) for n in range(4)]
    try:
        assert [read_line(w) for w in workers] == ["ready"] * 4
        await raw.rpush(f"{key_prefix}:slots:go", *["go"] * 4)
        reports = [json.loads(read_line(w)) for w in workers]
        assert sum(report["reserved"] for report in reports) == LIMIT
        assert sum(report["refused"] for report in reports) == BURST - LIMIT
        assert await raw.zcard(f"{key_prefix}:slots") == LIMIT
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("release\n")
            w.stdin.flush()
        assert [read_line(w) for w in workers] == ["released"] * 4
        assert await raw.zcard(f"{key_prefix}:slots") == 0
    finally:
        for w in workers:
            w.kill()
            w.communicate(timeout=10)


async def test_a_killed_process_gives_its_slot_back_after_its_lease(
    redis_url: str, key_prefix: str, redis_trackers: MakeTracker
) -> None:
    holder = worker(redis_url, key_prefix, 1, "hold", "victim", 1.0)
    try:
        assert read_line(holder) == "held"
        tracker = await redis_trackers(1)
        await asyncio.sleep(1.5)  # past one lease: the heartbeat is what keeps it
        with pytest.raises(CapacityFullError):
            await tracker.reserve("next")
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        killed_at = time.monotonic()
        assert await tracker.count() == 1
        while await tracker.count():
            assert time.monotonic() - killed_at < 3, "the dead process's slot never expired"
            await asyncio.sleep(0.05)
        await tracker.reserve("next")
    finally:
        holder.kill()
        holder.communicate(timeout=10)


async def test_an_expired_lease_is_reclaimed(redis_trackers: MakeTracker) -> None:
    """A reservation nobody renews (its process died) stops counting after ``lease_s``."""
    dead = await redis_trackers(1, lease_s=0.3)
    await dead.reserve("dead-call")
    alive = await redis_trackers(1)
    with pytest.raises(CapacityFullError):
        await alive.reserve("new-call")
    await asyncio.sleep(0.4)
    assert await alive.count() == 0
    await alive.reserve("new-call")
    await dead.release("dead-call")  # late release of a reclaimed slot touches nobody else
    assert await alive.count() == 1


async def test_the_heartbeat_keeps_a_long_call_past_its_lease(redis_trackers: MakeTracker) -> None:
    tracker = await redis_trackers(1, lease_s=0.3)
    other = await redis_trackers(1)
    async with tracker.slot("long-call"):
        await asyncio.sleep(1.2)
        assert await other.count() == 1
        with pytest.raises(CapacityFullError):
            await other.reserve("newcomer")
    assert await other.count() == 0


async def test_a_lost_lease_is_logged(
    redis_trackers: MakeTracker, raw: Redis, logs: list[str]
) -> None:
    tracker = await redis_trackers(1, lease_s=0.3)
    assert isinstance(tracker, RedisCallTracker)
    async with tracker.slot("call-1"):
        await raw.delete(tracker.key)
        await asyncio.sleep(0.25)
    assert any("call-1: its slot lease expired and was reclaimed" in line for line in logs)


async def test_an_unreachable_redis_is_a_clear_error(logs: list[str]) -> None:
    port = free_port()
    tracker = RedisCallTracker(f"redis://:hunter2-secret@127.0.0.1:{port}/0", 4, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(TrackerUnavailableError, match=r"^call slots unavailable$"):
        await tracker.reserve("a")
    with pytest.raises(TrackerUnavailableError):
        async with tracker.slot("b"):
            pytest.fail("a slot was granted without Redis")
    with pytest.raises(TrackerUnavailableError):
        await tracker.count()
    await tracker.release("a")  # logged, never raised
    assert time.monotonic() - started < 5
    await tracker.aclose()
    assert any(f"call slots at 127.0.0.1:{port} unreachable" in line for line in logs)
    assert any("slot not released" in line for line in logs)
    assert not any("hunter2" in line for line in logs)


def test_locations_are_logged_without_credentials() -> None:
    assert redacted("redis://user:pw@cache.internal:6380/2") == "cache.internal:6380"
    assert redacted("rediss://:pw@cache.internal") == "cache.internal:6379"
    assert redacted("unix:///run/redis.sock") == "/run/redis.sock"
