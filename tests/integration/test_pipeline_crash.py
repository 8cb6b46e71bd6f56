"""A provider that fails for good mid-call ends that call: result "error", 1011, slot released.

Each bot has one scripted fake provider (shared/providers/fake) that works for one turn, then
fails the way a provider whose key was revoked does: a permanent error category, so Pipecat
marks the service unusable. STT fails in Pipecat's segment task on the caller's second turn,
the LLM reports its failure itself on its second answer, TTS yields it on the first reply
after the greeting. The server has one call slot, so a second call getting through proves the
first gave it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from lab.caller.session import CallOptions, place_call
from lab.local_server import RunningServer, start_server

HEARD = "I'd like to check my order."
KINDS = ["llm", "stt", "tts"]


def crash_bot(kind: str) -> dict[str, Any]:
    """A bot whose ``kind`` provider is a fake that serves one turn (TTS: the greeting) and
    then fails for good; its other providers are the offline ones, or a working fake STT."""
    fails = {"fail_after": 1, "error": "authentication"}
    stt_script = {"transcripts": [HEARD, "Five five."], **(fails if kind == "stt" else {})}
    return {
        "id": f"crashy-{kind}",
        "name": f"Crash test ({kind})",
        "scenario": "support_desk",
        "greeting": "Hello.",
        "recording": False,
        "limits": {"max_duration_s": 20, "silence_timeout_s": 15, "silence_reprompts": 0},
        "stt": {"kind": "stt", "name": "fake", "options": stt_script},
        "llm": (
            {"kind": "llm", "name": "fake", "options": {"replies": ["Your order number?"], **fails}}
            if kind == "llm"
            else {"kind": "llm", "name": "local-intent"}
        ),
        "tts": (
            {"kind": "tts", "name": "fake", "options": fails}
            if kind == "tts"
            else {"kind": "tts", "name": "local-piper"}
        ),
    }


def flaky_llm_bot() -> dict[str, Any]:
    """An LLM that fails every turn with an error it could carry on from (a 5xx)."""
    bot = crash_bot("llm") | {"id": "flaky-llm"}
    bot["stt"]["options"]["transcripts"] = [HEARD, "Five five.", "Hello?"]
    bot["llm"] = {"kind": "llm", "name": "fake", "options": {"fail_after": 0, "error": "server"}}
    return bot


CLIPS = [
    "asterisk-core-en/vm-dialout.wav",
    "pocketsphinx/cards_004.wav",
    "pocketsphinx/cards_001.wav",
]


@pytest.fixture(scope="module")
def crash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    bots = tmp_path_factory.mktemp("bots")
    for kind in KINDS:
        (bots / f"crashy-{kind}.yaml").write_text(yaml.safe_dump(crash_bot(kind)))
    (bots / "flaky-llm.yaml").write_text(yaml.safe_dump(flaky_llm_bot()))
    env = {"VOXCORE_BOTS_DIR": str(bots), "MAX_CONCURRENT_CALLS": "1"}
    server = start_server(tmp_path_factory.mktemp("crash"), env)
    yield server
    server.stop()


def active_calls(server: RunningServer) -> int:
    return int(httpx.get(f"{server.http}/ready", timeout=5).json()["active_calls"])


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
async def test_a_provider_failing_mid_call_ends_it_and_frees_the_slot(
    kind: str, crash_server: RunningServer, speech_dir: Path
) -> None:
    bot, call_id = f"crashy-{kind}", f"crashed-{kind}"
    report = await place_call(
        "dialler",
        crash_server.ws("/ws/dialler"),
        [speech_dir / clip for clip in CLIPS],
        bot=bot,
        call_id=call_id,
        options=CallOptions(timeout_s=40),
        transcribe=False,
    )
    result = crash_server.result(call_id)
    assert result["disconnected_by"] == "error", result
    assert (report.closed_by, report.close_code) == ("server", 1011)
    assert report.close_reason.startswith(f"internal error: Fake{kind.upper()}Service")
    assert (result["close_code"], result["close_reason"]) == (1011, report.close_reason)
    caller = [turn["text"] for turn in result["transcript"] if turn["role"] == "caller"]
    assert caller[0] == HEARD  # the call was under way when the provider failed
    assert not report.turns[2].spoken  # the call ended before the caller's third turn
    assert result["duration_s"] < 15  # ended at the failure, not at the 20 s maximum

    assert active_calls(crash_server) == 0
    # The only slot is free again: the next call is served (not refused with 1013).
    after = await place_call(
        "dialler",
        crash_server.ws("/ws/dialler"),
        [],
        bot=bot,
        call_id=f"after-{call_id}",
        options=CallOptions(timeout_s=20),
        transcribe=False,
    )
    assert (after.closed_by, after.close_code) == ("caller", 1000), after.text()
    assert crash_server.result(f"after-{call_id}")["disconnected_by"] == "caller"
    assert active_calls(crash_server) == 0


@pytest.mark.slow
async def test_a_provider_failing_every_turn_ends_the_call_at_its_error_budget(
    crash_server: RunningServer, speech_dir: Path
) -> None:
    """Errors Pipecat carries on from still end the call once one service has spent its
    budget (functions/call/session.py ERROR_BUDGET): the caller is not left with a mute bot."""
    report = await place_call(
        "dialler",
        crash_server.ws("/ws/dialler"),
        [speech_dir / clip for clip in CLIPS],
        bot="flaky-llm",
        call_id="flaky-llm",
        # The bot never answers: the caller waits for each reply, then goes on. Long enough
        # that the server has ended the turn (and its LLM has failed) before the next clip:
        # at 2 s a loaded machine's slower decode let a clip join the turn before it, leaving
        # two failures where three were meant.
        options=CallOptions(timeout_s=45, answer_timeout_s=5),
        transcribe=False,
    )
    result = crash_server.result("flaky-llm")
    assert (result["disconnected_by"], report.close_code) == ("error", 1011)
    assert report.close_reason.startswith("internal error: FakeLLMService")
    caller = [turn["text"] for turn in result["transcript"] if turn["role"] == "caller"]
    assert caller == [HEARD, "Five five.", "Hello?"]  # three turns, three failures
    assert active_calls(crash_server) == 0
