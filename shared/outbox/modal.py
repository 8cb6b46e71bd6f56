"""The outbox in ``modal.Dict``s: durable across containers, where a container's disk is not.

Same contract and blocking API as :class:`~shared.outbox.store.SqliteOutbox` (the worker calls
it from a thread). A ``modal.Dict`` is durable but has no transactions; its one atomic
conditional write, ``put(key, value, skip_if_exists=True)``, makes the parts that must be
exclusive exclusive:

- ``messages``: ``msg:<id>`` -> record, ``key:<idempotency key>`` -> id (the first enqueue of a
  key wins), ``claim:<id>:<n>`` -> the n-th claim of a message (one claimer wins it, so two
  workers never hold a message at once), ``next_id`` -> where to start looking for a free id.
- ``index``: open message id -> when it is next due, so a poll lists open messages only.

Other transitions are plain writes, so two of them racing on one message (a worker whose lease
ran out, marking late) can send a message again; the receiver dedupes by key, as it already
must for a crash. None can lose one: only a real delivery writes ``delivered``. A crash between
writes can leave the index stale; :meth:`repair` (the scheduled drain runs it) puts it right.
Modal expires Dict entries after 7 days without reads or writes: replay dead letters before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from shared.outbox.store import STATES, OutboxMessage, State

OPEN: tuple[State, ...] = ("pending", "delivering")


def _message(record: Mapping[str, Any]) -> OutboxMessage:
    values = {key: value for key, value in record.items() if key != "claims"}
    return OutboxMessage(**{**values, "payload": json.loads(values["payload"])})


class ModalDictOutbox:
    """``messages`` and ``index`` are ``modal.Dict``s (or the tests' stand-in). ``claimable``
    leaves out messages this process must not take (a recording spooled on another container)."""

    def __init__(
        self,
        messages: Any,
        index: Any,
        *,
        claimable: Callable[[OutboxMessage], bool] | None = None,
    ) -> None:
        self._messages = messages
        self._index = index
        self._claimable = claimable

    def close(self) -> None:
        return None

    def _record(self, id: int) -> dict[str, Any] | None:
        record: dict[str, Any] | None = self._messages.get(f"msg:{id}")
        return record

    def _save(self, record: dict[str, Any], due: float | None) -> None:
        """The record first, then its place in the index (a closed message leaves it)."""
        self._messages.put(f"msg:{record['id']}", record)
        if due is None:
            self._index.pop(record["id"], None)
        else:
            self._index.put(record["id"], due)

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
        if self._messages.contains(f"key:{key}"):
            return False
        id = max(1, int(self._messages.get("next_id", 1)))
        record = {
            "kind": kind,
            "idempotency_key": key,
            "payload": json.dumps(data, separators=(",", ":")),
            "created_at": at,
            "attempts": 0,
            "next_attempt_at": at,
            "last_error": None,
            "state": "pending",
            "lease_until": None,
            "replayed_at": None,
            "claims": 0,  # claims ever made; unlike attempts, a replay does not reset it
        }
        while not self._messages.put(f"msg:{id}", record | {"id": id}, skip_if_exists=True):
            id += 1
        if not self._messages.put(f"key:{key}", id, skip_if_exists=True):
            self._messages.pop(f"msg:{id}", None)  # a concurrent enqueue of the key won
            return False
        self._messages.put("next_id", id + 1)
        self._index.put(id, at)  # lost in a crash: repair() restores it
        return True

    def claim_due(self, now: float, limit: int, *, lease_s: float = 60.0) -> list[OutboxMessage]:
        """Move due pending messages, and delivering ones whose lease ended, to delivering."""
        due = sorted((at, id) for id, at in self._index.items() if at <= now)
        claimed: list[OutboxMessage] = []
        for _, id in due:
            if len(claimed) >= limit:
                break
            record = self._record(id)
            if record is None or record["state"] not in OPEN:
                self._index.pop(id, None)  # stale: closed since it was indexed
                continue
            ends = record["next_attempt_at" if record["state"] == "pending" else "lease_until"]
            if ends > now:
                self._index.put(id, ends)  # the hint was early: a race between two writers
                continue
            if self._claimable and not self._claimable(_message(record)):
                continue
            if not self._messages.put(f"claim:{id}:{record['claims'] + 1}", 1, skip_if_exists=True):
                continue  # another worker claimed it first
            record |= {"state": "delivering", "lease_until": now + lease_s}
            record |= {"attempts": record["attempts"] + 1, "claims": record["claims"] + 1}
            self._save(record, now + lease_s)
            claimed.append(_message(record))
        return sorted(claimed, key=lambda m: (m.next_attempt_at, m.id))

    def mark_delivered(self, id: int) -> None:
        self._update(id, "delivered", None, None, OPEN)

    def mark_failed(self, id: int, error: str, retry_at: float) -> None:
        self._update(id, "pending", error, retry_at, ("delivering",))

    def mark_dead(self, id: int, error: str) -> None:
        self._update(id, "dead", error, None, OPEN)

    def _update(
        self, id: int, state: State, error: str | None, retry_at: float | None, from_: Sequence[str]
    ) -> None:
        record = self._record(id)
        if record is None or record["state"] not in from_:
            return
        record |= {"state": state, "lease_until": None}
        if error is not None:
            record["last_error"] = error
        if retry_at is not None:
            record["next_attempt_at"] = retry_at
        self._save(record, record["next_attempt_at"] if state in OPEN else None)

    def get(self, id: int) -> OutboxMessage | None:
        record = self._record(id)
        return _message(record) if record else None

    def find(self, key: str) -> OutboxMessage | None:
        """The message stored under an idempotency key (a handoff watches its own delivery)."""
        id = self._messages.get(f"key:{key}")
        return None if id is None else self.get(id)

    def _all(self) -> list[dict[str, Any]]:
        records = [v for k, v in self._messages.items() if isinstance(k, str) and k[:4] == "msg:"]
        return sorted(records, key=lambda record: record["id"])

    def list(self, state: State | None = None, *, limit: int = 1000) -> list[OutboxMessage]:
        records = [r for r in self._all() if state is None or r["state"] == state]
        return [_message(record) for record in records[:limit]]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(STATES, 0)
        for record in self._all():
            counts[record["state"]] += 1
        return counts

    def replay(self, ids: Sequence[int] | None = None, *, now: float | None = None) -> int:
        """Dead messages (these ids, or all) back to pending, attempts reset; returns a count."""
        at = time.time() if now is None else now
        wanted = None if ids is None else set(ids)
        replayed = 0
        for record in self._all():
            if record["state"] != "dead" or (wanted is not None and record["id"] not in wanted):
                continue
            record |= {"state": "pending", "attempts": 0, "next_attempt_at": at}
            record |= {"replayed_at": at, "lease_until": None}
            self._save(record, at)
            replayed += 1
        return replayed

    def repair(self) -> int:
        """Index every open message a crash left out, drop closed ones; returns how many moved.

        Only messages their key points at count: a record whose enqueue died before its key was
        written was never reported stored, and is left alone."""
        keys = {v: k for k, v in self._messages.items() if isinstance(k, str) and k[:4] == "key:"}
        indexed = dict(self._index.items())
        moved = 0
        for record in self._all():
            id, open_ = record["id"], record["state"] in OPEN and record["id"] in keys
            if open_ and id not in indexed:
                self._index.put(id, record["lease_until"] or record["next_attempt_at"])
                moved += 1
            elif not open_ and id in indexed:
                self._index.pop(id, None)
                moved += 1
        return moved
