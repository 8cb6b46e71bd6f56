"""The outbox in ``modal.Dict``s, against in-memory STAND-INs (no Modal server is reachable here):
workers on many threads never hold one message at once, a key races to one enqueue, a crash
between writes is repaired, and a replayed message can be claimed again. (The contract it
shares with SQLite is in test_store.py and test_delivery.py.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shared.outbox.modal import ModalDictOutbox
from shared.outbox.store import OutboxMessage
from tests.shared.tracker.fake_modal import FakeModalDict

T0 = 1_000_000.0


def outbox(claimable: Callable[[OutboxMessage], bool] | None = None) -> ModalDictOutbox:
    return ModalDictOutbox(FakeModalDict("outbox"), FakeModalDict("index"), claimable=claimable)


def run_threads(count: int, target: Callable[[int], None]) -> None:
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        target(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_concurrent_workers_never_claim_the_same_message() -> None:
    messages, index = FakeModalDict("outbox"), FakeModalDict("index")
    store = ModalDictOutbox(messages, index)
    for i in range(200):
        store.enqueue("call_result", f"k{i}", {"i": i}, now=T0)
    claimed: list[list[int]] = [[] for _ in range(4)]

    def work(n: int) -> None:
        mine = ModalDictOutbox(messages, index)  # a container of its own
        while batch := mine.claim_due(T0, 2, lease_s=3600):
            claimed[n] += [m.id for m in batch]
            time.sleep(0)  # hand the GIL over: on a busy machine one thread could take all

    run_threads(4, work)
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 200
    assert sum(1 for ids in claimed if ids) >= 2  # they really raced
    assert store.counts()["delivering"] == 200


def test_a_key_races_to_exactly_one_enqueue() -> None:
    store = outbox()
    won: list[bool] = []
    run_threads(8, lambda n: won.append(store.enqueue("call_result", "same", {"n": n}, now=T0)))
    assert won.count(True) == 1
    [message] = store.list()
    assert message.idempotency_key == "same"
    assert len(store.claim_due(T0, 10)) == 1


def test_ids_grow_in_enqueue_order() -> None:
    store = outbox()
    for key in "abc":
        store.enqueue("call_result", key, {}, now=T0)
    assert [(m.id, m.idempotency_key) for m in store.list()] == [(1, "a"), (2, "b"), (3, "c")]


def test_a_crash_before_indexing_is_repaired() -> None:
    messages, index = FakeModalDict("outbox"), FakeModalDict("index")
    store = ModalDictOutbox(messages, index)
    store.enqueue("call_result", "survivor", {"ok": True}, now=T0)
    index.clear()  # the enqueuing container died before writing the index
    messages.put("msg:99", {"id": 99, "state": "pending"})  # and one died before its key
    assert store.claim_due(T0, 10) == []
    assert store.repair() == 1
    [message] = store.claim_due(T0, 10)
    assert message.idempotency_key == "survivor"
    store.mark_delivered(message.id)
    assert store.repair() == 0 and index.len() == 0


def test_a_stale_index_entry_is_dropped() -> None:
    messages, index = FakeModalDict("outbox"), FakeModalDict("index")
    store = ModalDictOutbox(messages, index)
    store.enqueue("call_result", "a", {}, now=T0)
    [message] = store.claim_due(T0, 10)
    store.mark_delivered(message.id)
    index.put(message.id, T0)  # a late write from a worker whose lease had ended
    assert store.claim_due(T0 + 100, 10) == []
    assert index.len() == 0


def test_a_replayed_message_can_be_claimed_again() -> None:
    store = outbox()
    store.enqueue("call_result", "a", {}, now=T0)
    for attempt in range(2):  # replay resets attempts; claims stay unique anyway
        [message] = store.claim_due(T0 + attempt, 10)
        assert message.attempts == 1
        store.mark_dead(message.id, "HTTP 422")
        assert store.replay(now=T0 + attempt + 1) == 1


def test_claimable_leaves_other_containers_messages_alone() -> None:
    store = outbox(claimable=lambda message: message.payload.get("here", True))
    store.enqueue("recording", "theirs", {"here": False}, now=T0)
    store.enqueue("recording", "mine", {"here": True}, now=T0)
    assert [m.idempotency_key for m in store.claim_due(T0, 10)] == ["mine"]
    assert store.counts()["pending"] == 1


def test_an_idle_poll_is_one_round_trip() -> None:
    messages, index = FakeModalDict("outbox"), FakeModalDict("index")
    store = ModalDictOutbox(messages, index)
    store.enqueue("call_result", "later", {}, now=T0 + 60)
    before = messages.calls + index.calls
    assert store.claim_due(T0, 20) == []
    assert messages.calls + index.calls - before == 1
