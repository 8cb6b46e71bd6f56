"""A small async cache for remote config: TTL, stale-if-error, brief failure memory, one flight.

Kept apart from the HTTP code so the bridge source reads as policy, not bookkeeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass
class Entry(Generic[V]):
    value: V
    fetched_at: float


@dataclass
class _Failure:
    until: float
    error: Exception


class RemoteCache(Generic[V]):
    """Per-key values with their fetch time, recent failures, and in-flight fetches.

    ``fresh`` entries (younger than ``ttl_s``) are served without asking; ``stale`` ones
    (younger than ``stale_s``) only when a refresh fails. A failure is remembered for
    ``failure_ttl_s`` so a struggling or hung remote is not asked again by every caller.
    Use from one event loop.
    """

    def __init__(
        self,
        ttl_s: float,
        stale_s: float,
        failure_ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s, self.stale_s, self.failure_ttl_s = ttl_s, stale_s, failure_ttl_s
        self.clock = clock
        self._entries: dict[Hashable, Entry[V]] = {}
        self._failures: dict[Hashable, _Failure] = {}
        self._flights: dict[Hashable, asyncio.Task[V]] = {}

    def age(self, entry: Entry[V]) -> float:
        return self.clock() - entry.fetched_at

    def fresh(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        return entry.value if entry is not None and self.age(entry) < self.ttl_s else None

    def entry(self, key: Hashable) -> Entry[V] | None:
        return self._entries.get(key)

    def put(self, key: Hashable, value: V) -> None:
        self._entries[key] = Entry(value, self.clock())
        self._failures.pop(key, None)

    def items(self) -> Iterator[tuple[Hashable, Entry[V]]]:
        return iter(list(self._entries.items()))

    def forget(self, key: Hashable) -> None:
        """Drop a value for good: it must not be served even as stale (it was deleted)."""
        self._entries.pop(key, None)

    def fail(self, key: Hashable, error: Exception) -> None:
        self._failures[key] = _Failure(self.clock() + self.failure_ttl_s, error)

    def recent_failure(self, key: Hashable) -> Exception | None:
        failure = self._failures.get(key)
        if failure is None or failure.until <= self.clock():
            self._failures.pop(key, None)
            return None
        return failure.error

    async def single_flight(self, key: Hashable, fetch: Callable[[], Awaitable[V]]) -> V:
        """Concurrent callers for one key share one fetch; a cancelled caller leaves it running."""
        task = self._flights.get(key)
        if task is None:

            async def run() -> V:
                return await fetch()

            task = asyncio.ensure_future(run())
            self._flights[key] = task
            task.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(task)

    def _landed(self, key: Hashable, task: asyncio.Task[V]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved: no "never retrieved" noise when every waiter left
