"""Fault tests against a real results endpoint: errors, hangs and an outage, then recovery.

Each ends with every enqueued key stored exactly once at the bridge and nothing pending, with
every outbox backend behind the worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from lab.local_server import free_port
from shared.outbox import HttpSink, OutboxWorker, SqliteOutbox
from tests.shared.outbox.conftest import BACKENDS, open_outbox
from tests.shared.outbox.endpoint import SECRET, Endpoint, Server


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from open_outbox(request.param, tmp_path)


def fill(store: SqliteOutbox, n: int) -> list[str]:
    keys = [f"call_result:call-{i}" for i in range(n)]
    for i, key in enumerate(keys):
        store.enqueue("call_result", key, {"call_id": f"call-{i}", "turns": i})
    return keys


def fast_worker(store: SqliteOutbox, sink: HttpSink, **options: float) -> OutboxWorker:
    settings: dict[str, float] = {"base_delay_s": 0.05, "max_delay_s": 0.2, "poll_s": 0.02}
    return OutboxWorker(store, sink, **(settings | options))  # type: ignore[arg-type]


async def drain(worker: OutboxWorker, store: SqliteOutbox, within_s: float = 15) -> None:
    deadline = time.monotonic() + within_s
    while (counts := store.counts())["pending"] + counts["delivering"]:
        assert time.monotonic() < deadline, f"not drained: {counts}"
        if not await worker.run_once():
            await asyncio.sleep(0.02)


def assert_exactly_once(endpoint: Endpoint, store: SqliteOutbox, keys: list[str]) -> None:
    assert sorted(endpoint.stored) == sorted(keys)
    assert store.counts() == {"pending": 0, "delivering": 0, "delivered": len(keys), "dead": 0}
    for key in keys:
        assert endpoint.stored[key]["call_id"] == key.split(":")[1]


async def test_server_errors_then_recovery(endpoint: Endpoint, store: SqliteOutbox) -> None:
    keys = fill(store, 12)
    endpoint.behaviour.fail_first = 30  # every message fails at least twice
    sink = HttpSink(endpoint.url, SecretStr(SECRET), timeout=2)
    await drain(fast_worker(store, sink, batch=5), store)
    await sink.aclose()
    assert_exactly_once(endpoint, store, keys)
    assert endpoint.behaviour.fail_first == 0 and endpoint.duplicates == 0
    assert max(m.attempts for m in store.list()) >= 3


async def test_hanging_bridge_times_out_and_is_retried(
    endpoint: Endpoint, store: SqliteOutbox
) -> None:
    keys = fill(store, 8)
    endpoint.behaviour.hang_first, endpoint.behaviour.hang_s = 10, 1.0
    sink = HttpSink(endpoint.url, SecretStr(SECRET), timeout=0.25)
    await drain(fast_worker(store, sink), store)
    await sink.aclose()
    assert_exactly_once(endpoint, store, keys)
    assert endpoint.behaviour.hang_first == 0
    assert {m.last_error for m in store.list() if m.attempts > 1} == {"ReadTimeout"}


async def test_bridge_down_then_up(store: SqliteOutbox) -> None:
    keys = fill(store, 6)
    port = free_port()
    endpoint = Endpoint()
    sink = HttpSink(f"http://127.0.0.1:{port}/results", SecretStr(SECRET), timeout=1)
    worker = fast_worker(store, sink)
    for _ in range(3):  # refused: nothing listens yet
        assert await worker.run_once() == 6
        await asyncio.sleep(0.25)  # past max_delay_s: all due again
    assert store.counts()["pending"] == 6
    assert {m.last_error for m in store.list()} == {"ConnectError"}
    server = Server(endpoint, port).start()
    try:
        await drain(worker, store)
    finally:
        server.stop()
        await sink.aclose()
    assert_exactly_once(endpoint, store, keys)


async def test_refused_message_is_dead_until_replayed(
    endpoint: Endpoint, store: SqliteOutbox
) -> None:
    keys = fill(store, 3)
    endpoint.behaviour.status = 422
    sink = HttpSink(endpoint.url, SecretStr(SECRET), timeout=2)
    worker = fast_worker(store, sink)
    assert await worker.run_once() == 3
    assert store.counts()["dead"] == 3 and await worker.run_once() == 0
    endpoint.behaviour.status = None  # the bridge is fixed; an operator replays
    assert store.replay() == 3
    await drain(worker, store)
    await sink.aclose()
    assert_exactly_once(endpoint, store, keys)


async def test_too_old_message_goes_dead(endpoint: Endpoint, store: SqliteOutbox) -> None:
    store.enqueue("handoff", "handoff:h1", {"to": "agent"}, now=time.time() - 100)
    endpoint.behaviour.status = 503
    sink = HttpSink(endpoint.url, SecretStr(SECRET), timeout=2)
    await fast_worker(store, sink, max_age_s=50).run_once()
    await sink.aclose()
    [dead] = store.list("dead")
    assert (dead.idempotency_key, dead.last_error) == ("handoff:h1", "HTTP 503")


def test_backoff_grows_caps_and_jitters(store: SqliteOutbox) -> None:
    sink = HttpSink("http://127.0.0.1:9/", SecretStr("x"))
    worker = OutboxWorker(store, sink, base_delay_s=1, max_delay_s=300, jitter=0.2)
    for attempts, cap in [(1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (40, 300)]:
        delays = [worker.retry_delay(attempts) for _ in range(200)]
        assert all(0.8 * cap <= d <= cap for d in delays)
        assert len(set(delays)) > 100  # spread apart, not in lockstep
    full = OutboxWorker(store, sink, jitter=1.0)
    assert min(full.retry_delay(5) for _ in range(500)) < 1.6  # full jitter reaches near 0
