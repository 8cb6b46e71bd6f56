"""SQLite outbox: a result is on disk before the call releases its slot, whatever the bridge does.

One row per message. Claims take a lease instead of deleting, so a worker that dies
mid-delivery leaves a row that another worker (or its own restart) reclaims when the lease
ends. Every write is its own short transaction; claims use ``BEGIN IMMEDIATE`` so two
processes never claim the same row.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

State = Literal["pending", "delivering", "delivered", "dead"]
STATES: tuple[State, ...] = ("pending", "delivering", "delivered", "dead")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    lease_until REAL,
    replayed_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
"""
_COLUMNS = (
    "id, kind, idempotency_key, payload, created_at, attempts, next_attempt_at,"
    " last_error, state, lease_until, replayed_at"
)


@dataclass(frozen=True)
class OutboxMessage:
    """A row as the worker and the CLI see it; ``attempts`` counts claims, finished or not."""

    id: int
    kind: str
    idempotency_key: str
    payload: dict[str, Any]
    created_at: float
    attempts: int
    next_attempt_at: float
    last_error: str | None
    state: State
    lease_until: float | None = None
    replayed_at: float | None = None

    @property
    def age_from(self) -> float:
        """Where max-age counts from: a replay gives a dead message a fresh life."""
        return self.replayed_at if self.replayed_at is not None else self.created_at


def _message(row: sqlite3.Row) -> OutboxMessage:
    values = dict(row)
    values["payload"] = json.loads(values["payload"])
    return OutboxMessage(**values)


class SqliteOutbox:
    """The durable queue. Thread-safe within a process, lock-safe across processes."""

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed enqueue survives power loss, not just a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        with self._tx(immediate=True) as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def enqueue(
        self,
        kind: str,
        key: str,
        payload: Mapping[str, Any] | BaseModel,
        *,
        now: float | None = None,
    ) -> bool:
        """Store a message durably; False when ``key`` is already stored (nothing changes)."""
        data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
        at = time.time() if now is None else now
        with self._tx(immediate=True) as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO outbox"
                " (kind, idempotency_key, payload, created_at, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (kind, key, json.dumps(data, separators=(",", ":")), at, at),
            )
            return cursor.rowcount == 1

    def claim_due(self, now: float, limit: int, *, lease_s: float = 60.0) -> list[OutboxMessage]:
        """Move due pending rows, and delivering rows whose lease ended, to delivering."""
        with self._tx(immediate=True) as db:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= ?)"
                    " OR (state = 'delivering' AND lease_until <= ?)"
                    " ORDER BY next_attempt_at, id LIMIT ?",
                    (now, now, limit),
                )
            ]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            db.execute(
                "UPDATE outbox SET state = 'delivering', lease_until = ?, attempts = attempts + 1"
                f" WHERE id IN ({marks})",
                (now + lease_s, *ids),
            )
            rows = db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id IN ({marks})", ids)
            return sorted((_message(row) for row in rows), key=lambda m: ids.index(m.id))

    def mark_delivered(self, id: int) -> None:
        # From any unfinished state: a late success after a lease expiry is still a success.
        self._update(id, "delivered", None, None, ("pending", "delivering"))

    def mark_failed(self, id: int, error: str, retry_at: float) -> None:
        self._update(id, "pending", error, retry_at, ("delivering",))

    def mark_dead(self, id: int, error: str) -> None:
        self._update(id, "dead", error, None, ("delivering", "pending"))

    def _update(
        self, id: int, state: State, error: str | None, retry_at: float | None, from_: Sequence[str]
    ) -> None:
        marks = ",".join("?" * len(from_))
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = ?, last_error = COALESCE(?, last_error),"
                " next_attempt_at = COALESCE(?, next_attempt_at), lease_until = NULL"
                f" WHERE id = ? AND state IN ({marks})",
                (state, error, retry_at, id, *from_),
            )

    def get(self, id: int) -> OutboxMessage | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (id,)).fetchone()
        return _message(row) if row else None

    def find(self, key: str) -> OutboxMessage | None:
        """The message stored under an idempotency key (a handoff watches its own delivery)."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE idempotency_key = ?", (key,)
            ).fetchone()
        return _message(row) if row else None

    def list(self, state: State | None = None, *, limit: int = 1000) -> list[OutboxMessage]:
        where, args = ("WHERE state = ?", (state,)) if state else ("", ())
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY id LIMIT ?", (*args, limit)
            ).fetchall()
        return [_message(row) for row in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        return {state: 0 for state in STATES} | {row[0]: row[1] for row in rows}

    def replay(self, ids: Sequence[int] | None = None, *, now: float | None = None) -> int:
        """Dead messages (these ids, or all) back to pending, attempts reset; returns a count."""
        at = time.time() if now is None else now
        where = "state = 'dead'"
        args: tuple[int, ...] = ()
        if ids is not None:
            where += f" AND id IN ({','.join('?' * len(ids))})"
            args = tuple(ids)
        with self._tx(immediate=True) as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?,"
                f" replayed_at = ?, lease_until = NULL WHERE {where}",
                (at, at, *args),
            )
            return cursor.rowcount
