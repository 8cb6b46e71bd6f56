"""The contract every backend keeps (in-process and Redis alike), through the shared ``slot()``."""

from __future__ import annotations

import asyncio

import pytest

from shared.tracker import CapacityFullError
from tests.shared.tracker.conftest import MakeTracker


async def test_the_limit_is_enforced_and_a_release_frees_a_slot(make_tracker: MakeTracker) -> None:
    tracker = await make_tracker(2)
    await tracker.reserve("a")
    await tracker.reserve("b")
    with pytest.raises(CapacityFullError, match="all 2 call slots are busy"):
        await tracker.reserve("c")
    assert await tracker.count() == 2
    await tracker.release("a")
    assert await tracker.count() == 1
    await tracker.reserve("c")
    assert await tracker.count() == 2


async def test_a_call_id_holds_one_slot(make_tracker: MakeTracker) -> None:
    tracker = await make_tracker(3)
    await tracker.reserve("same")
    with pytest.raises(ValueError, match="already holds"):
        await tracker.reserve("same")
    assert await tracker.count() == 1


async def test_a_refused_slot_leaves_the_holder_alone(make_tracker: MakeTracker) -> None:
    """A duplicate's failed ``slot()`` must not release the slot its namesake holds."""
    tracker = await make_tracker(1)
    async with tracker.slot("a"):
        with pytest.raises(ValueError):
            async with tracker.slot("a"):
                pass
        with pytest.raises(CapacityFullError):
            async with tracker.slot("b"):
                pass
        assert await tracker.count() == 1
    assert await tracker.count() == 0


async def test_slot_releases_on_errors(make_tracker: MakeTracker) -> None:
    tracker = await make_tracker(1)
    with pytest.raises(RuntimeError, match="pipeline crashed"):
        async with tracker.slot("a"):
            raise RuntimeError("pipeline crashed")
    assert await tracker.count() == 0


async def test_slot_releases_on_cancellation(make_tracker: MakeTracker) -> None:
    tracker = await make_tracker(1)
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
    assert await tracker.count() == 0
    await tracker.reserve("next")


async def test_releasing_an_unknown_call_is_harmless(make_tracker: MakeTracker) -> None:
    tracker = await make_tracker(1)
    await tracker.release("never-reserved")
    await tracker.reserve("a")
    await tracker.release("never-reserved")
    assert await tracker.count() == 1
    await tracker.release("a")
    await tracker.release("a")
    assert await tracker.count() == 0
