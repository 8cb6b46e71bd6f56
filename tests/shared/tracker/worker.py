"""A separate process holding Redis call slots, for the tests that need more than one process.

``python -m tests.shared.tracker.worker URL PREFIX LIMIT burst NAME ATTEMPTS``: say ``ready``,
wait for a token on ``PREFIX:go``, try ATTEMPTS reservations at once, print how many were taken,
hold them until a line arrives on stdin, release them, print ``released``.

``... hold NAME LEASE_S``: hold one slot through ``slot()`` (heartbeat running), print ``held``
and wait to be killed.
"""

from __future__ import annotations

import asyncio
import json
import sys

from redis.asyncio import Redis

from shared.tracker import RedisCallTracker
from tests.shared.tracker.bursts import reserve_at_once


def say(line: str) -> None:
    print(line, flush=True)


async def burst(tracker: RedisCallTracker, url: str, name: str, attempts: int) -> None:
    async with Redis.from_url(url) as redis:
        await tracker.count()  # connected before the go
        say("ready")
        if not await redis.blpop([f"{tracker.key}:go"], timeout=30):
            raise SystemExit("no go signal")

    held = await reserve_at_once([tracker], [f"{name}-{i}" for i in range(attempts)])
    say(json.dumps({"reserved": len(held), "refused": attempts - len(held)}))
    await asyncio.to_thread(sys.stdin.readline)
    await asyncio.gather(*(tracker.release(call_id) for call_id in held))
    say("released")


async def hold(tracker: RedisCallTracker, name: str) -> None:
    async with tracker.slot(name):
        say("held")
        await asyncio.sleep(3600)


async def main(url: str, prefix: str, limit: str, mode: str, name: str, arg: str) -> None:
    lease_s = float(arg) if mode == "hold" else 30.0
    tracker = RedisCallTracker(url, int(limit), key_prefix=prefix, lease_s=lease_s)
    try:
        if mode == "burst":
            await burst(tracker, url, name, int(arg))
        else:
            await hold(tracker, name)
    finally:
        await tracker.aclose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
