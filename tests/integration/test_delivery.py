"""Call results reach the bridge from a real server: signed, once per call, through a crash.

A fake bridge (tests/fakes/bridge.py) serves the bot and takes results the way
docs/results-delivery.md asks a bridge to: it checks each signature on the raw body and stores
each Idempotency-Key once. The server is a real ``voxcore serve`` subprocess pointed at it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.caller.session import CallOptions, place_call
from lab.local_server import RunningServer, start_server
from shared.outbox import SqliteOutbox
from shared.results import CALL_RESULT
from tests.fakes.bridge import bot, running_bridge
from tests.polling import wait_for


def key(call_id: str) -> str:
    return f"{CALL_RESULT}:{call_id}"


@pytest.mark.slow
async def test_a_real_call_reaches_the_bridge_once_and_signed(
    tmp_path: Path, speech_dir: Path
) -> None:
    call_id = "delivered-1"
    with running_bridge({"alpha": bot("alpha")}) as bridge:
        server = start_server(tmp_path, bridge.server_env())
        try:
            report = await place_call(
                "dialler",
                server.ws("/ws/dialler"),
                [speech_dir / "asterisk-core-en/vm-dialout.wav"],
                bot="alpha",
                call_id=call_id,
                options=CallOptions(timeout_s=60),
                transcribe=False,
            )
            assert report.errors == [] and report.closed_by == "caller", report.text()
            wait_for(lambda: key(call_id) in bridge.results.stored, 15, "the call's result")
        finally:
            server.stop()  # a clean stop tries once more what is due: no second POST may follow

    assert "/v1/bots/alpha" in bridge.requests  # the bot came from the bridge ...
    assert set(bridge.auth) == {"Bearer bridge-token"}  # ... asked for with its token
    inbox = bridge.results
    assert inbox.posts == [key(call_id)] and inbox.refused == []
    assert inbox.bad_signatures == 0  # every POST carried a valid signature
    assert inbox.last_headers["x-voxcore-kind"] == CALL_RESULT
    assert inbox.last_headers["idempotency-key"] == key(call_id)
    result = inbox.stored[key(call_id)]
    assert (result["call_id"], result["bot_id"], result["transport"]) == (
        call_id,
        "alpha",
        "dialler",
    )
    assert result["disconnected_by"] == "caller"
    roles = [turn["role"] for turn in result["transcript"]]
    assert roles[0] == "bot" and "caller" in roles, result["transcript"]
    assert all(turn["text"] for turn in result["transcript"])
    # Results go to the bridge, not to the local file.
    assert not (server.data_dir / "results.jsonl").exists()


def pending_results(outbox: SqliteOutbox, keys: set[str]) -> list[Any]:
    return [m for m in outbox.list() if m.idempotency_key in keys]


def all_refused_and_waiting(outbox: SqliteOutbox, keys: set[str], refused: list[str]) -> bool:
    """Every result was refused by the bridge at least once, and none is being sent right now.

    The kill must not land on a row in flight: its lease (60 s in the server) would hold the
    restarted server off that row for a minute. A retry is at least ~0.8 s away, so a row seen
    pending with its retry 0.3 s off stays pending through the kill.
    """
    rows = pending_results(outbox, keys)
    soon = time.time() + 0.3
    return (
        keys <= set(refused)
        and len(rows) == len(keys)
        and all(row.state == "pending" and row.next_attempt_at > soon for row in rows)
    )


async def hang_up_after_greeting(server: RunningServer, call_id: str) -> None:
    report = await place_call(
        "dialler",
        server.ws("/ws/dialler"),
        [],
        bot="beta",
        call_id=call_id,
        options=CallOptions(timeout_s=20),
        transcribe=False,
    )
    assert report.closed_by == "caller" and report.close_code == 1000, report.text()


@pytest.mark.slow
async def test_sigkill_of_the_server_mid_delivery_then_restart_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    # A scripted STT: these calls need no speech, and the server need not load Whisper.
    beta = bot("beta", stt={"kind": "stt", "name": "fake"}, recording=False)
    bots = tmp_path / "bots"
    bots.mkdir()
    (bots / "beta.yaml").write_text(yaml.safe_dump(beta))  # what the server preloads
    call_ids = [f"killed-{i}" for i in range(3)]
    keys = {key(call_id) for call_id in call_ids}

    with running_bridge({"beta": beta}) as bridge:
        env = bridge.server_env() | {"VOXCORE_BOTS_DIR": str(bots)}
        bridge.results.behaviour.status = 500  # the bridge's results store is down
        server = start_server(tmp_path, env, own_group=True)
        try:
            await asyncio.gather(*(hang_up_after_greeting(server, c) for c in call_ids))
            outbox = SqliteOutbox(server.data_dir / "outbox.sqlite")
            try:
                wait_for(
                    lambda: all_refused_and_waiting(outbox, keys, bridge.results.refused),
                    20,
                    "every result refused once and waiting to be retried",
                )
                server.kill()  # SIGKILL, the whole process group
                before_restart = {m.idempotency_key: m for m in pending_results(outbox, keys)}
            finally:
                outbox.close()
        finally:
            server.kill()
        assert bridge.results.stored == {}
        assert {m.state for m in before_restart.values()} == {"pending"}
        attempts = sum(m.attempts for m in before_restart.values())

        bridge.results.behaviour.status = None  # the bridge is back
        restarted = start_server(tmp_path, env, own_group=True)
        try:
            wait_for(lambda: keys <= set(bridge.results.stored), 20, "every result delivered")
        finally:
            restarted.stop()

    inbox = bridge.results
    assert set(inbox.stored) == keys  # nothing lost, nothing else sent
    assert sorted(inbox.posts) == sorted(keys)  # ... each stored exactly once
    assert inbox.bad_signatures == 0
    for call_id in call_ids:
        result = inbox.stored[key(call_id)]
        assert (result["call_id"], result["bot_id"]) == (call_id, "beta")
        assert result["disconnected_by"] == "caller"
        assert [turn["text"] for turn in result["transcript"]] == ["Hello."]
    with capsys.disabled():
        print(
            f"\n[server crash] killed with {len(keys)} results pending after {attempts}"
            f" refused attempts; after restart {len(inbox.posts)} POSTs for {len(keys)} keys;"
            f" {time.monotonic() - started:.1f} s in all"
        )


@pytest.mark.slow
async def test_sigkill_while_the_bridge_holds_the_ack_then_restart_stores_once(
    tmp_path: Path,
) -> None:
    """The worst moment: the bridge stored the result, the server died before the ack came.

    After the restart the lease on the in-flight row expires (1 s here), the result is sent
    again, and the bridge's idempotency key makes the second POST a no-op.
    """
    beta = bot("beta", stt={"kind": "stt", "name": "fake"}, recording=False)
    bots = tmp_path / "bots"
    bots.mkdir()
    (bots / "beta.yaml").write_text(yaml.safe_dump(beta))
    call_ids = ["in-flight-0", "in-flight-1"]
    keys = {key(call_id) for call_id in call_ids}

    with running_bridge({"beta": beta}) as bridge:
        env = bridge.server_env() | {
            "VOXCORE_BOTS_DIR": str(bots),
            "VOXCORE_OUTBOX_LEASE_S": "1",
        }
        bridge.results.behaviour.delay_s = 30  # stored at once, acknowledged never (in time)
        server = start_server(tmp_path, env, own_group=True)
        try:
            await asyncio.gather(*(hang_up_after_greeting(server, c) for c in call_ids))
            wait_for(lambda: keys <= set(bridge.results.posts), 15, "results stored, unacked")
        finally:
            server.kill()
        bridge.results.behaviour.delay_s = 0
        restarted = start_server(tmp_path, env, own_group=True)
        try:
            outbox = SqliteOutbox(restarted.data_dir / "outbox.sqlite")
            try:
                wait_for(
                    lambda: {m.state for m in pending_results(outbox, keys)} == {"delivered"},
                    20,
                    "every row acknowledged after the restart",
                )
            finally:
                outbox.close()
        finally:
            restarted.stop()

    inbox = bridge.results
    assert set(inbox.stored) == keys  # each result stored exactly once ...
    assert all(inbox.posts.count(k) >= 2 for k in keys)  # ... though sent again after the kill
    assert inbox.bad_signatures == 0
