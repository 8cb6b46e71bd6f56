"""The in-process tracker under a burst (the contract itself is in test_base.py)."""

from __future__ import annotations

import asyncio

from shared.tracker import CapacityFullError, InProcessCallTracker


async def test_a_burst_never_exceeds_the_limit() -> None:
    tracker = InProcessCallTracker(limit=5)
    peak = 0

    async def call(index: int) -> bool:
        nonlocal peak
        try:
            async with tracker.slot(f"call-{index}"):
                peak = max(peak, await tracker.count())
                await asyncio.sleep(0.01)
                return True
        except CapacityFullError:
            return False

    outcomes = await asyncio.gather(*(call(i) for i in range(200)))
    assert peak == 5
    assert sum(outcomes) >= 5
    assert await tracker.count() == 0
