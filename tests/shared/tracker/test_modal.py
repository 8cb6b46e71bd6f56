"""Call slots in a ``modal.Dict``, here an in-memory STAND-IN (``fake_modal``), since no Modal
server is reachable from tests: bursts from many trackers never exceed the limit, a dead
container's slot comes back within its lease, a stalled one loses its slot loudly, clocks that
disagree by less than an epoch do not break the limit, and an unreachable Dict is a clear error.
(The contract every backend keeps is in test_base.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from loguru import logger

from shared.tracker import CapacityFullError, TrackerUnavailableError
from shared.tracker.modal import ModalDictCallTracker
from tests.shared.tracker.bursts import reserve_at_once
from tests.shared.tracker.fake_modal import FakeModalDict

LIMIT = 10
BURST = 200


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="DEBUG")
    yield lines
    logger.remove(sink)


class Clock:
    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


async def test_a_burst_over_many_containers_takes_exactly_the_limit() -> None:
    slots = FakeModalDict()
    trackers = [ModalDictCallTracker(slots, LIMIT) for _ in range(8)]

    held = await reserve_at_once(trackers, [f"call-{i}" for i in range(BURST)])
    assert len(held) == LIMIT
    assert await trackers[3].count() == LIMIT
    await asyncio.gather(*(trackers[int(c.split("-")[1]) % 8].release(c) for c in held))
    assert await trackers[5].count() == 0
    assert slots.len() == 0  # nothing left behind


async def test_a_churning_burst_never_exceeds_the_limit() -> None:
    slots = FakeModalDict()
    trackers = [ModalDictCallTracker(slots, LIMIT, lease_s=0.6) for _ in range(8)]
    holders, peaks = 0, []

    async def call(index: int) -> bool:
        nonlocal holders
        try:
            async with trackers[index % 8].slot(f"call-{index}"):
                holders += 1
                peaks.append(holders)
                await asyncio.sleep(0.005 * (index % 5))
                holders -= 1
                return True
        except CapacityFullError:
            return False

    outcomes = await asyncio.gather(*(call(i) for i in range(BURST)))
    assert sum(outcomes) >= LIMIT
    assert max(peaks) <= LIMIT
    assert await trackers[0].count() == 0


async def test_a_dead_containers_slot_comes_back_within_its_lease() -> None:
    """Reserved and never renewed nor released: what a SIGKILLed container leaves behind."""
    slots = FakeModalDict()
    dead = ModalDictCallTracker(slots, 1, lease_s=0.6)
    await dead.reserve("dead-call")
    alive = ModalDictCallTracker(slots, 1, lease_s=0.6)
    with pytest.raises(CapacityFullError):
        await alive.reserve("new-call")
    died_at = time.monotonic()
    while await alive.count():
        assert time.monotonic() - died_at < 0.6 + 0.1, "the dead container's slot never expired"
        await asyncio.sleep(0.02)
    await alive.reserve("new-call")
    assert await alive.count() == 1


async def test_the_heartbeat_keeps_a_long_call_past_its_lease() -> None:
    slots = FakeModalDict()
    tracker = ModalDictCallTracker(slots, 1, lease_s=0.3)
    other = ModalDictCallTracker(slots, 1, lease_s=0.3)
    async with tracker.slot("long-call"):
        for _ in range(12):  # four leases
            await asyncio.sleep(0.1)
            assert await other.count() == 1
            with pytest.raises(CapacityFullError):
                await other.reserve("newcomer")
    assert await other.count() == 0
    assert slots.len() <= 2  # old epochs' keys are dropped as the call goes on


async def test_a_stalled_container_loses_its_slot_loudly(logs: list[str]) -> None:
    """A container whose clock says it slept through its lease finds the slot taken."""
    slots, clock = FakeModalDict(), Clock()
    stalled = ModalDictCallTracker(slots, 1, lease_s=0.6, clock=clock)
    other = ModalDictCallTracker(slots, 1, lease_s=0.6, clock=clock)
    async with stalled.slot("stalled-call"):
        clock.offset += 1.0  # past the lease: nobody renewed meanwhile
        await other.reserve("new-call")
        await asyncio.sleep(0.2)  # the stalled heartbeat wakes up
    assert any("stalled-call: its slot lease expired and was reclaimed" in x for x in logs)
    assert await other.count() == 1  # the late release touched only its own keys


async def test_clocks_within_an_epoch_keep_the_limit() -> None:
    slots, lease_s = FakeModalDict(), 0.6
    for skew in (0.0, 0.1, 0.29, -0.29):  # epochs are 0.3 s long
        ahead = ModalDictCallTracker(slots, 1, lease_s=lease_s, clock=Clock(skew))
        behind = ModalDictCallTracker(slots, 1, lease_s=lease_s)
        async with ahead.slot("a"):
            for _ in range(5):
                with pytest.raises(CapacityFullError):
                    await behind.reserve("b")
                await asyncio.sleep(0.07)
        await behind.reserve("b")
        await behind.release("b")


async def test_a_reservation_costs_a_handful_of_round_trips() -> None:
    slots = FakeModalDict()
    tracker = ModalDictCallTracker(slots, 50)
    before = slots.calls
    await tracker.reserve("a")
    assert slots.calls - before <= 6  # 2 call keys, 1 listing, 2 slot keys (+1 on a lost race)
    before = slots.calls
    await tracker.release("a")
    assert slots.calls - before == 4


class Unreachable(FakeModalDict):
    def _count(self) -> None:
        raise ConnectionError("modal.Dict unreachable")


async def test_an_unreachable_dict_is_a_clear_error(logs: list[str]) -> None:
    tracker = ModalDictCallTracker(Unreachable(), 4)
    with pytest.raises(TrackerUnavailableError, match=r"^call slots unavailable$"):
        await tracker.reserve("a")
    with pytest.raises(TrackerUnavailableError):
        async with tracker.slot("b"):
            pytest.fail("a slot was granted without the Dict")
    with pytest.raises(TrackerUnavailableError):
        await tracker.count()
    await tracker.release("a")  # never raises
    assert any("call slots in modal.Dict unreachable" in line for line in logs)
