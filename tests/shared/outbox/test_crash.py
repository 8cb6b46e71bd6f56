"""The deliverer is SIGKILLed mid-delivery and restarted: nothing lost, nothing counted twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shared.outbox import SqliteOutbox
from tests.polling import wait_for
from tests.shared.outbox.endpoint import SECRET, Endpoint

ROOT = Path(__file__).resolve().parents[3]


def start_worker(db: Path, url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "shared.outbox", "--db", str(db), "deliver", "--url", url]
    options = ["--lease", "1", "--poll", "0.05", "--timeout", "5"]
    env = os.environ | {"VOXCORE_BRIDGE_SECRET": SECRET}
    return subprocess.Popen(command + options, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


def test_sigkill_mid_delivery_loses_nothing(
    endpoint: Endpoint, store: SqliteOutbox, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [f"call_result:crash-{i}" for i in range(30)]
    for key in keys:
        store.enqueue("call_result", key, {"key": key})
    endpoint.behaviour.delay_s = 0.6  # stored at the bridge, acknowledgement still on its way

    first = start_worker(store.path, endpoint.url)
    wait_for(lambda: len(endpoint.posts) >= 5, within_s=15)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=5)
    in_flight = store.counts()["delivering"]
    stored_before_restart = len(endpoint.stored)
    assert in_flight > 0, "the kill should land while deliveries are in flight"

    second = start_worker(store.path, endpoint.url)
    try:
        wait_for(lambda: store.counts()["delivered"] == len(keys), within_s=20)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0  # a clean stop on SIGTERM

    assert sorted(endpoint.stored) == sorted(keys)  # nothing lost, each key stored once
    assert store.counts() == {"pending": 0, "delivering": 0, "delivered": 30, "dead": 0}
    assert endpoint.duplicates > 0  # the in-flight ones were sent again ...
    assert len(endpoint.posts) == len(keys) + endpoint.duplicates  # ... and absorbed by key
    with capsys.disabled():
        print(
            f"\n[crash] killed with {in_flight} in flight ({stored_before_restart} already stored"
            f" at the bridge); {len(endpoint.posts)} POSTs for {len(keys)} keys:"
            f" {endpoint.duplicates} duplicates absorbed by Idempotency-Key"
        )
