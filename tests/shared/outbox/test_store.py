"""The outbox contract (SQLite and modal.Dict alike): idempotent enqueue, leases, transitions,
replay; then SQLite's own: cross-process claims and durability through a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.outbox import SqliteOutbox
from shared.results import CallResult
from tests.shared.outbox.conftest import BACKENDS, open_outbox

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_000_000.0


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from open_outbox(request.param, tmp_path)


def test_enqueue_is_idempotent_by_key(store: SqliteOutbox) -> None:
    assert store.enqueue("call_result", "call_result:c1", {"n": 1}, now=T0) is True
    assert store.enqueue("call_result", "call_result:c1", {"n": 2}, now=T0 + 1) is False
    [message] = store.list()
    assert (message.payload, message.created_at, message.state) == ({"n": 1}, T0, "pending")


def test_enqueue_takes_a_call_result_model(store: SqliteOutbox) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    result = CallResult(
        call_id="c9", transport="twilio", bot_id="b", started_at=at, ended_at=at,
        duration_s=0.0, disconnected_by="caller",
    )  # fmt: skip
    store.enqueue("call_result", "call_result:c9", result)
    payload = store.list()[0].payload
    assert CallResult.model_validate(payload) == result


def test_claim_leases_and_an_expired_lease_is_reclaimed(store: SqliteOutbox) -> None:
    for i in range(3):
        store.enqueue("call_result", f"k{i}", {"i": i}, now=T0)
    claimed = store.claim_due(T0, 2, lease_s=30)
    assert [m.idempotency_key for m in claimed] == ["k0", "k1"]
    assert all(m.state == "delivering" and m.attempts == 1 for m in claimed)
    assert [m.idempotency_key for m in store.claim_due(T0, 10, lease_s=30)] == ["k2"]
    assert store.claim_due(T0 + 29, 10) == []  # leases still held
    again = store.claim_due(T0 + 30, 10, lease_s=30)  # a crashed worker's rows come back
    assert sorted(m.idempotency_key for m in again) == ["k0", "k1", "k2"]
    assert all(m.attempts == 2 for m in again)


def test_transitions_and_backoff_schedule(store: SqliteOutbox) -> None:
    store.enqueue("handoff", "a", {}, now=T0)
    store.enqueue("handoff", "b", {}, now=T0)
    a, b = store.claim_due(T0, 10)
    store.mark_failed(a.id, "HTTP 503", retry_at=T0 + 5)
    store.mark_delivered(b.id)
    assert store.claim_due(T0 + 4, 10) == []  # not due yet; delivered is never claimed
    store.mark_failed(b.id, "late failure from a stale worker", retry_at=T0)  # no regression
    assert store.get(b.id).state == "delivered"  # type: ignore[union-attr]
    [again] = store.claim_due(T0 + 5, 10)
    assert (again.id, again.attempts, again.last_error) == (a.id, 2, "HTTP 503")
    store.mark_dead(a.id, "HTTP 400")
    assert store.counts() == {"pending": 0, "delivering": 0, "delivered": 1, "dead": 1}
    assert [m.last_error for m in store.list("dead")] == ["HTTP 400"]


def test_replay_moves_dead_back_with_attempts_reset(store: SqliteOutbox) -> None:
    for key in ("a", "b", "c"):
        store.enqueue("call_result", key, {}, now=T0)
    for message in store.claim_due(T0, 10):
        store.mark_dead(message.id, "HTTP 422")
    a, *_ = store.list("dead")
    assert store.replay([a.id], now=T0 + 100) == 1
    replayed = store.get(a.id)
    assert replayed is not None
    assert (replayed.state, replayed.attempts, replayed.replayed_at) == ("pending", 0, T0 + 100)
    assert replayed.age_from == T0 + 100
    assert store.replay([a.id]) == 0  # only dead rows move
    assert store.replay() == 2
    assert store.counts()["pending"] == 3


_CLAIMER = """
import json, sys, time
from shared.outbox import SqliteOutbox
store = SqliteOutbox(sys.argv[1])
while time.time() < float(sys.argv[2]):
    time.sleep(0.001)
ids = []
while batch := store.claim_due(2e9, 2, lease_s=3600):
    ids += [m.id for m in batch]
    time.sleep(0.002)  # a worker delivers between claims; gives the others a turn
print(json.dumps(ids))
"""


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_concurrent_processes_never_claim_the_same_row(store: SqliteOutbox) -> None:
    for i in range(200):
        store.enqueue("call_result", f"k{i}", {"i": i})
    start = str(time.time() + 1.0)  # all begin together, after imports
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, str(store.path), start],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    claimed = [json.loads(proc.communicate(timeout=30)[0]) for proc in procs]
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 200
    assert sum(1 for ids in claimed if ids) >= 2  # they really raced
    assert store.counts()["delivering"] == 200


_ENQUEUE_THEN_DIE = """
import os, signal, sys
from shared.outbox import SqliteOutbox
SqliteOutbox(sys.argv[1]).enqueue("call_result", "survivor", {"ok": True})
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_enqueue_is_durable_when_the_process_dies_right_after(tmp_path: Path) -> None:
    db = tmp_path / "outbox.db"
    proc = subprocess.run([sys.executable, "-c", _ENQUEUE_THEN_DIE, str(db)], cwd=ROOT)
    assert proc.returncode == -signal.SIGKILL
    store = SqliteOutbox(db)
    assert [m.idempotency_key for m in store.list("pending")] == ["survivor"]
    store.close()
    assert os.path.exists(db)
