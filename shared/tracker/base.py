"""What every call-slot backend promises, and the one ``slot()`` they all share.

A call reserves its slot before any work and releases it on every exit path. Backends differ in
where the slots live (this process, or Redis for many processes sharing one limit), not in how
a call uses them, so the route is written once against :class:`CallTracker`.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import ClassVar

from loguru import logger


class CapacityFullError(RuntimeError):
    """Every slot is taken; the carrier gets a try-again-later answer."""


class TrackerUnavailableError(RuntimeError):
    """The slot store cannot be reached. Calls are refused (try later) rather than run
    uncounted: a limit that silently stops holding is worse than a refused call."""


class CallTracker(ABC):
    """``limit`` call slots, reserved atomically; a call id holds at most one."""

    limit: int

    @abstractmethod
    async def reserve(self, call_id: str) -> None:
        """Take a slot. Raises CapacityFullError when full, ValueError when ``call_id`` already
        holds one, TrackerUnavailableError when the store cannot say."""

    @abstractmethod
    async def release(self, call_id: str) -> None:
        """Give the slot back. Never raises: it runs in every call's cleanup; an unknown id is a
        no-op, and a backend that cannot reach its store logs and lets the slot expire."""

    @abstractmethod
    async def count(self) -> int:
        """Slots held now (async: a shared backend has to ask its store)."""

    async def aclose(self) -> None:
        """Drop connections; slots still held are not released."""
        return None

    def _keep(self, call_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Whatever keeps a held slot alive while its call runs (a lease heartbeat)."""
        return contextlib.nullcontext()

    @contextlib.asynccontextmanager
    async def slot(self, call_id: str) -> AsyncIterator[None]:
        """Hold a slot for the body; released on return, error and cancellation alike."""
        await self.reserve(call_id)
        try:
            async with self._keep(call_id):
                yield
        finally:
            await self.release(call_id)


class LeasedCallTracker(CallTracker):
    """A shared backend whose slots are leases: renewed by a heartbeat while the call runs,
    so a process that dies without releasing gives its slots back when they expire."""

    lease_s: float
    renewals_per_lease: ClassVar[int] = 3
    store_errors: ClassVar[tuple[type[Exception], ...]] = (OSError,)

    @abstractmethod
    async def _renew_lease(self, call_id: str) -> bool:
        """Extend ``call_id``'s lease; False when it had already expired and been reclaimed.
        Raises one of ``store_errors`` when the store cannot be reached."""

    async def _heartbeat(self, call_id: str) -> None:
        """Renew the lease until cancelled; a failed renewal is retried on the next beat."""
        while True:
            await asyncio.sleep(self.lease_s / self.renewals_per_lease)
            try:
                kept = await self._renew_lease(call_id)
            except self.store_errors as error:
                logger.warning(f"call {call_id}: slot lease not renewed ({error!r})")
                continue
            if not kept:
                logger.error(
                    f"call {call_id}: its slot lease expired and was reclaimed; "
                    "the call goes on uncounted"
                )
                return

    @contextlib.asynccontextmanager
    async def _keep(self, call_id: str) -> AsyncIterator[None]:
        heartbeat = asyncio.create_task(self._heartbeat(call_id), name=f"slot-lease {call_id}")
        try:
            yield
        finally:
            heartbeat.cancel()
            # wait() never raises the heartbeat's CancelledError; our own cancellation still does.
            await asyncio.wait([heartbeat])
