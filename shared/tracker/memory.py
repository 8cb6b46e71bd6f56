"""Call slots for one process: the default, when nothing else shares the limit."""

from __future__ import annotations

import asyncio

from shared.tracker.base import CallTracker, CapacityFullError


class InProcessCallTracker(CallTracker):
    """A set of call ids behind a lock. Nothing outlives the process, so no leases are needed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active: set[str] = set()
        self._lock = asyncio.Lock()

    async def count(self) -> int:
        return len(self._active)

    async def reserve(self, call_id: str) -> None:
        async with self._lock:
            if call_id in self._active:
                raise ValueError(f"call {call_id!r} already holds a slot")
            if len(self._active) >= self.limit:
                raise CapacityFullError(f"all {self.limit} call slots are busy")
            self._active.add(call_id)

    async def release(self, call_id: str) -> None:
        self._active.discard(call_id)
