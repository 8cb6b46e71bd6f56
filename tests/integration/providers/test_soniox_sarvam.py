"""Soniox STT, Sarvam STT and Sarvam TTS in real calls: a carrier socket at 8 kHz, fakes behind.

One real server with three support bots, one per provider under test, their keys and endpoints
from settings (canary keys, the fakes' URLs); the three calls run at once. Each must open the
right ticket over two caller turns and leave the provider's usage and per-turn latency from
Pipecat's metrics; the fakes must have been sent 8 kHz audio (or asked for 8 kHz speech) with
the tenant's key, which must never appear in results or logs. The caller of the Sarvam TTS bot
must have heard the greeting as speech.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lab.caller.report import CallReport
from lab.local_server import RunningServer
from shared.providers.local_piper.tts import preload as preload_piper
from shared.providers.local_whisper.model import transcribe
from shared.providers.spec import ProviderSpec
from tests.fakes.server import serving
from tests.fakes.vendors.sarvam import FakeSarvam
from tests.fakes.vendors.soniox import FakeSoniox
from tests.fakes.vendors.speech import recognize
from tests.integration.providers.harness import (
    start_provider_server,
    support_bot,
    support_call,
    ticket_opened,
)

RATE = 8000
KEYS = {
    "soniox": f"soniox-canary-{secrets.token_hex(8)}",
    "sarvam": f"sarvam-canary-{secrets.token_hex(8)}",
}
SONIOX_STT = {"kind": "stt", "name": "soniox"}
SARVAM_STT = {"kind": "stt", "name": "sarvam"}
SARVAM_TTS = {"kind": "tts", "name": "sarvam", "options": {"voice": "priya"}}
BOTS: dict[str, dict[str, Any]] = {
    "stt-soniox": support_bot("stt-soniox", stt=SONIOX_STT, recording=False),
    "stt-sarvam": support_bot("stt-sarvam", stt=SARVAM_STT, recording=False),
    "tts-sarvam": support_bot("tts-sarvam", tts=SARVAM_TTS, recording=False),
}
# bot -> the provider under test: (kind, name, Pipecat's class, usage unit)
UNDER_TEST = {
    "stt-soniox": ("stt", "soniox", "SonioxSTT", "audio_seconds"),
    "stt-sarvam": ("stt", "sarvam", "SarvamRealtimeSTTService", "audio_seconds"),
    "tts-sarvam": ("tts", "sarvam", "SarvamTTSService", "characters"),
}
Call = tuple[CallReport, dict[str, Any]]


# Its Sarvam STT call was seen to hear "five five" as "5" on a loaded machine: run alone.
pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeSoniox, FakeSarvam, dict[str, str]]]:
    transcribe(np.zeros(RATE, np.int16), RATE)  # load Whisper and Piper before the calls
    preload_piper(ProviderSpec(kind="tts", name="local-piper"))
    soniox, sarvam = FakeSoniox(KEYS["soniox"]), FakeSarvam(KEYS["sarvam"])
    with serving(soniox.app()) as soniox_url, serving(sarvam.app()) as sarvam_url:
        yield soniox, sarvam, {"soniox": soniox_url, "sarvam": sarvam_url}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fakes: tuple[FakeSoniox, FakeSarvam, dict[str, str]],
) -> Iterator[RunningServer]:
    running = start_provider_server(
        tmp_path_factory.mktemp("soniox-sarvam"), list(BOTS.values()), KEYS, fakes[2]
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def calls(server: RunningServer, speech_dir: Path) -> dict[str, Call]:
    """The three calls, placed at once (one event loop of their own, shared by the tests)."""

    async def place() -> list[Call]:
        return await asyncio.gather(*(support_call(server, speech_dir, bot) for bot in BOTS))

    return dict(zip(BOTS, asyncio.run(place()), strict=True))


def ttfb(result: dict[str, Any], kind: str, name: str, cls: str) -> list[float]:
    """The provider's TTFB in each turn (keyed by its label, or by Pipecat's processor name)."""
    return [
        ms
        for turn in result["latency"]
        for key, ms in turn["ttfb_ms"].items()
        if key.split("/")[0] == f"{kind}:{name}" or key.startswith(f"{cls}#")
    ]


@pytest.mark.slow
@pytest.mark.parametrize("bot", list(BOTS))
def test_a_two_turn_ticket_call_at_8khz(bot: str, calls: dict[str, Call]) -> None:
    report, result = calls[bot]
    kind, name, cls, unit = UNDER_TEST[bot]
    assert report.errors == [] and not report.timed_out, report.text()
    ticket_opened(result)
    assert result["disconnected_by"] in ("caller", "bot"), result["close_reason"]
    [usage] = [line for line in result["usage"] if line["kind"] == kind]
    assert usage["provider"] == name and usage[unit] > (2 if unit == "audio_seconds" else 40)
    latency = result["latency"]
    assert len(latency) >= 2, latency
    times = ttfb(result, kind, name, cls)
    assert times and all(0 < ms < 5000 for ms in times), latency
    if kind == "stt":
        # The wait for the final transcript is in the breakdown, except on a turn whose final
        # beat the VAD's stop (the STT's own endpointing was quicker): nothing was waited for.
        assert any(turn["parts_ms"].get("transcription") for turn in latency), latency
    caller = [turn["text"] for turn in result["transcript"] if turn["role"] == "caller"]
    assert any("conference" in text.lower() for text in caller), caller


@pytest.mark.slow
def test_soniox_was_streamed_8khz_pcm_and_finalized_at_each_vad_stop(
    calls: dict[str, Call], fakes: tuple[FakeSoniox, FakeSarvam, dict[str, str]]
) -> None:
    soniox = fakes[0]
    assert soniox.sessions and all(s.authorized for s in soniox.sessions)
    for session in soniox.sessions:
        assert session.start["sample_rate"] == RATE
        assert (session.start["audio_format"], session.start["num_channels"]) == ("pcm_s16le", 1)
        assert session.start["language_hints"] == ["en"] and session.start["model"] == "stt-rt-v5"
        assert session.start["enable_endpoint_detection"] is False
    assert sum(s.finalizes for s in soniox.sessions) >= 2  # one per caller turn at least
    heard = " ".join(t for s in soniox.sessions for t in s.transcripts).lower()
    assert "conference" in heard, heard
    usage = next(line for line in calls["stt-soniox"][1]["usage"] if line["kind"] == "stt")
    sent = sum(s.audio_seconds for s in soniox.sessions)
    assert usage["audio_seconds"] == pytest.approx(sent, abs=0.5)


@pytest.mark.slow
def test_sarvam_stt_was_streamed_8khz_linear16_with_the_pipelines_turns(
    calls: dict[str, Call], fakes: tuple[FakeSoniox, FakeSarvam, dict[str, str]]
) -> None:
    sessions = fakes[1].stt
    assert sessions and all(s.authorized and s.rejected is None for s in sessions)
    for session in sessions:
        assert (session.query["sample_rate"], session.query["encoding"]) == ("8000", "linear16")
        assert session.query["endpointing"] == "manual"
        assert session.query["language_code"] == "en-IN"
    events = [event for s in sessions for event in s.events]
    assert events.count("speech_end") >= 2 and "speech_start" in events
    heard = " ".join(t for s in sessions for t in s.transcripts).lower()
    assert "conference" in heard, heard
    usage = next(line for line in calls["stt-sarvam"][1]["usage"] if line["kind"] == "stt")
    sent = sum(s.audio_bytes for s in sessions) / (2 * RATE)
    assert usage["audio_seconds"] == pytest.approx(sent, abs=0.5)


@pytest.mark.slow
async def test_sarvam_tts_spoke_at_8khz_and_the_caller_heard_it(
    calls: dict[str, Call], fakes: tuple[FakeSoniox, FakeSarvam, dict[str, str]]
) -> None:
    sessions = fakes[1].tts
    assert sessions and all(s.authorized for s in sessions)
    for session in sessions:
        assert session.config["speech_sample_rate"] == str(RATE)
        assert session.config["target_language_code"] == "en-IN"
        assert session.config["speaker"] == "priya"
    said = " ".join(text for s in sessions for text in s.texts)
    assert "Thanks for calling Acme support" in said and "extension" in said, said
    usage = next(line for line in calls["tts-sarvam"][1]["usage"] if line["kind"] == "tts")
    assert usage["characters"] == sum(len(text) for s in sessions for text in s.texts)
    report, _ = calls["tts-sarvam"]
    assert all(turn.v2v_ms is not None for turn in report.turns), report.text()
    first_turn = report.turns[0].start_s
    assert first_turn is not None
    greeting = report.audio[: int(first_turn * RATE), 1]
    heard = (await recognize(greeting, RATE)).lower()
    assert "thanks for calling" in heard and "support" in heard, heard


@pytest.mark.slow
def test_the_keys_reached_the_vendors_and_nothing_else(
    calls: dict[str, Call], server: RunningServer
) -> None:
    written = json.dumps(server.results()) + server.log()
    reports = json.dumps([report.to_json() for report, _ in calls.values()])
    for key in KEYS.values():
        assert key not in written and key not in reports
