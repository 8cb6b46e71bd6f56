"""What every outbox store offers the worker, the routes and the CLI (SQLite and modal.Dict).

Blocking methods, called through ``asyncio.to_thread``: a store may wait on a disk or a network.
The contract both stores keep is tested in tests/shared/outbox/test_store.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from shared.outbox.store import OutboxMessage, State


class OutboxStore(Protocol):
    def enqueue(
        self,
        kind: str,
        key: str,
        payload: Mapping[str, Any] | BaseModel,
        *,
        now: float | None = None,
    ) -> bool: ...

    def claim_due(
        self, now: float, limit: int, *, lease_s: float = 60.0
    ) -> list[OutboxMessage]: ...

    def mark_delivered(self, id: int) -> None: ...

    def mark_failed(self, id: int, error: str, retry_at: float) -> None: ...

    def mark_dead(self, id: int, error: str) -> None: ...

    def get(self, id: int) -> OutboxMessage | None: ...

    def find(self, key: str) -> OutboxMessage | None: ...

    def list(self, state: State | None = None, *, limit: int = 1000) -> list[OutboxMessage]: ...

    def counts(self) -> dict[str, int]: ...

    def replay(self, ids: Sequence[int] | None = None, *, now: float | None = None) -> int: ...

    def close(self) -> None: ...
