"""Call slots: the limit holds under a burst and every exit path releases."""

from __future__ import annotations

import asyncio

import pytest

from shared.tracker import CapacityFullError, InProcessCallTracker


async def test_a_burst_never_exceeds_the_limit() -> None:
    tracker = InProcessCallTracker(limit=5)
    peak = 0

    async def call(index: int) -> bool:
        nonlocal peak
        try:
            async with tracker.slot(f"call-{index}"):
                peak = max(peak, tracker.active)
                await asyncio.sleep(0.01)
                return True
        except CapacityFullError:
            return False

    outcomes = await asyncio.gather(*(call(i) for i in range(200)))
    assert peak == 5
    assert sum(outcomes) >= 5
    assert tracker.active == 0


async def test_slots_are_released_on_errors_and_cancellation() -> None:
    tracker = InProcessCallTracker(limit=1)
    with pytest.raises(RuntimeError):
        async with tracker.slot("a"):
            raise RuntimeError("pipeline crashed")
    assert tracker.active == 0

    entered = asyncio.Event()

    async def hold() -> None:
        async with tracker.slot("b"):
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(hold())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert tracker.active == 0


async def test_a_call_id_holds_one_slot() -> None:
    tracker = InProcessCallTracker(limit=2)
    await tracker.reserve("same")
    with pytest.raises(ValueError, match="already holds"):
        await tracker.reserve("same")
