"""The scheduled drain and the choice of shared backends, with in-memory STAND-INs for
``modal.Dict`` (no Modal server is reachable here) and a real fake bridge over HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import cast

import pytest
from pydantic import SecretStr

from functions.modal import backends
from functions.modal.drain import delivery_sink, drain_outbox
from functions.state import AppState
from shared.outbox import HttpSink, JsonlSink, SqliteOutbox
from shared.outbox.modal import ModalDictOutbox
from shared.outbox.sinks import RoutingSink
from shared.outbox.store import OutboxMessage
from shared.settings import Settings
from shared.storage.uploads import spool_recording
from shared.tracker import InProcessCallTracker, RedisCallTracker
from shared.tracker.modal import ModalDictCallTracker
from tests.fakes.bridge import running_bridge
from tests.shared.tracker.fake_modal import FakeModal


@pytest.fixture
def modal(monkeypatch: pytest.MonkeyPatch) -> FakeModal:
    fake = FakeModal()
    monkeypatch.setattr(backends, "dict_named", fake.dict)
    return fake


def test_backends_follow_the_settings(tmp_path: Path, modal: FakeModal) -> None:
    def settings(**values: object) -> Settings:
        return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]

    assert isinstance(backends.call_tracker(settings()), InProcessCallTracker)
    tracker = backends.call_tracker(settings(tracker_dict="slots", max_concurrent_calls=20))
    assert isinstance(tracker, ModalDictCallTracker) and tracker.limit == 20
    redis = settings(tracker_dict="slots", tracker_url=SecretStr("redis://127.0.0.1:1/0"))
    assert isinstance(backends.call_tracker(redis), RedisCallTracker)  # the URL wins
    assert isinstance(backends.outbox_store(settings()), SqliteOutbox)
    assert isinstance(backends.outbox_store(settings(outbox_dict="outbox")), ModalDictOutbox)
    assert {"slots", "outbox", "outbox-index"} <= set(modal.dicts)


def test_the_drain_sends_where_the_call_containers_would(tmp_path: Path) -> None:
    for values in ({}, {"bridge_url": "http://bridge", "bridge_secret": SecretStr("s")}):
        settings = Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]
        routes = delivery_sink(settings).routes
        state = AppState.from_settings(settings)
        try:
            containers = cast(RoutingSink, state.delivery.sink).routes
        finally:
            state.outbox.close()
        for kind in ("call_result", "handoff"):
            ours, theirs = routes[kind], containers[kind]
            assert type(ours) is type(theirs)
            if isinstance(ours, HttpSink) and isinstance(theirs, HttpSink):
                assert ours.url == theirs.url
            if isinstance(ours, JsonlSink) and isinstance(theirs, JsonlSink):
                assert ours.path == theirs.path
        if values:
            assert cast(HttpSink, routes["call_result"]).url == "http://bridge/v1/call-results"
        else:
            assert cast(JsonlSink, routes["call_result"]).path == tmp_path / "results.jsonl"


async def test_the_drain_delivers_what_no_container_is_left_to(
    tmp_path: Path, modal: FakeModal
) -> None:
    with running_bridge({}) as bridge:
        settings = Settings(
            data_dir=tmp_path,
            outbox_dict="outbox",
            bridge_url=bridge.url,
            bridge_secret=SecretStr(bridge.results.secret),
        )
        outbox = backends.outbox_store(settings)
        for i in range(3):
            outbox.enqueue("call_result", f"call_result:c{i}", {"call_id": f"c{i}"})
        outbox.enqueue("handoff", "handoff:c0", {"call_id": "c0"})
        modal.dict("outbox-index").clear()  # the containers died before indexing them
        young = spool_recording(tmp_path / "elsewhere", "c1", "k1", b"RIFF", {})
        (tmp_path / "elsewhere" / "c1.wav").unlink()  # that disk is another container's
        outbox.enqueue("recording", "recording:c1", young)
        old = young | {"spool": str(tmp_path / "gone.wav")}
        outbox.enqueue("recording", "recording:c2", old, now=time.time() - 7200)

        report = await drain_outbox(settings, budget_s=10)

    assert sorted(bridge.results.stored) == ["call_result:c0", "call_result:c1", "call_result:c2"]
    assert list(bridge.handoffs.stored) == ["handoff:c0"]
    assert report["repaired"] == 4 and report["delivered"] == 4
    assert report["pending"] == 1  # the young recording waits for the container that has it
    [dead] = outbox.list("dead")
    assert dead.idempotency_key == "recording:c2"
    assert dead.last_error and "is gone" in dead.last_error


def test_recordings_belong_to_the_container_that_spooled_them(tmp_path: Path) -> None:
    spooled = spool_recording(tmp_path, "c9", "key", b"RIFF", {})

    def message(kind: str, payload: dict[str, object], age_s: float = 0) -> OutboxMessage:
        at = time.time() - age_s
        return OutboxMessage(1, kind, "k", payload, at, 0, at, None, "pending")

    assert backends.spooled_here(message("recording", spooled))
    assert not backends.spooled_here(message("recording", {"spool": "/nowhere/c9.wav"}))
    assert backends.spooled_here(message("call_result", {}))
    assert not backends.orphaned_or_not_recording(message("recording", spooled))
    assert backends.orphaned_or_not_recording(message("recording", spooled, age_s=7200))
    assert backends.orphaned_or_not_recording(message("handoff", {}))
