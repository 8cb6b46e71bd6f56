"""Call slots in a ``modal.Dict``, so every container of a Modal app shares one limit.

A ``modal.Dict`` has no transactions, compare-and-swap or expiry; it has one atomic conditional
write, ``put(key, value, skip_if_exists=True)`` (True: created). So keys here are never
overwritten, and only the tracker that created a key deletes it:

- Time is cut into epochs of ``lease_s / 2``. Slot ``i`` is held in epoch ``e`` by the key
  ``slot:i:e``, a call id by ``call:<id>:e``. Reserving creates both for the current and the next
  epoch; any refused write means taken, and what was created is backed out.
- While the call runs, ``slot()`` creates the following epoch's keys every ``lease_s / 6`` and
  drops past ones. A container that dies stops creating them, so its slot is free again at the
  second epoch boundary after its last renewal: within ``lease_s``.
- A slot is held when its index has a key for the current or the next epoch.

Guarantee: at most ``limit`` calls hold slots at once, provided the containers' clocks agree to
within an epoch (Modal's hosts keep NTP time) and no container stalls past its lease. One that
does loses its slot, logged, and its call goes on uncounted: the same bargain as the Redis lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from shared.tracker.base import CapacityFullError, LeasedCallTracker, TrackerUnavailableError


@dataclass
class _Held:
    index: int
    keys: set[str] = field(default_factory=set)


class ModalDictCallTracker(LeasedCallTracker):
    """``limit`` slots shared by every tracker on the same ``modal.Dict`` and ``prefix``.

    ``slots`` is a ``modal.Dict`` (or anything with its ``.aio`` methods: see the tests' stand-in).
    """

    # Three beats per epoch (``lease_s / 2``), so the following epoch's keys exist well before
    # it begins; any error counts as the store being unreachable (Modal's client raises many).
    renewals_per_lease = 6
    store_errors = (Exception,)

    def __init__(
        self,
        slots: Any,
        limit: int,
        *,
        prefix: str = "",
        lease_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.lease_s = lease_s
        self._dict = slots
        self._prefix = prefix
        self._clock = clock
        self._held: dict[str, _Held] = {}

    def _epoch(self) -> int:
        return int(self._clock() // (self.lease_s / 2))

    def _slot_key(self, index: int, epoch: int) -> str:
        return f"{self._prefix}slot:{index}:{epoch}"

    def _call_key(self, call_id: str, epoch: int) -> str:
        return f"{self._prefix}call:{call_id}:{epoch}"

    async def _create(self, key: str, value: object, created: set[str]) -> bool:
        if await self._dict.put.aio(key, value, skip_if_exists=True):
            created.add(key)
            return True
        return False

    async def _drop(self, keys: set[str]) -> None:
        await asyncio.gather(*(self._dict.pop.aio(key, None) for key in keys))

    async def _held_indexes(self, epoch: int) -> set[int]:
        """Indexes holding a key for ``epoch`` or the next; keys older than that (left by dead
        containers) are swept on the way, as no one creates keys for past epochs."""
        held: set[int] = set()
        stale: set[str] = set()
        async for key in self._dict.keys.aio():
            if not isinstance(key, str) or not key.startswith(self._prefix):
                continue
            kind, _, rest = key[len(self._prefix) :].partition(":")
            if kind not in ("slot", "call"):
                continue
            name, _, number = rest.rpartition(":")
            key_epoch = int(number) if number.isdigit() else epoch
            if key_epoch < epoch - 1:
                stale.add(key)
            elif kind == "slot" and key_epoch >= epoch and name.isdigit():
                held.add(int(name))
        await self._drop(stale)
        return held

    async def reserve(self, call_id: str) -> None:
        epoch = self._epoch()
        created: set[str] = set()
        try:
            index = await self._claim(call_id, epoch, created)
        except (CapacityFullError, ValueError):
            await self._drop(created)
            raise
        except Exception as error:
            logger.error(f"call slots in modal.Dict unreachable: {error!r}")
            with contextlib.suppress(Exception):
                await self._drop(created)
            raise TrackerUnavailableError("call slots unavailable") from error
        self._held[call_id] = _Held(index, created)

    async def _claim(self, call_id: str, epoch: int, created: set[str]) -> int:
        for e in (epoch, epoch + 1):
            if not await self._create(self._call_key(call_id, e), -1, created):
                raise ValueError(f"call {call_id!r} already holds a slot")
        held = await self._held_indexes(epoch)
        free = [index for index in range(self.limit) if index not in held]
        random.shuffle(free)  # concurrent reservers start at different indexes
        for index in free:
            if not await self._create(self._slot_key(index, epoch), call_id, created):
                continue
            if await self._create(self._slot_key(index, epoch + 1), call_id, created):
                return index
            await self._drop({self._slot_key(index, epoch)})
            created.discard(self._slot_key(index, epoch))
        raise CapacityFullError(f"all {self.limit} call slots are busy")

    async def release(self, call_id: str) -> None:
        held = self._held.pop(call_id, None)
        if held is None:
            return
        try:
            await self._drop(held.keys)
        except Exception as error:
            logger.error(
                f"call {call_id}: slot not released in modal.Dict ({error!r}); "
                f"it expires within {self.lease_s:g} s"
            )

    async def count(self) -> int:
        try:
            return len(await self._held_indexes(self._epoch()))
        except Exception as error:
            raise TrackerUnavailableError("call slots unavailable") from error

    async def _renew_lease(self, call_id: str) -> bool:
        """Create the coming epoch's keys and drop past ones (nothing held: nothing to do)."""
        held = self._held.get(call_id)
        return held is None or await self._renew(call_id, held)

    async def _renew(self, call_id: str, held: _Held) -> bool:
        epoch = self._epoch()
        for e in (epoch, epoch + 1):
            slot = self._slot_key(held.index, e)
            if slot not in held.keys and not await self._create(slot, call_id, held.keys):
                return False
            call = self._call_key(call_id, e)
            if call not in held.keys:
                await self._create(call, held.index, held.keys)
        past = {key for key in held.keys if int(key.rpartition(":")[2]) < epoch}
        await self._drop(past)
        held.keys -= past
        return True
