"""Call slots: ``MAX_CONCURRENT_CALLS`` enforced atomically, released on every exit path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class CapacityFullError(RuntimeError):
    """Every slot is taken; the carrier gets a try-again-later answer."""


class InProcessCallTracker:
    """Slots for one process. Reserve before any work; the context manager always releases."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active: set[str] = set()
        self._lock = asyncio.Lock()

    @property
    def active(self) -> int:
        return len(self._active)

    async def reserve(self, call_id: str) -> None:
        async with self._lock:
            if call_id in self._active:
                raise ValueError(f"call {call_id!r} already holds a slot")
            if len(self._active) >= self.limit:
                raise CapacityFullError(f"all {self.limit} call slots are busy")
            self._active.add(call_id)

    async def release(self, call_id: str) -> None:
        async with self._lock:
            self._active.discard(call_id)

    @asynccontextmanager
    async def slot(self, call_id: str) -> AsyncIterator[None]:
        await self.reserve(call_id)
        try:
            yield
        finally:
            await self.release(call_id)
